"""The mail API: the caller's mailbox, drafts, sending, trash and threads.

Views parse input with an input serializer, load the caller's copy through
workspace.mail.selectors (404 for anything that is not theirs), call one service and render
the copy re-read through the selector.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import parsed
from nexus_site.api.schema import FILE_DOWNLOAD_RESPONSES, error_response_schema
from workspace.files.responses import counted_download
from workspace.mail import selectors, services
from workspace.mail.api import serializers as s
from workspace.mail.api.filters import MailboxFilter
from workspace.mail.models import MailboxEntry

E401 = error_response_schema(_("Not signed in."))
E403 = error_response_schema(_("Your copy, but not yours to change (a received message)."))
E404 = error_response_schema(_("No such message, or not yours."))
E409 = error_response_schema(
    _("already_sent: the message is sent; or the copy is (or is not) in the trash.")
)
E422 = error_response_schema(
    _("Invalid data: unknown recipients, files you may not attach; field messages in details.")
)
READ_ERRORS = {401: E401, 404: E404}
WRITE_ERRORS = {401: E401, 403: E403, 404: E404, 409: E409, 422: E422}
TAGS = ["mail"]


def copy_body(request, entry: MailboxEntry) -> dict:
    """Render the caller's copy as it is now (re-read: annotations and prefetches)."""
    return s.MessageOutputSerializer(selectors.entry_get(request.user, entry.pk)).data


class MessageListView(GenericAPIView):
    queryset = MailboxEntry.objects.none()  # for the schema; requests use the selector
    serializer_class = s.MessageOutputSerializer
    filterset_class = MailboxFilter
    ordering_fields = ["date", "subject", "is_read"]

    @extend_schema(
        operation_id="mail_messages_list",
        tags=TAGS,
        summary=_("Your messages in one folder (default: every folder but the trash)"),
        responses={200: s.MessageOutputSerializer(many=True), 401: E401, 422: E422},
    )
    def get(self, request):
        entries = self.filter_queryset(selectors.mailbox_of(request.user))
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(s.MessageOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="mail_messages_create",
        tags=TAGS,
        summary=_("Write a draft"),
        description=_(
            "The draft lands in your drafts folder; send it with POST .../send/. Recipients "
            "are e-mail addresses of users (422 naming any unknown one); attachments are ids "
            "of files you may see."
        ),
        request=s.MessageCreateInputSerializer,
        responses={201: s.MessageOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request):
        data = parsed(s.MessageCreateInputSerializer, request)
        reply_to = data.pop("in_reply_to", None)
        if reply_to is not None:
            data["in_reply_to"] = selectors.entry_for_reply(request.user, reply_to)
        entry = services.mail_draft_create(actor=request.user, **data)
        return Response(copy_body(request, entry), status=201)


class MessageDetailView(APIView):
    @extend_schema(
        operation_id="mail_messages_retrieve",
        tags=TAGS,
        responses={200: s.MessageOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, entry_id):
        entry = selectors.entry_get(request.user, entry_id)
        return Response(s.MessageOutputSerializer(entry).data)

    @extend_schema(
        operation_id="mail_messages_partial_update",
        tags=TAGS,
        summary=_("Mark read or unread; change a draft"),
        description=_(
            "is_read works on any of your copies. to, cc, bcc, subject, body and attachments "
            "change a draft only: on a sent message 409 already_sent, on a received one 403."
        ),
        request=s.MessageUpdateInputSerializer,
        responses={200: s.MessageOutputSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, entry_id):
        entry = selectors.entry_get(request.user, entry_id)
        data = parsed(s.MessageUpdateInputSerializer, request)
        entry = services.mail_update(actor=request.user, entry=entry, **data)
        return Response(copy_body(request, entry))

    @extend_schema(
        operation_id="mail_messages_destroy",
        tags=TAGS,
        summary=_("Move your copy to the trash"),
        description=_("Nobody else's copy changes. 409 when it is in the trash already."),
        responses={204: None, 401: E401, 404: E404, 409: E409},
    )
    def delete(self, request, entry_id):
        entry = selectors.entry_get(request.user, entry_id)
        services.mail_trash(actor=request.user, entry=entry)
        return Response(status=204)


class MessageSendView(APIView):
    @extend_schema(
        operation_id="mail_messages_send",
        tags=TAGS,
        summary=_("Send a draft to all its recipients at once"),
        description=_(
            "Every recipient gets a copy in their inbox, with its attachments, or nobody "
            "does. 422 without recipients or with one that is no longer a user; 409 "
            "already_sent the second time."
        ),
        request=None,
        responses={200: s.MessageOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request, entry_id):
        entry = selectors.entry_get(request.user, entry_id)
        entry = services.mail_send(actor=request.user, entry=entry)
        return Response(copy_body(request, entry))


class MessageRestoreView(APIView):
    @extend_schema(
        operation_id="mail_messages_restore",
        tags=TAGS,
        summary=_("Take your copy out of the trash, back to its folder"),
        request=None,
        responses={200: s.MessageOutputSerializer, 401: E401, 404: E404, 409: E409},
    )
    def post(self, request, entry_id):
        entry = selectors.entry_get(request.user, entry_id)
        entry = services.mail_restore(actor=request.user, entry=entry)
        return Response(copy_body(request, entry))


class ThreadDetailView(APIView):
    @extend_schema(
        operation_id="mail_threads_retrieve",
        tags=TAGS,
        summary=_("The messages of one thread that you sent or received"),
        responses={200: s.ThreadOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, thread_id):
        thread = selectors.thread_get(request.user, thread_id)
        return Response(s.ThreadOutputSerializer(thread).data)


class FolderListView(APIView):
    @extend_schema(
        operation_id="mail_folders_list",
        tags=TAGS,
        summary=_("Your folders with their message and unread counts"),
        responses={200: s.FolderOutputSerializer(many=True), 401: E401},
    )
    def get(self, request):
        counts = selectors.folder_counts(request.user)
        return Response(s.FolderOutputSerializer(counts, many=True).data)


class AttachmentDownloadView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # The body is the file whatever the client accepts; errors still render as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="mail_attachments_download",
        tags=TAGS,
        summary=_("Download a file attached to your copy of a message"),
        description=_(
            "Whoever holds a copy may download its attachments, bcc recipients included."
        ),
        responses=FILE_DOWNLOAD_RESPONSES | READ_ERRORS,
    )
    def get(self, request, entry_id, file_id):
        file = selectors.attachment_get(request.user, entry_id, file_id)
        return counted_download(request, file)
