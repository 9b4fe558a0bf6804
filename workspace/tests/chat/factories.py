"""Chat rooms and messages made through the services (so graph edges exist)."""

from workspace.chat import services
from workspace.chat.models import ChatMessage, Room


def make_room(owner, *, kind: str = "private", name: str = "Room", members=()) -> Room:
    return services.room_create(actor=owner, kind=kind, name=name, members=list(members))


def post(user, room: Room, body: str = "Hello", **kwargs) -> ChatMessage:
    return services.message_post(actor=user, room=room, body=body, **kwargs)
