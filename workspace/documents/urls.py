"""Pages of documents, mounted at /documents/."""

from django.urls import path

from workspace.documents import views

app_name = "documents"

urlpatterns = [
    path("", views.DocumentListPage.as_view(), name="list"),
    path("new/", views.DocumentCreateView.as_view(), name="create"),
    path("import/", views.DocumentImportPageView.as_view(), name="import"),
    path("trash/", views.TrashPage.as_view(), name="trash"),
    path("<uuid:document_id>/", views.DocumentEditorPage.as_view(), name="editor"),
    path("<uuid:document_id>/history/", views.HistoryPage.as_view(), name="history"),
    path(
        "<uuid:document_id>/versions/<int:number>/restore/",
        views.VersionRestorePageView.as_view(),
        name="version-restore",
    ),
    path("<uuid:document_id>/delete/", views.DocumentTrashView.as_view(), name="delete"),
    path("<uuid:document_id>/restore/", views.DocumentRestorePageView.as_view(), name="restore"),
    path("<uuid:document_id>/shares/", views.SharesPage.as_view(), name="shares"),
]
