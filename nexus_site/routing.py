"""WebSocket routes of every app."""

from django.urls import path

from nexus_site.events.consumers import EventsConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
]
