"""Publish domain events through the outbox: a row in the caller's transaction, then a
broadcast to channel-layer groups once that transaction commits."""

import asyncio
import contextlib
import contextvars
import logging
import os
import threading
import uuid
from collections.abc import Coroutine, Iterable, Iterator
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from nexus_site.events.listeners import call_after_commit
from nexus_site.events.models import Event, EventAudience

logger = logging.getLogger(__name__)

EVENTS_GROUP = "events"
COMMITTED_MESSAGE = "event.committed"
# Events and their audience rows in one statement (PostgreSQL); the tables are
# nexus_site.events.models.Event and EventAudience. One row of placeholders per event.
INSERT_WITH_AUDIENCE = """
WITH new_event AS (
    INSERT INTO events_event (type, payload, audience_users, audience_node, actor_id, created_at)
    VALUES {rows} RETURNING id, audience_users
), new_audience AS (
    INSERT INTO events_eventaudience (event_id, user_id)
    SELECT new_event.id, reader::uuid
    FROM new_event, jsonb_array_elements_text(new_event.audience_users) AS reader
)
SELECT id FROM new_event ORDER BY id
"""
EVENT_ROW = "(%s, %s, %s, %s, %s, %s)"


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
    return publish_many([event_of(type, payload, user_ids=user_ids, node=node, actor=actor)])[0]


def event_of(
    type: str,
    payload: dict[str, Any] | None = None,
    *,
    user_ids: Iterable[Any] = (),
    node: str = "",
    actor=None,
) -> Event:
    """Return an unsaved event for ``publish_many`` (the arguments are those of ``publish``)."""
    return Event(
        type=type,
        payload=payload or {},
        audience_users=list(dict.fromkeys(str(uuid.UUID(str(user_id))) for user_id in user_ids)),
        audience_node=node,
        actor=actor,
        created_at=timezone.now(),
    )


def publish_many(events: list[Event], *, held: bool = False) -> list[Event]:
    """Write unsaved events (``event_of``) in the current transaction, in order, and
    broadcast them after commit; one statement for all of them on PostgreSQL.

    ``held`` inside ``holding_events()``: keep them to be written with the next events
    published without it, or when the block ends, in the order they were published (their
    ids are not known until then).
    """
    waiting = _held_events.get()
    if held and waiting is not None:
        waiting.extend(events)
        return events
    if waiting:
        events, written = [*waiting, *events], events
        waiting.clear()
    else:
        written = events
    if not events:
        return written
    connection = connections[router.db_for_write(Event)]
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            ids = _insert_with_audience(connection, events)
            for event, event_id in zip(events, ids, strict=True):
                event.id = event_id
        else:
            for event in events:
                event.save(force_insert=True)
                EventAudience.objects.bulk_create(
                    EventAudience(event=event, user_id=user_id) for user_id in event.audience_users
                )
    broadcast_after_commit(connection, [event.id for event in events])
    call_after_commit(events, using=connection.alias)
    return written


_held_events: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar(
    "nexus_held_events", default=None
)


@contextlib.contextmanager
def holding_events() -> Iterator[None]:
    """Write the events published with ``held=True`` in this block together, in one statement
    with the next publish or at the end (many steps of a pattern run in one transaction).

    Inside the caller's transaction: when the block raises, the held events are dropped with
    the transaction that would have contained them.
    """
    token = _held_events.set([])
    try:
        yield
        held = _held_events.get()
        if held:
            publish_many([])
    finally:
        _held_events.reset(token)


PENDING_ATTRIBUTE = "nexus_events_to_broadcast"


class PendingBroadcast:
    """The ids one transaction published, sent together by one flush after it commits."""

    def __init__(self, connection):
        self.connection = connection
        self.ids: list[int] = []

    def flush(self) -> None:
        if self.connection.__dict__.get(PENDING_ATTRIBUTE) is self:
            del self.connection.__dict__[PENDING_ATTRIBUTE]
        if self.ids:
            broadcast(list(dict.fromkeys(self.ids)))


def broadcast_after_commit(connection, event_ids: list[int]) -> None:
    """Queue ``event_ids`` so that each committed transaction is broadcast in one message.

    The first publish of a transaction registers one flush after commit; later ones add their
    id to it. A transaction that publishes many events (a batch of pattern steps) costs the
    channel layer one message, not one per event. When the flush is no longer registered (the
    transaction or the savepoint that registered it was rolled back, and with it those
    events), the queue starts afresh.
    """
    pending = connection.__dict__.get(PENDING_ATTRIBUTE)
    if pending is not None and any(
        callback == pending.flush for _sids, callback, *_rest in connection.run_on_commit
    ):
        pending.ids.extend(event_ids)
        return
    pending = PendingBroadcast(connection)
    pending.ids.extend(event_ids)
    connection.__dict__[PENDING_ATTRIBUTE] = pending
    transaction.on_commit(pending.flush, using=connection.alias)  # now, outside a transaction


def _insert_with_audience(connection, events: list[Event]) -> list[int]:
    """Insert the events and their audience rows in one statement; return their ids in order.

    Publishing is on every write's path (a pattern step publishes at least once), and one
    round trip instead of two per event is most of its cost.
    """
    from psycopg.types.json import Jsonb

    values: list[Any] = []
    for event in events:
        values += [
            event.type,
            Jsonb(event.payload),
            Jsonb(event.audience_users),
            event.audience_node,
            event.actor_id,
            event.created_at,
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_WITH_AUDIENCE.format(rows=", ".join([EVENT_ROW] * len(events))), values
        )
        return [row[0] for row in cursor.fetchall()]


def broadcast(event_ids: int | list[int]) -> None:
    """Tell live listeners that events are committed; they fetch and filter them themselves."""
    from channels.layers import get_channel_layer

    ids = [event_ids] if isinstance(event_ids, int) else list(event_ids)
    layer = get_channel_layer()
    if layer is None or not ids:
        return
    try:
        run_async(layer.group_send(EVENTS_GROUP, {"type": COMMITTED_MESSAGE, "ids": ids}))
    except Exception:  # a broadcast failure must never undo a committed write
        logger.exception("Could not broadcast events %s", ids)


_thread_loops = threading.local()


def run_async(awaitable: Coroutine[Any, Any, Any]) -> Any:
    """Run ``awaitable`` from sync code and return its result.

    In a thread the ASGI server runs sync code in, hand it to the server's loop
    (``async_to_sync``). Elsewhere (workers, commands) reuse one loop per thread: a new loop
    per call, which is what ``async_to_sync`` does there, also costs the channel layer a new
    Redis connection every time, several milliseconds per event.
    """
    from asgiref.sync import SyncToAsync, async_to_sync

    server_loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    in_server_thread = server_loop is not None and server_loop.is_running()
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if in_server_thread or in_loop:

        async def wrapped():
            return await awaitable

        return async_to_sync(wrapped)()
    loop = getattr(_thread_loops, "loop", None)
    if loop is None or loop.is_closed() or _thread_loops.pid != os.getpid():
        loop = asyncio.new_event_loop()
        _thread_loops.loop, _thread_loops.pid = loop, os.getpid()
    return loop.run_until_complete(awaitable)
