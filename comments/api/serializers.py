"""Input and output serializers of the comments API.

Input serializers only parse shapes; the services decide the rules.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from comments import selectors
from comments.services import MAX_ATTACHMENTS, MAX_BODY_LENGTH


class CommentCreateInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=MAX_BODY_LENGTH,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=_("Markdown-light; mention someone who may see the target as @their@e-mail."),
    )
    reply_to = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=_("A comment of the same task or document; a reply joins its thread."),
    )
    attachments = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=MAX_ATTACHMENTS,
        help_text=_("Ids of files you may see."),
    )


class CommentUpdateInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, trim_whitespace=False)


class PersonOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(source="full_name")
    email = serializers.EmailField()


class CommentAttachmentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    mime_type = serializers.CharField()


class CommentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    task = serializers.UUIDField(source="task_id", allow_null=True)
    document = serializers.UUIDField(source="document_id", allow_null=True)
    author = serializers.UUIDField(source="author_id", allow_null=True)
    author_name = serializers.SerializerMethodField()
    body = serializers.CharField()
    body_html = serializers.SerializerMethodField(
        help_text=_("The body as safe HTML (Markdown-light, mentions linked).")
    )
    reply_to = serializers.UUIDField(source="reply_to_id", allow_null=True)
    mentions = PersonOutputSerializer(many=True, source="mentions.all")
    attachments = CommentAttachmentOutputSerializer(many=True, source="attachments.all")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted_at = serializers.DateTimeField(
        allow_null=True, help_text=_("Set on a deleted comment: a marker with an empty body.")
    )
    revision_count = serializers.IntegerField(help_text=_("Earlier bodies kept in its history."))

    def get_author_name(self, comment) -> str:
        return comment.author.full_name if comment.author else ""

    def get_body_html(self, comment) -> str:
        return selectors.body_html(comment)


class CommentWrittenOutputSerializer(CommentOutputSerializer):
    mentions_refused = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "Addresses mentioned of people who may not see the target (or of nobody): not "
            "stored, not notified, and given no access."
        ),
    )


class CommentRevisionOutputSerializer(serializers.Serializer):
    editor = serializers.UUIDField(source="editor_id", allow_null=True)
    editor_name = serializers.SerializerMethodField()
    old_body = serializers.CharField()
    edited_at = serializers.DateTimeField()

    def get_editor_name(self, revision) -> str:
        return revision.editor.full_name if revision.editor else ""
