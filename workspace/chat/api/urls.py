"""The chat API, mounted at /api/v1/ (so the room list is /api/v1/chat/rooms/)."""

from django.urls import path

from workspace.chat.api import views

app_name = "chat-api"

urlpatterns = [
    path("chat/rooms/", views.RoomListView.as_view(), name="room-list"),
    path("chat/rooms/<uuid:room_id>/", views.RoomDetailView.as_view(), name="room-detail"),
    path("chat/rooms/<uuid:room_id>/join/", views.RoomJoinView.as_view(), name="room-join"),
    path("chat/rooms/<uuid:room_id>/read/", views.RoomReadView.as_view(), name="room-read"),
    path("chat/rooms/<uuid:room_id>/members/", views.MemberListView.as_view(), name="members"),
    path(
        "chat/rooms/<uuid:room_id>/members/<uuid:user_id>/",
        views.MemberDetailView.as_view(),
        name="member-detail",
    ),
    path("chat/rooms/<uuid:room_id>/messages/", views.MessageListView.as_view(), name="messages"),
    path(
        "chat/rooms/<uuid:room_id>/messages/<uuid:message_id>/",
        views.MessageDetailView.as_view(),
        name="message-detail",
    ),
    path(
        "chat/rooms/<uuid:room_id>/messages/<uuid:message_id>/attachments/<uuid:file_id>/download/",
        views.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
]
