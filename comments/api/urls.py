"""The comments API, mounted at /api/v1/: /api/v1/tasks/{id}/comments/ and
/api/v1/documents/{id}/comments/."""

from django.urls import path

from comments.api import views

app_name = "comments-api"


def routes(kind: str, plural: str) -> list:
    def view(view_class):
        return views.documented(view_class, kind).as_view()

    base = f"{plural}/<uuid:target_id>/comments/"
    return [
        path(base, view(views.CommentListView), name=f"{kind}-comments"),
        path(f"{base}people/", view(views.PeopleView), name=f"{kind}-comment-people"),
        path(f"{base}<uuid:comment_id>/", view(views.CommentDetailView), name=f"{kind}-comment"),
        path(
            f"{base}<uuid:comment_id>/history/",
            view(views.CommentHistoryView),
            name=f"{kind}-comment-history",
        ),
        path(
            f"{base}<uuid:comment_id>/attachments/<uuid:file_id>/download/",
            view(views.AttachmentDownloadView),
            name=f"{kind}-comment-attachment",
        ),
    ]


urlpatterns = [*routes("task", "tasks"), *routes("document", "documents")]
