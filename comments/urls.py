"""Comment pages, mounted at /comments/."""

from django.urls import path

from comments import views

app_name = "comments"

urlpatterns = [
    path("task/<uuid:target_id>/", views.CommentCreateView.as_view(), name="task-create"),
    path(
        "document/<uuid:target_id>/",
        views.DocumentCommentCreateView.as_view(),
        name="document-create",
    ),
    path("<uuid:comment_id>/edit/", views.CommentEditView.as_view(), name="edit"),
    path("<uuid:comment_id>/delete/", views.CommentDeleteView.as_view(), name="delete"),
    path(
        "<uuid:comment_id>/files/<uuid:file_id>/",
        views.AttachmentDownloadPage.as_view(),
        name="attachment",
    ),
]
