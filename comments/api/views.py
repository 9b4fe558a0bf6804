"""The comments API: the comments of a task or a document (thread order, paginated), one
comment (read, edit with history, delete to a marker), its history, its attachments, and the
people the @ completion offers.

Each view loads the target through comments.selectors (404 for what the caller may not see;
the caller's level is decided there, once), calls one service (403 for what the caller may see
but not do) and renders through the output serializers. The task and document routes share
the views; each kind has its own subclass for its OpenAPI operation ids.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from comments import selectors, services
from comments.api import serializers as s
from comments.models import Comment
from nexus_site.api.parsers import parsed
from nexus_site.api.schema import FILE_DOWNLOAD_RESPONSES, error_response_schema
from workspace.files.responses import counted_download

E401 = error_response_schema(_("Not signed in."))
E403 = error_response_schema(_("Visible, but the caller may not do this."))
E404 = error_response_schema(_("No such object, or not visible to the caller."))
E422 = error_response_schema(_("Invalid data; field messages in details."))
READ_ERRORS = {401: E401, 404: E404}
WRITE_ERRORS = {401: E401, 403: E403, 404: E404, 422: E422}
TAGS = ["comments"]


def written_body(target, written: services.Written) -> dict:
    comment = selectors.comment_get(target, written.comment.pk)
    comment.mentions_refused = written.mentions_refused
    return s.CommentWrittenOutputSerializer(comment).data


class TargetMixin:
    """Load the URL's target for the caller: a task or a document (set by each subclass)."""

    kind = selectors.TASK

    def target(self, request, target_id) -> selectors.Target:
        if self.kind == selectors.TASK:
            return selectors.task_target(request.user, target_id)
        return selectors.document_target(request.user, target_id)


class CommentListView(TargetMixin, GenericAPIView):
    queryset = Comment.objects.none()
    serializer_class = s.CommentOutputSerializer
    filter_backends: list = []

    def get(self, request, target_id):
        target = self.target(request, target_id)
        page = self.paginate_queryset(selectors.thread_comments(target))
        return self.get_paginated_response(s.CommentOutputSerializer(page, many=True).data)

    def post(self, request, target_id):
        target = self.target(request, target_id)
        data = parsed(s.CommentCreateInputSerializer, request)
        written = services.comment_create(
            actor=request.user,
            target=target,
            body=data.get("body", ""),
            reply_to=data.get("reply_to"),
            attachments=data.get("attachments") or [],
        )
        return Response(written_body(target, written), status=201)


class CommentDetailView(TargetMixin, APIView):
    def get(self, request, target_id, comment_id):
        target = self.target(request, target_id)
        return Response(s.CommentOutputSerializer(selectors.comment_get(target, comment_id)).data)

    def patch(self, request, target_id, comment_id):
        target = self.target(request, target_id)
        comment = selectors.comment_get(target, comment_id)
        data = parsed(s.CommentUpdateInputSerializer, request)
        written = services.comment_edit(
            actor=request.user, target=target, comment=comment, body=data["body"]
        )
        return Response(written_body(target, written))

    def delete(self, request, target_id, comment_id):
        target = self.target(request, target_id)
        comment = selectors.comment_get(target, comment_id)
        services.comment_delete(actor=request.user, target=target, comment=comment)
        return Response(status=204)


class CommentHistoryView(TargetMixin, GenericAPIView):
    queryset = Comment.objects.none()
    serializer_class = s.CommentRevisionOutputSerializer
    filter_backends: list = []

    def get(self, request, target_id, comment_id):
        target = self.target(request, target_id)
        comment = selectors.comment_get(target, comment_id)
        page = self.paginate_queryset(selectors.comment_revisions(comment))
        return self.get_paginated_response(s.CommentRevisionOutputSerializer(page, many=True).data)


class AttachmentDownloadView(TargetMixin, APIView):
    def perform_content_negotiation(self, request, force=False):
        # The body is the file whatever the client accepts; errors still render as JSON.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request, target_id, comment_id, file_id):
        target = self.target(request, target_id)
        return counted_download(request, selectors.attachment_get(target, comment_id, file_id))


class PeopleView(TargetMixin, APIView):
    def get(self, request, target_id):
        target = self.target(request, target_id)
        people = selectors.mentionable(target, request.query_params.get("q", "")[:100])
        return Response(s.PersonOutputSerializer(people, many=True).data)


# --- the routes of each kind, with their OpenAPI operations -------------------------------

Q_PARAMETER = OpenApiParameter(
    "q", str, description=_("Words the person's name or e-mail contains."), required=False
)


def documented(view, kind: str):
    """Return ``view`` for ``kind`` with its operations named ``<kind>s_comments_...``."""
    prefix = f"{kind}s_comments"
    operations = {
        CommentListView: {
            "get": extend_schema(
                operation_id=f"{prefix}_list",
                tags=TAGS,
                summary=_("The comments, thread by thread, oldest first (deleted ones as markers)"),
                responses={200: s.CommentOutputSerializer(many=True), **READ_ERRORS},
            ),
            "post": extend_schema(
                operation_id=f"{prefix}_create",
                tags=TAGS,
                summary=_("Post a comment or a reply (needs the comment level)"),
                description=_(
                    "Mentions of people who may not see the target are not stored and are "
                    "listed in mentions_refused."
                ),
                request=s.CommentCreateInputSerializer,
                responses={201: s.CommentWrittenOutputSerializer, **WRITE_ERRORS},
            ),
        },
        CommentDetailView: {
            "get": extend_schema(
                operation_id=f"{prefix}_retrieve",
                tags=TAGS,
                responses={200: s.CommentOutputSerializer, **READ_ERRORS},
            ),
            "patch": extend_schema(
                operation_id=f"{prefix}_partial_update",
                tags=TAGS,
                summary=_("Edit a comment (its author, or who manages the target); history kept"),
                request=s.CommentUpdateInputSerializer,
                responses={200: s.CommentWrittenOutputSerializer, **WRITE_ERRORS},
            ),
            "delete": extend_schema(
                operation_id=f"{prefix}_destroy",
                tags=TAGS,
                summary=_(
                    "Delete a comment (its author, or who manages the target); a marker stays"
                ),
                responses={204: None, **WRITE_ERRORS},
            ),
        },
        CommentHistoryView: {
            "get": extend_schema(
                operation_id=f"{prefix}_history",
                tags=TAGS,
                summary=_("A comment's earlier bodies, newest first"),
                responses={200: s.CommentRevisionOutputSerializer(many=True), **READ_ERRORS},
            ),
        },
        AttachmentDownloadView: {
            "get": extend_schema(
                operation_id=f"{prefix}_attachments_download",
                tags=TAGS,
                summary=_("Download a file attached to a comment"),
                description=_(
                    "Whoever may read the comment may download its attachments; they gain no "
                    "access to the file itself."
                ),
                responses=FILE_DOWNLOAD_RESPONSES | READ_ERRORS,
            ),
        },
        PeopleView: {
            "get": extend_schema(
                operation_id=f"{prefix}_people",
                tags=TAGS,
                summary=_("People who may see the target, for @ completion (at most 10)"),
                parameters=[Q_PARAMETER],
                responses={200: s.PersonOutputSerializer(many=True), **READ_ERRORS},
            ),
        },
    }[view]
    subclass = type(f"{kind.title()}{view.__name__}", (view,), {"kind": kind})
    return extend_schema_view(**operations)(subclass)
