"""The link from the services to the room sockets: one channel-layer group per room.

After commit a service renders the message once, as the API does, and sends
``{"type": "chat.event", "event": <type>, "message": {...}}`` to the room's group; each socket
(workspace.chat.consumers) passes it on without touching the database. Rendering once per
message instead of once per socket is what keeps delivery to a full room fast (bench/chat.py).
Each socket also joins the group of its user in its room: when the user leaves or is removed,
``{"type": "chat.revoke"}`` goes there and the socket closes with 4403 if the user can no
longer read the room.
"""

import logging

from django.db import transaction

from nexus_site.events.services import run_async

logger = logging.getLogger(__name__)


def room_group(room_id) -> str:
    return f"chat.room.{room_id}"


def user_group(room_id, user_id) -> str:
    return f"chat.room.{room_id}.user.{user_id}"


def group_send(group: str, event: dict) -> None:
    """Send ``event`` to ``group`` (failures are logged, never raised)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        run_async(layer.group_send(group, event))
    except Exception:  # a broadcast failure must never undo a committed write
        logger.exception("Could not send %s to %s", event.get("type"), group)


def revoke_on_commit(room_id, user_id) -> None:
    """After commit, tell ``user_id``'s sockets in the room to check their access again."""
    group = user_group(room_id, user_id)
    transaction.on_commit(lambda: group_send(group, {"type": "chat.revoke"}))


def send(type: str, room_id, message_id) -> None:
    """Render the message once and hand it to the room's sockets (failures are logged)."""
    from workspace.chat.api.serializers import ChatMessageOutputSerializer
    from workspace.chat.models import Room
    from workspace.chat.selectors import room_messages

    message = room_messages(Room(pk=room_id)).filter(pk=message_id).first()
    if message is None:  # gone before the broadcast: nothing to show
        return
    send_rendered(type, room_id, dict(ChatMessageOutputSerializer(message).data))


def send_rendered(type: str, room_id, rendered: dict) -> None:
    """Hand a message already rendered to the room's sockets (failures are logged)."""
    group_send(room_group(room_id), {"type": "chat.event", "event": type, "message": rendered})


def send_on_commit(type: str, message, *, rendered: dict | None = None) -> None:
    """After commit, send ``message`` to its room's sockets: ``rendered`` when the caller holds
    its API shape, else rendered from a fresh read then."""
    room_id, message_id = message.room_id, message.pk
    if rendered is not None:
        transaction.on_commit(lambda: send_rendered(str(type), room_id, rendered))
    else:
        transaction.on_commit(lambda: send(str(type), room_id, message_id))
