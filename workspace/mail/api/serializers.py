"""Input and output serializers of the mail API.

A message is the caller's copy of it: its ``id`` is the copy's, ``folder``, ``is_read`` and
``status`` (draft, sent, received) are the caller's. ``bcc`` is filled on the sender's own
copies only and is always empty on a received copy.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workspace.mail.models import (
    BODY_MAX_LENGTH,
    MAX_ATTACHMENTS,
    MAX_RECIPIENTS,
    SUBJECT_MAX_LENGTH,
    MailFolder,
    RecipientKind,
)
from workspace.mail.selectors import attachment_files, recipient_emails

STATUSES = [
    ("draft", _("Draft")),
    ("sent", pgettext_lazy("mail status", "Sent")),
    ("received", _("Received")),
]


def address_list(help_text) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.EmailField(max_length=254),
        required=False,
        max_length=MAX_RECIPIENTS,
        help_text=help_text,
    )


class MessageContentInputSerializer(serializers.Serializer):
    to = address_list(_("E-mail addresses of users."))
    cc = address_list(_("E-mail addresses of users."))
    bcc = address_list(_("E-mail addresses of users; only you will ever see them."))
    subject = serializers.CharField(
        required=False, allow_blank=True, max_length=SUBJECT_MAX_LENGTH, trim_whitespace=False
    )
    body = serializers.CharField(
        required=False, allow_blank=True, max_length=BODY_MAX_LENGTH, trim_whitespace=False
    )
    attachments = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=MAX_ATTACHMENTS,
        help_text=_("Ids of files you may see; recipients may view them once it is sent."),
    )


class MessageCreateInputSerializer(MessageContentInputSerializer):
    in_reply_to = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=_("The id of a sent message you hold: the new one joins its thread."),
    )


class MessageUpdateInputSerializer(MessageContentInputSerializer):
    is_read = serializers.BooleanField(required=False)


class AttachmentFileOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    size = serializers.IntegerField(help_text=_("In bytes."))
    mime_type = serializers.CharField()
    download = serializers.CharField(help_text=_("Where the holder of this copy downloads it."))


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text=_("Your copy's id."))
    thread = serializers.UUIDField(source="message.thread_id")
    in_reply_to = serializers.UUIDField(
        source="in_reply_to_copy",
        allow_null=True,
        help_text=_("Your copy of the message this one answers; null when you hold none."),
    )
    folder = serializers.ChoiceField(choices=MailFolder.choices)
    status = serializers.ChoiceField(choices=STATUSES)
    is_read = serializers.BooleanField()
    sender = serializers.EmailField(source="message.sender.email")
    sender_name = serializers.CharField(source="message.sender.full_name")
    to = serializers.SerializerMethodField()
    cc = serializers.SerializerMethodField()
    bcc = serializers.SerializerMethodField(help_text=_("Filled on the sender's own copies only."))
    subject = serializers.CharField(source="message.subject")
    body = serializers.CharField(source="message.body")
    attachments = serializers.SerializerMethodField()
    attachment_files = serializers.SerializerMethodField()
    sent_at = serializers.DateTimeField(source="message.sent_at", allow_null=True)
    created_at = serializers.DateTimeField(source="message.created_at")
    updated_at = serializers.DateTimeField(source="message.updated_at")

    @extend_schema_field(serializers.ListField(child=serializers.EmailField()))
    def get_to(self, entry) -> list[str]:
        return recipient_emails(entry, RecipientKind.TO)

    @extend_schema_field(serializers.ListField(child=serializers.EmailField()))
    def get_cc(self, entry) -> list[str]:
        return recipient_emails(entry, RecipientKind.CC)

    @extend_schema_field(serializers.ListField(child=serializers.EmailField()))
    def get_bcc(self, entry) -> list[str]:
        return recipient_emails(entry, RecipientKind.BCC)

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_attachments(self, entry) -> list[str]:
        return [str(file.pk) for file in attachment_files(entry)]

    @extend_schema_field(AttachmentFileOutputSerializer(many=True))
    def get_attachment_files(self, entry) -> list[dict]:
        return [
            {
                "id": str(file.pk),
                "name": file.name,
                "size": file.size,
                "mime_type": file.mime_type,
                "download": reverse(
                    "mail-api:attachment-download",
                    kwargs={"entry_id": entry.pk, "file_id": file.pk},
                ),
            }
            for file in attachment_files(entry)
        ]


class ThreadOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    subject = serializers.CharField(help_text=_("The subject of the first message you hold."))
    messages = MessageOutputSerializer(many=True, help_text=_("Oldest first."))


class FolderOutputSerializer(serializers.Serializer):
    folder = serializers.ChoiceField(choices=MailFolder.choices)
    label = serializers.CharField()
    total = serializers.IntegerField()
    unread = serializers.IntegerField()
