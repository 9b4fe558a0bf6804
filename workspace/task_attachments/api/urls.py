"""The task attachments API, mounted at /api/v1/ (so the list is
/api/v1/tasks/{id}/attachments/)."""

from django.urls import path

from workspace.task_attachments.api import views

app_name = "task-attachments-api"

urlpatterns = [
    path(
        "tasks/<uuid:task_id>/attachments/",
        views.TaskAttachmentListView.as_view(),
        name="task-attachments",
    ),
    path(
        "tasks/<uuid:task_id>/attachments/<uuid:file_id>/",
        views.TaskAttachmentDetailView.as_view(),
        name="task-attachment",
    ),
    path(
        "tasks/<uuid:task_id>/attachments/<uuid:file_id>/download/",
        views.TaskAttachmentDownloadView.as_view(),
        name="task-attachment-download",
    ),
]
