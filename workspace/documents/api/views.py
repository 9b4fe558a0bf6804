"""The documents API: documents, versions, diff, shares, attachments, trash, export, import.

Each view parses its input with an input serializer, loads the document through
documents.selectors (404 for what the caller may not see, and for a trashed document on the
normal endpoints; the selector decides access once, and the document carries what the caller
may do), calls one service (403 for what the caller may see but not change) and renders what
the service returns, without reading it back.
"""

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.fields import DateTimeField
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import parsed
from nexus_site.api.schema import FILE_DOWNLOAD_RESPONSES, error_response_schema
from nexus_site.exceptions import NotFoundError, ValidationError
from projects.selectors import named_project
from relations.models import Relationship
from workspace.documents import selectors, services
from workspace.documents.api import serializers as s
from workspace.documents.api.filters import DocumentFilter
from workspace.documents.diff import diff_content
from workspace.documents.models import Document, DocumentAttachment, DocumentVersion
from workspace.documents.office import EXTENSIONS, export_docx, export_pptx, export_xlsx
from workspace.files.responses import counted_download

E401 = error_response_schema(_("Not signed in."))
E403 = error_response_schema(_("Visible, but the caller may not change it."))
E404 = error_response_schema(_("No such object, or not visible to the caller."))
E409 = error_response_schema(_("Conflicts with the current state."))
E413 = error_response_schema(_("The upload is larger than allowed."))
E422 = error_response_schema(_("Invalid data; field messages in details."))
READ_ERRORS = {401: E401, 404: E404}
WRITE_ERRORS = {401: E401, 403: E403, 404: E404, 422: E422}
TAGS = ["documents"]

