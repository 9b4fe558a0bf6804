"""The workspace API, mounted at /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("workspace.documents.api.urls")),
    path("", include("workspace.files.api.urls")),
    path("", include("workspace.ai_usage.api.urls")),
    path("", include("workspace.mail.api.urls")),
    path("", include("workspace.chat.api.urls")),
    path("", include("workspace.task_attachments.api.urls")),
]
