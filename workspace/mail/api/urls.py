"""The mail API, mounted at /api/v1/ (so the mailbox is /api/v1/mail/messages/)."""

from django.urls import path

from workspace.mail.api import views

app_name = "mail-api"

urlpatterns = [
    path("mail/messages/", views.MessageListView.as_view(), name="message-list"),
    path(
        "mail/messages/<uuid:entry_id>/", views.MessageDetailView.as_view(), name="message-detail"
    ),
    path(
        "mail/messages/<uuid:entry_id>/send/", views.MessageSendView.as_view(), name="message-send"
    ),
    path(
        "mail/messages/<uuid:entry_id>/restore/",
        views.MessageRestoreView.as_view(),
        name="message-restore",
    ),
    path(
        "mail/messages/<uuid:entry_id>/attachments/<uuid:file_id>/download/",
        views.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    path("mail/threads/<uuid:thread_id>/", views.ThreadDetailView.as_view(), name="thread"),
    path("mail/folders/", views.FolderListView.as_view(), name="folders"),
]
