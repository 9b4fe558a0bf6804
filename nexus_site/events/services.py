"""Publish domain events through the outbox: a row in the caller's transaction, then a
broadcast to channel-layer groups once that transaction commits."""

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from nexus_site.events.models import Event, EventAudience

logger = logging.getLogger(__name__)

EVENTS_GROUP = "events"
COMMITTED_MESSAGE = "event.committed"


def publish(
    type: str,
    payload: dict[str, Any] | None = None,
    *,
    user_ids: Iterable[Any] = (),
    node: str = "",
    actor=None,
) -> Event:
    """Write an event in the current transaction and broadcast it after commit.

    ``user_ids`` and ``node`` are its audience: the users named, and whoever may see ``node``.
    An event with neither is visible to staff only.
    """
    audience = list(dict.fromkeys(str(uuid.UUID(str(user_id))) for user_id in user_ids))
    with transaction.atomic(savepoint=False):
        event = Event.objects.create(
            type=type,
            payload=payload or {},
            audience_users=audience,
            audience_node=node,
            actor=actor,
        )
        EventAudience.objects.bulk_create(
            EventAudience(event=event, user_id=user_id) for user_id in audience
        )
    transaction.on_commit(lambda: broadcast(event.id))
    return event


def broadcast(event_id: int) -> None:
    """Tell live listeners that an event is committed; they fetch and filter it themselves."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(EVENTS_GROUP, {"type": COMMITTED_MESSAGE, "id": event_id})
    except Exception:  # a broadcast failure must never undo a committed write
        logger.exception("Could not broadcast event %s", event_id)
