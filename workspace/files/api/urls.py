"""The files API, mounted at /api/v1/ (so the list is /api/v1/files/)."""

from django.urls import path

from workspace.files.api import views

app_name = "files-api"

urlpatterns = [
    path("files/", views.FileListView.as_view(), name="file-list"),
    path("files/usage/", views.FileUsageView.as_view(), name="file-usage"),
    path("files/<uuid:file_id>/", views.FileDetailView.as_view(), name="file-detail"),
    path("files/<uuid:file_id>/download/", views.FileDownloadView.as_view(), name="file-download"),
    path(
        "files/<uuid:file_id>/public-link/",
        views.PublicLinkView.as_view(),
        name="file-public-link",
    ),
]