MIME_TYPES = {
    "word": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "powerpoint": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
EXPORTERS = {"word": export_docx, "excel": export_xlsx, "powerpoint": export_pptx}
DELETED_PARAMETER = OpenApiParameter(
    "deleted", OpenApiTypes.BOOL, description=_("true: list the trash instead.")
)


def wants_trash(request) -> bool:
    value = request.query_params.get("deleted", "false").lower()
    if value not in {"true", "false", "1", "0"}:
        raise ValidationError(details={"deleted": [str(_("Use true or false."))]})
    return value in {"true", "1"}


def detail_body(request, document: Document) -> dict:
    """Return ``document`` in DocumentDetailOutputSerializer's shape, with what the caller may do.

    Written directly: DRF's per-field work was a tenth of a detail request; the serializer
    stays the documented response and a test holds the two equal.
    """
    return {
        "id": str(document.pk),
        "title": document.title,
        "doc_type": document.doc_type,
        "content": document.content,
        "project": None if document.project_id is None else str(document.project_id),
        "owner": str(document.owner_id),
        "owner_name": document.owner.full_name,
        "version": document.version,
        "deleted_at": timestamp(document.deleted_at),
        "created_at": timestamp(document.created_at),
        "updated_at": timestamp(document.updated_at),
        "permission": selectors.document_permission(request.user, document),
    }


_datetime = DateTimeField()


def timestamp(value) -> str | None:
    return None if value is None else _datetime.to_representation(value)


# --- documents ---------------------------------------------------------------------------


class DocumentListView(GenericAPIView):
    queryset = Document.objects.none()  # for the schema; requests use the selector
    serializer_class = s.DocumentOutputSerializer
    filterset_class = DocumentFilter
    search_fields = ["title"]
    ordering_fields = ["title", "doc_type", "version", "created_at", "updated_at", "deleted_at"]

    @extend_schema(
        operation_id="documents_list",
        tags=TAGS,
        summary=_("The documents the caller may see (or, with deleted=true, their trash)"),
        parameters=[DELETED_PARAMETER],
        responses={200: s.DocumentOutputSerializer(many=True), 401: E401, 422: E422},
    )
    def get(self, request):
        documents = selectors.documents_visible_to(request.user, deleted=wants_trash(request))
        page = self.paginate_queryset(self.filter_queryset(documents))
        return self.get_paginated_response(s.DocumentOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="documents_create",
        tags=TAGS,
        summary=_("Create a document owned by the caller (version 1)"),
        request=s.DocumentCreateInputSerializer,
        responses={201: s.DocumentDetailOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request):
        data = parsed(s.DocumentCreateInputSerializer, request)
        data["project"] = named_project(data.get("project"))
        document = services.document_create(actor=request.user, **data)
        document = selectors.document_get(request.user, document.pk)
        return Response(detail_body(request, document), status=201)


class DocumentDetailView(APIView):
    @extend_schema(
        operation_id="documents_retrieve",
        tags=TAGS,
        responses={200: s.DocumentDetailOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        return Response(detail_body(request, document))

    @extend_schema(
        operation_id="documents_partial_update",
        tags=TAGS,
        description=_(
            "Send the version the change was made from. When the document has moved on since, "
            "the answer is 409 conflict with current_version in details and nothing is changed."
        ),
        request=s.DocumentUpdateInputSerializer,
        responses={200: s.DocumentDetailOutputSerializer, **WRITE_ERRORS, 409: E409},
    )
    def patch(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        data = parsed(s.DocumentUpdateInputSerializer, request)
        document = services.document_update(actor=request.user, document=document, **data)
        return Response(detail_body(request, document))

    @extend_schema(
        operation_id="documents_destroy",
        tags=TAGS,
        summary=_("Move the document to the trash (manage)"),
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        services.document_delete(actor=request.user, document=document)
        return Response(status=204)


class DocumentRestoreView(APIView):
    @extend_schema(
        operation_id="documents_restore",
        tags=TAGS,
        summary=_("Take a document back out of the trash (manage)"),
        request=None,
        responses={200: s.DocumentDetailOutputSerializer, 401: E401, 403: E403, 404: E404},
    )
    def post(self, request, document_id):
        document = selectors.document_get(request.user, document_id, deleted=True)
        document = services.document_restore(actor=request.user, document=document)
        return Response(detail_body(request, document))


# --- versions ----------------------------------------------------------------------------


class VersionListView(GenericAPIView):
    queryset = DocumentVersion.objects.none()
    filter_backends = []

    @extend_schema(
        operation_id="documents_versions_list",
        tags=TAGS,
        summary=_("The document's history, newest first"),
        responses={200: s.VersionOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        page = self.paginate_queryset(selectors.document_versions(document))
        return self.get_paginated_response(s.VersionOutputSerializer(page, many=True).data)


class VersionDetailView(APIView):
    @extend_schema(
        operation_id="documents_versions_retrieve",
        tags=TAGS,
        responses={200: s.VersionDetailOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, document_id, number):
        document = selectors.document_get(request.user, document_id)
        version = selectors.document_version_get(document, number)
        return Response(s.VersionDetailOutputSerializer(version).data)


class VersionRestoreView(APIView):
    @extend_schema(
        operation_id="documents_versions_restore",
        tags=TAGS,
        summary=_("Make a new version from an old one (edit)"),
        request=None,
        responses={200: s.DocumentDetailOutputSerializer, 401: E401, 403: E403, 404: E404},
    )
    def post(self, request, document_id, number):
        document = selectors.document_get(request.user, document_id)
        selectors.document_version_get(document, number)
        document = services.document_version_restore(
            actor=request.user, document=document, number=number
        )
        return Response(detail_body(request, document))


def version_number(request, name: str) -> int:
    raw = request.query_params.get(name)
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ValidationError(details={name: [str(_("Give a version number (1 or more)."))]})
    return number


class DiffView(APIView):
    @extend_schema(
        operation_id="documents_diff",
        tags=TAGS,
        summary=_("What changed between two versions"),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.INT, required=True),
            OpenApiParameter("to", OpenApiTypes.INT, required=True),
        ],
        responses={200: s.DiffOutputSerializer, **READ_ERRORS, 422: E422},
    )
    def get(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        numbers = version_number(request, "from"), version_number(request, "to")
        old, new = (selectors.document_version_get(document, number) for number in numbers)
        title = {"old": old.title, "new": new.title} if old.title != new.title else None
        return Response(
            {
                "from_version": old.number,
                "to_version": new.number,
                "title": title,
                "diff": diff_content(document.doc_type, old.content, new.content),
            }
        )


# --- shares ------------------------------------------------------------------------------


class ShareListView(GenericAPIView):
    queryset = Relationship.objects.none()
    filter_backends = []

    @extend_schema(
        operation_id="documents_shares_list",
        tags=TAGS,
        summary=_("Who the document is shared with, and how"),
        responses={200: s.ShareOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        page = self.paginate_queryset(selectors.document_shares(document))
        users = selectors.users_by_id(edge.source_id for edge in page)
        body = s.ShareOutputSerializer(page, many=True, context={"users": users}).data
        return self.get_paginated_response(body)

    @extend_schema(
        operation_id="documents_shares_create",
        tags=TAGS,
        summary=_("Share the document with a user (manage); sharing again replaces the share"),
        request=s.ShareInputSerializer,
        responses={201: s.ShareOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        data = parsed(s.ShareInputSerializer, request)
        user = selectors.user_by_id(data["user"])
        if user is None:
            raise ValidationError(details={"user": [str(_("No such user."))]})
        edge = services.document_share(
            actor=request.user,
            document=document,
            user=user,
            permission=data["permission"],
            expires_at=data.get("expires_at"),
        )
        body = s.ShareOutputSerializer(edge, context={"users": {user.pk: user}}).data
        return Response(body, status=201)


class ShareDetailView(APIView):
    @extend_schema(
        operation_id="documents_shares_destroy",
        tags=TAGS,
        summary=_("Stop sharing the document with a user (manage)"),
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, document_id, user_id):
        document = selectors.document_get(request.user, document_id)
        user = selectors.user_by_id(user_id, active_only=False)
        if user is None:
            raise NotFoundError()
        services.document_unshare(actor=request.user, document=document, user=user)
        return Response(status=204)


# --- attachments -------------------------------------------------------------------------


class AttachmentListView(GenericAPIView):
    queryset = DocumentAttachment.objects.none()
    filter_backends = []

    @extend_schema(
        operation_id="documents_attachments_list",
        tags=TAGS,
        summary=_("The files attached to the document"),
        responses={200: s.AttachmentOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        page = self.paginate_queryset(selectors.document_attachments(document))
        return self.get_paginated_response(s.AttachmentOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="documents_attachments_create",
        tags=TAGS,
        summary=_("Attach a file the caller may see (edit); attaching again changes nothing"),
        request=s.AttachmentInputSerializer,
        responses={201: s.AttachmentOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        data = parsed(s.AttachmentInputSerializer, request)
        attachment = services.document_attach(
            actor=request.user, document=document, file_id=data["file"]
        )
        return Response(s.AttachmentOutputSerializer(attachment).data, status=201)


class AttachmentDetailView(APIView):
    @extend_schema(
        operation_id="documents_attachments_destroy",
        tags=TAGS,
        summary=_("Remove an attachment (edit); the file itself stays"),
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, document_id, file_id):
        document = selectors.document_get(request.user, document_id)
        attachment = selectors.document_attachment_get(document, file_id)
        services.document_detach(actor=request.user, document=document, file=attachment.file)
        return Response(status=204)


class AttachmentDownloadView(APIView):
    @extend_schema(
        operation_id="documents_attachments_download",
        tags=TAGS,
        summary=_("Download an attached file (whoever may view the document may)"),
        responses=FILE_DOWNLOAD_RESPONSES | READ_ERRORS,
    )
    def get(self, request, document_id, file_id):
        document = selectors.document_get(request.user, document_id)
        attachment = selectors.document_attachment_get(document, file_id)
        return counted_download(request, attachment.file)


# --- export and import -------------------------------------------------------------------


def export_response(document: Document) -> HttpResponse:
    """Return the document as a real Office file to download."""
    data = EXPORTERS[document.doc_type](document.content, document.title)
    response = HttpResponse(data, content_type=MIME_TYPES[document.doc_type])
    filename = f"{document.title}{EXTENSIONS[document.doc_type]}"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class ExportView(APIView):
    @extend_schema(
        operation_id="documents_export",
        tags=TAGS,
        summary=_("Download the document as .docx, .xlsx or .pptx"),
        responses={
            (200, mime): OpenApiResponse(OpenApiTypes.BINARY) for mime in MIME_TYPES.values()
        }
        | READ_ERRORS,
    )
    def get(self, request, document_id):
        document = selectors.document_get(request.user, document_id)
        return export_response(document)


class ImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="documents_import",
        tags=TAGS,
        summary=_("Create a document from an uploaded .docx, .xlsx or .pptx"),
        description=_(
            "413 when the file is larger than DOCUMENT_IMPORT_MAX_BYTES; 422 when it is not an "
            "Office file, is damaged, or its name gives another type."
        ),
        request={"multipart/form-data": s.DocumentImportInputSerializer},
        responses={201: s.DocumentDetailOutputSerializer, **WRITE_ERRORS, 413: E413},
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is not None:
            services.ensure_import_size(upload.size)
        data = parsed(s.DocumentImportInputSerializer, request)
        project = named_project(data.get("project"))
        document = services.document_import(
            actor=request.user,
            data=data["file"].read(),
            filename=data["file"].name or "",
            title=data.get("title"),
            project=project,
        )
        document = selectors.document_get(request.user, document.pk)
        return Response(detail_body(request, document), status=201)
