"""Pages of chat, mounted at /chat/."""

from django.urls import path

from workspace.chat import views

app_name = "chat"

urlpatterns = [
    path("", views.RoomListPage.as_view(), name="list"),
    path("new/", views.RoomCreateView.as_view(), name="create"),
    path("direct/", views.DirectOpenView.as_view(), name="direct"),
    path("<uuid:room_id>/", views.RoomPage.as_view(), name="room"),
    path(
        "<uuid:room_id>/messages/<uuid:message_id>/attachments/<uuid:file_id>/",
        views.AttachmentDownloadPage.as_view(),
        name="attachment",
    ),
]
