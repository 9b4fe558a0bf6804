"""Pages of files, mounted at /files/."""

from django.urls import path

from workspace.files import views

app_name = "files"

urlpatterns = [
    path("", views.FileListPage.as_view(), name="list"),
    path("upload/", views.FileUploadView.as_view(), name="upload"),
    path("<uuid:file_id>/", views.FilePage.as_view(), name="detail"),
    path("<uuid:file_id>/download/", views.FileDownloadPage.as_view(), name="download"),
    path("<uuid:file_id>/delete/", views.FileDeleteView.as_view(), name="delete"),
    path("<uuid:file_id>/public-link/", views.PublicLinkCreateView.as_view(), name="public-link"),
    path(
        "<uuid:file_id>/public-link/revoke/",
        views.PublicLinkRevokeView.as_view(),
        name="public-link-revoke",
    ),
]
