"""The documents API, mounted at /api/v1/ (so the list is /api/v1/documents/)."""

from django.urls import path

from workspace.documents.api import views

app_name = "documents-api"

urlpatterns = [
    path("documents/", views.DocumentListView.as_view(), name="document-list"),
    path("documents/import/", views.ImportView.as_view(), name="document-import"),
    path(
        "documents/<uuid:document_id>/", views.DocumentDetailView.as_view(), name="document-detail"
    ),
    path(
        "documents/<uuid:document_id>/restore/",
        views.DocumentRestoreView.as_view(),
        name="document-restore",
    ),
    path(
        "documents/<uuid:document_id>/versions/",
        views.VersionListView.as_view(),
        name="document-versions",
    ),
    path(
        "documents/<uuid:document_id>/versions/<int:number>/",
        views.VersionDetailView.as_view(),
        name="document-version",
    ),
    path(
        "documents/<uuid:document_id>/versions/<int:number>/restore/",
        views.VersionRestoreView.as_view(),
        name="document-version-restore",
    ),
    path("documents/<uuid:document_id>/diff/", views.DiffView.as_view(), name="document-diff"),
    path(
        "documents/<uuid:document_id>/shares/",
        views.ShareListView.as_view(),
        name="document-shares",
    ),
    path(
        "documents/<uuid:document_id>/shares/<uuid:user_id>/",
        views.ShareDetailView.as_view(),
        name="document-share",
    ),
    path(
        "documents/<uuid:document_id>/export/",
        views.ExportView.as_view(),
        name="document-export",
    ),
    path(
        "documents/<uuid:document_id>/attachments/",
        views.AttachmentListView.as_view(),
        name="document-attachments",
    ),
    path(
        "documents/<uuid:document_id>/attachments/<uuid:file_id>/",
        views.AttachmentDetailView.as_view(),
        name="document-attachment",
    ),
    path(
        "documents/<uuid:document_id>/attachments/<uuid:file_id>/download/",
        views.AttachmentDownloadView.as_view(),
        name="document-attachment-download",
    ),
]
