"""Publish domain events through the outbox: a row in the caller's transaction, then a
broadcast to channel-layer groups once that transaction commits."""

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from nexus_site.events.models import Event

logger = logging.getLogger(__name__)

EVENTS_GROUP = "events"


def publish(
    type: str,  # noqa: A002 - the field is called type in the API
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
    event = Event.objects.create(
        type=type,
        payload=payload or {},
        audience_users=[str(user_id) for user_id in user_ids],
        audience_node=node,
        actor=actor,
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
        async_to_sync(layer.group_send)(EVENTS_GROUP, {"type": "event.committed", "id": event_id})
    except Exception:  # a broadcast failure must never undo a committed write
        logger.exception("Could not broadcast event %s", event_id)
