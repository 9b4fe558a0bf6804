"""WebSocket routes of every app."""

from django.urls import path

from nexus_site.events.consumers import EventsConsumer
from workspace.chat.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    path("ws/chat/<uuid:room_id>/", ChatConsumer.as_asgi()),
]
