"""The task attachments API: the files attached to a task, attach one, remove one, download
one through the task.

Each view loads the task through task_attachments.selectors (404 for a task the caller may not
see), calls one service (403 for a task the caller may see but not edit) and renders what the
service returns. A download needs only view on the task: never a grant on the file.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import parsed
from nexus_site.api.schema import FILE_DOWNLOAD_RESPONSES, error_response_schema
from workspace.files.responses import counted_download
from workspace.task_attachments import selectors, services
from workspace.task_attachments.api import serializers as s
from workspace.task_attachments.models import TaskAttachment

E401 = error_response_schema(_("Not signed in."))
E403 = error_response_schema(_("Visible, but the caller may not change it."))
E404 = error_response_schema(_("No such object, or not visible to the caller."))
E422 = error_response_schema(_("Invalid data; field messages in details."))
READ_ERRORS = {401: E401, 404: E404}
WRITE_ERRORS = {401: E401, 403: E403, 404: E404, 422: E422}
TAGS = ["tasks"]


class TaskAttachmentListView(GenericAPIView):
    queryset = TaskAttachment.objects.none()
    serializer_class = s.TaskAttachmentOutputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="tasks_attachments_list",
        tags=TAGS,
        summary=_("The files attached to the task"),
        responses={200: s.TaskAttachmentOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, task_id):
        task, _level = selectors.task_and_level(request.user, task_id)
        page = self.paginate_queryset(selectors.task_attachments(task))
        return self.get_paginated_response(s.TaskAttachmentOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tasks_attachments_create",
        tags=TAGS,
        summary=_("Attach a file the caller may see (edit); attaching again changes nothing"),
        request=s.TaskAttachmentInputSerializer,
        responses={201: s.TaskAttachmentOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request, task_id):
        task, _level = selectors.task_and_level(request.user, task_id)
        data = parsed(s.TaskAttachmentInputSerializer, request)
        attachment = services.task_attachment_add(
            actor=request.user, task=task, file_id=data["file"]
        )
        return Response(s.TaskAttachmentOutputSerializer(attachment).data, status=201)


class TaskAttachmentDetailView(APIView):
    @extend_schema(
        operation_id="tasks_attachments_destroy",
        tags=TAGS,
        summary=_("Remove an attachment (edit); the file itself stays"),
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, task_id, file_id):
        task, _level = selectors.task_and_level(request.user, task_id)
        attachment = selectors.task_attachment_get(task, file_id)
        services.task_attachment_remove(actor=request.user, task=task, file=attachment.file)
        return Response(status=204)


class TaskAttachmentDownloadView(APIView):
    @extend_schema(
        operation_id="tasks_attachments_download",
        tags=TAGS,
        summary=_("Download an attached file (whoever may view the task may)"),
        responses=FILE_DOWNLOAD_RESPONSES | READ_ERRORS,
    )
    def get(self, request, task_id, file_id):
        task, _level = selectors.task_and_level(request.user, task_id)
        attachment = selectors.task_attachment_get(task, file_id)
        return counted_download(request, attachment.file)
