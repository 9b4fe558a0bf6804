"""The link from the services to the room sockets: one channel-layer group per room.

After commit a service sends ``{"type": "chat.event", "event": <type>, "message": <id>}`` to the
room's group; each socket (workspace.chat.consumers) loads and renders the message itself.
"""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def room_group(room_id) -> str:
    return f"chat.room.{room_id}"


def send(type: str, room_id, message_id) -> None:
    """Tell the room's sockets that a message changed (failures are logged, never raised)."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            room_group(room_id),
            {"type": "chat.event", "event": type, "message": str(message_id)},
        )
    except Exception:  # a broadcast failure must never undo a committed write
        logger.exception("Could not send chat %s for message %s", type, message_id)


def send_on_commit(type: str, message) -> None:
    room_id, message_id = message.room_id, message.pk
    transaction.on_commit(lambda: send(str(type), room_id, message_id))
