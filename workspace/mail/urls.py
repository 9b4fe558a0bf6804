"""Pages of mail, mounted at /mail/."""

from django.urls import path

from workspace.mail import views

app_name = "mail"

urlpatterns = [
    path("", views.MailboxPage.as_view(), name="inbox"),
    path("compose/", views.ComposePage.as_view(), name="compose"),
    path("threads/<uuid:thread_id>/", views.ThreadPage.as_view(), name="thread"),
    path("<uuid:entry_id>/", views.MessagePage.as_view(), name="message"),
    path("<uuid:entry_id>/edit/", views.DraftEditPage.as_view(), name="edit"),
    path("<uuid:entry_id>/send/", views.SendView.as_view(), name="send"),
    path("<uuid:entry_id>/trash/", views.TrashView.as_view(), name="trash"),
    path("<uuid:entry_id>/restore/", views.RestoreView.as_view(), name="restore"),
    path("<uuid:entry_id>/unread/", views.MarkUnreadView.as_view(), name="unread"),
    path(
        "<uuid:entry_id>/attachments/<uuid:file_id>/",
        views.AttachmentDownloadPage.as_view(),
        name="attachment",
    ),
]
