"""Task attachment pages, mounted at /task-attachments/."""

from django.urls import path

from workspace.task_attachments import views

app_name = "task-attachments"

urlpatterns = [
    path("<uuid:task_id>/", views.TaskAttachmentAddView.as_view(), name="add"),
    path(
        "<uuid:task_id>/<uuid:file_id>/",
        views.TaskAttachmentDownloadPage.as_view(),
        name="download",
    ),
    path(
        "<uuid:task_id>/<uuid:file_id>/remove/",
        views.TaskAttachmentRemoveView.as_view(),
        name="remove",
    ),
]
