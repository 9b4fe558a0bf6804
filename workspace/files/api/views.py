"""The files API: upload, list, read, rename/move, delete, download, usage and public links.

Views parse input with an input serializer, load files through workspace.files.selectors (404
for what the caller may not see), call one service (403 for what the caller may see but not
change) and render with an output serializer.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import DepthSafeJSONParser, parsed
from nexus_site.api.schema import FILE_DOWNLOAD_RESPONSES, error_response_schema
from nexus_site.definitions.enums import Permission
from nexus_site.exceptions import NotFoundError
from projects import selectors as project_selectors
from relations.access import require
from workspace.files import selectors, services
from workspace.files.api import serializers as s
from workspace.files.api.filters import FileFilter
from workspace.files.models import File
from workspace.files.responses import counted_download
from workspace.files.uploads import guard_upload

E401 = error_response_schema(_("Not signed in."))
E403 = error_response_schema(_("Visible, but the caller may not change it."))
E404 = error_response_schema(_("No such object, or not visible to the caller."))
E413 = error_response_schema(
    _("file_too_large past FILE_UPLOAD_MAX_BYTES; quota_exceeded past the caller's quota.")
)
E422 = error_response_schema(_("Invalid data; field messages in details."))
READ_ERRORS = {401: E401, 404: E404}
WRITE_ERRORS = {401: E401, 403: E403, 404: E404, 422: E422}


class FileListView(GenericAPIView):
    queryset = File.objects.none()  # for the schema; requests use the selector
    serializer_class = s.FileOutputSerializer
    parser_classes = [MultiPartParser]
    filterset_class = FileFilter
    search_fields = ["name"]
    ordering_fields = ["name", "size", "mime_type", "download_count", "created_at", "updated_at"]

    def initial(self, request, *args, **kwargs):
        if request.method == "POST":
            guard_upload(request._request)
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="files_list",
        tags=["files"],
        summary=_("The files the caller may see"),
        responses={200: s.FileOutputSerializer(many=True), 401: E401, 422: E422},
    )
    def get(self, request):
        files = self.filter_queryset(selectors.files_visible_to(request.user))
        page = self.paginate_queryset(files)
        return self.get_paginated_response(s.FileOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="files_create",
        tags=["files"],
        summary=_("Upload a file (multipart)"),
        description=_(
            "Identical content is stored once. The MIME type is read from the bytes. 413 with "
            "code file_too_large past the size limit, quota_exceeded past the caller's quota."
        ),
        request={"multipart/form-data": s.FileUploadInputSerializer},
        responses={201: s.FileOutputSerializer, 413: E413, **WRITE_ERRORS},
    )
    def post(self, request):
        data = parsed(s.FileUploadInputSerializer, request)
        project = project_selectors.named_project(data.get("project"))
        file = services.file_upload(actor=request.user, upload=data["file"], project=project)
        file = selectors.file_get(request.user, file.pk)
        return Response(s.FileOutputSerializer(file).data, status=201)


class FileDetailView(APIView):
    parser_classes = [DepthSafeJSONParser]

    @extend_schema(
        operation_id="files_retrieve",
        tags=["files"],
        responses={200: s.FileOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, file_id):
        file = selectors.file_get(request.user, file_id)
        return Response(s.FileOutputSerializer(file).data)

    @extend_schema(
        operation_id="files_partial_update",
        tags=["files"],
        summary=_("Rename a file or move it to another project"),
        request=s.FileUpdateInputSerializer(partial=True),
        responses={200: s.FileOutputSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, file_id):
        file = selectors.file_get(request.user, file_id)
        data = parsed(s.FileUpdateInputSerializer, request, partial=True)
        if "project" in data:
            data["project"] = project_selectors.named_project(data["project"])
        services.file_update(actor=request.user, file=file, **data)
        file = selectors.file_get(request.user, file_id)
        return Response(s.FileOutputSerializer(file).data)

    @extend_schema(
        operation_id="files_destroy",
        tags=["files"],
        summary=_("Delete a file; its content goes with the last file using it"),
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, file_id):
        file = selectors.file_get(request.user, file_id)
        services.file_delete(actor=request.user, file=file)
        return Response(status=204)


class FileDownloadView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # The body is the file whatever the client accepts; errors still render as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="files_download",
        tags=["files"],
        summary=_("Stream the file's bytes"),
        description=_(
            "An attachment with the detected Content-Type, Content-Length, an RFC 5987 "
            "filename, an ETag from the SHA-256 and X-Content-Type-Options: nosniff. "
            "Counts one download."
        ),
        responses=FILE_DOWNLOAD_RESPONSES | READ_ERRORS,
    )
    def get(self, request, file_id):
        file = selectors.file_get(request.user, file_id)
        return counted_download(request, file)


class FileUsageView(APIView):
    @extend_schema(
        operation_id="files_usage",
        tags=["files"],
        summary=_("The caller's storage usage and quota"),
        description=_(
            "logical_bytes counts every file the caller owns (the quota applies to it); "
            "physical_bytes counts each distinct content once."
        ),
        responses={200: s.StorageUsageOutputSerializer, 401: E401},
    )
    def get(self, request):
        return Response(s.StorageUsageOutputSerializer(selectors.usage_of(request.user)).data)


class PublicLinkView(APIView):
    parser_classes = [DepthSafeJSONParser]

    @extend_schema(
        operation_id="files_public_link_retrieve",
        tags=["files"],
        summary=_("The file's current public link (without its token)"),
        responses={200: s.PublicLinkOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, file_id):
        file = selectors.file_get(request.user, file_id)
        require(request.user, Permission.MANAGE, file)
        link = selectors.current_link(file)
        if link is None:
            raise NotFoundError(_("This file has no public link."))
        return Response(s.PublicLinkOutputSerializer(link).data)

    @extend_schema(
        operation_id="files_public_link_create",
        tags=["files"],
        summary=_("Create a public link, replacing the current one"),
        description=_("The token is in this answer only: the server keeps its hash."),
        request=s.PublicLinkInputSerializer,
        responses={201: s.CreatedPublicLinkOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request, file_id):
        file = selectors.file_get(request.user, file_id)
        data = parsed(s.PublicLinkInputSerializer, request)
        created = services.public_link_create(actor=request.user, file=file, **data)
        body = s.PublicLinkOutputSerializer(created.link).data
        body["token"] = created.token
        body["url"] = request.build_absolute_uri(public_path(created.token))
        return Response(body, status=201)

    @extend_schema(
        operation_id="files_public_link_destroy",
        tags=["files"],
        summary=_("Revoke the public link"),
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, file_id):
        file = selectors.file_get(request.user, file_id)
        services.public_link_revoke(actor=request.user, file=file)
        return Response(status=204)


def public_path(token: str) -> str:
    return reverse("public-files:download", kwargs={"token": token})
