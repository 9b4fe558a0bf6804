"""Publish domain events through the outbox: a row in the caller's transaction, then a
broadcast to channel-layer groups once that transaction commits.

Two messages on that group, chosen per event by its audience (``is_addressed``):

- an event with an audience node goes as its id (``COMMITTED_MESSAGE``); each socket reads it
  back and decides whether its user may see it;
- an event addressed only to named users (no node) goes already rendered, with the users it
  names (``ADDRESSED_MESSAGE``): a socket sends the ones naming its user (staff: all), with no
  query. A notification for each of a project's 1,000 members is then one message that the
  channel layer stores once per server process, not 1,000 ids read back by each of 1,000
  sockets (docs/PERFORMANCE.md, Notifications).

Either way a message carries the events' types. A socket that asks for some types only (the
header's bell, a board) joins one group per type (``type_group``) instead of ``EVENTS_GROUP``,
and each message also goes to the groups of the types it carries: a bell is not woken by a
board move, and 1,000 open bells are not woken twice for one budget alert (its event, then the
notifications). A socket asking for several types may get a message twice (once per group); it
sends each event once. One transaction's events keep their order on every socket: they are sent
in runs of the same kind of message, one after the other.
"""

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import re
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
# The events addressed to users alone, rendered, with whom each is for.
ADDRESSED_MESSAGE = "event.addressed"
# A socket asking for at most this many types joins their groups (more: EVENTS_GROUP).
MAX_TYPE_GROUPS = 10
TYPE_GROUP_PREFIX = "events.type."
VALID_GROUP = re.compile(r"^[a-zA-Z0-9\-_.]{1,100}$")
# Events and their audience rows in one statement (PostgreSQL); the tables are
# nexus_site.events.models.Event and EventAudience. One row of placeholders per event.
INSERT_WITH_AUDIENCE = """
WITH new_event AS (
    INSERT INTO events_event
        (type, payload, audience_users, audience_node, actor_id, created_at, chain_depth)
    VALUES {rows} RETURNING id, audience_users
), new_audience AS (
    INSERT INTO events_eventaudience (event_id, user_id)
    SELECT new_event.id, reader::uuid
    FROM new_event, jsonb_array_elements_text(new_event.audience_users) AS reader
)
SELECT id FROM new_event ORDER BY id
"""
EVENT_ROW = "(%s, %s, %s, %s, %s, %s, %s)"

# How many automated runs led to what is being published now: 0 outside any run; inside a
# pattern run, that run's chain depth (the executor sets it). Triggers read it off events to
# stop chains of runs starting runs (patterns.triggers).
_chain_depth: contextvars.ContextVar[int] = contextvars.ContextVar("nexus_chain_depth", default=0)


@contextlib.contextmanager
def chain_depth(depth: int) -> Iterator[None]:
    """Tag every event published in this block with ``depth`` (``Event.chain_depth``)."""
    token = _chain_depth.set(depth)
    try:
        yield
    finally:
        _chain_depth.reset(token)


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
        chain_depth=_chain_depth.get(),
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
    broadcast_after_commit(connection, events)
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
        self.events: list[Event] = []

    def flush(self) -> None:
        if self.connection.__dict__.get(PENDING_ATTRIBUTE) is self:
            del self.connection.__dict__[PENDING_ATTRIBUTE]
        if self.events:
            deliver(list({event.id: event for event in self.events}.values()))


def broadcast_after_commit(connection, events: list[Event]) -> None:
    """Queue ``events`` (saved) so that each committed transaction is delivered at once.

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
        pending.events.extend(events)
        return
    pending = PendingBroadcast(connection)
    pending.events.extend(events)
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
            event.chain_depth,
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_WITH_AUDIENCE.format(rows=", ".join([EVENT_ROW] * len(events))), values
        )
        return [row[0] for row in cursor.fetchall()]


def broadcast(event_ids: int | list[int]) -> None:
    """Tell every live listener that events are committed; they fetch and filter them
    themselves (any event, whatever its audience: the sockets decide)."""
    from channels.layers import get_channel_layer

    ids = [event_ids] if isinstance(event_ids, int) else list(event_ids)
    layer = get_channel_layer()
    if layer is None or not ids:
        return
    try:
        run_async(layer.group_send(EVENTS_GROUP, {"type": COMMITTED_MESSAGE, "ids": ids}))
    except Exception:  # a broadcast failure must never undo a committed write
        logger.exception("Could not broadcast events %s", ids)


def type_group(type: str) -> str | None:
    """Return the group of the sockets asking for events of ``type``, or None when ``type``
    cannot name a group (those sockets stay in ``EVENTS_GROUP``)."""
    group = f"{TYPE_GROUP_PREFIX}{type}"
    return group if VALID_GROUP.fullmatch(group) else None


def groups_of(types) -> list[str]:
    """Return the groups a message carrying events of ``types`` goes to."""
    groups = [EVENTS_GROUP]
    for group in dict.fromkeys(type_group(type) for type in types):
        if group is not None:
            groups.append(group)
    return groups


def is_addressed(event: Event) -> bool:
    """Return whether ``event``'s audience is its named users alone (and staff)."""
    return not event.audience_node


def rendered(event: Event) -> dict[str, Any]:
    """Return ``event`` (saved) as the sockets send it: EventSerializer's shape, with the
    payload as read back from the database."""
    from django.core.serializers.json import DjangoJSONEncoder

    from nexus_site.events.api.serializers import event_body

    payload = json.loads(json.dumps(event.payload, cls=DjangoJSONEncoder))
    with timezone.override(None):  # the sockets render times in the default zone
        return event_body(
            {
                "id": event.id,
                "type": event.type,
                "payload": payload,
                "actor_id": event.actor_id,
                "created_at": event.created_at,
            }
        )


def runs(events: list[Event]) -> list[tuple[bool, list[Event]]]:
    """Split ``events`` into runs of consecutive events of the same message kind, in order."""
    split: list[tuple[bool, list[Event]]] = []
    for event in events:
        addressed = is_addressed(event)
        if split and split[-1][0] == addressed:
            split[-1][1].append(event)
        else:
            split.append((addressed, [event]))
    return split


def deliver(events: list[Event]) -> None:
    """Send committed ``events`` to the sockets that may show them (see the module's text)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None or not events:
        return
    try:
        run_async(deliver_runs(layer, events))
    except Exception:  # a broadcast failure must never undo a committed write
        logger.exception("Could not deliver events %s", [event.id for event in events])


async def deliver_runs(layer, events: list[Event]) -> None:
    for addressed, run in runs(events):
        types = [event.type for event in run]
        if addressed:
            message = addressed_message(run)
        else:
            ids = [event.id for event in run]
            message = {"type": COMMITTED_MESSAGE, "ids": ids, "types": types}
        for group in groups_of(types):
            await layer.group_send(group, message)


def addressed_message(events: list[Event]) -> dict[str, Any]:
    """Return the message carrying ``events`` rendered (``events``) and, for each user they
    name, the positions of theirs in that list (``to``)."""
    to: dict[str, list[int]] = {}
    for position, event in enumerate(events):
        for user_id in event.audience_users:
            to.setdefault(str(user_id), []).append(position)
    return {"type": ADDRESSED_MESSAGE, "events": [rendered(event) for event in events], "to": to}


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
