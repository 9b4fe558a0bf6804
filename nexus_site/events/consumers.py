"""The event log live over WebSocket: replay after a cursor, then stream new events."""

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from nexus_site.definitions import constants
from nexus_site.events.api.serializers import (
    EVENT_COLUMNS,
    EventSerializer,
    event_body,
    split_types,
)
from nexus_site.events.selectors import event_values_visible_to, event_visible_to
from nexus_site.events.services import EVENTS_GROUP, MAX_TYPE_GROUPS, type_group
from nexus_site.websocket_auth import RevocableSocketMixin

CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_REQUEST = 4400
# How many ids of events sent live a socket remembers, to send each once when it hears of it
# through several of its type groups.
RECENT_SENT = 2000
# A replayed event's own broadcast can still arrive after the replay only if its transaction
# committed around the time we joined; one created longer ago than this has long been sent.
LATE_BROADCAST_WINDOW = timedelta(minutes=15)


def stream_options(query_string: bytes) -> tuple[list[str], str, int | None]:
    """Return the types, pattern and cursor a socket asks for; ValueError for a bad cursor."""
    query = parse_qs(query_string.decode("latin-1"))
    types = split_types(",".join(query.get("types", [])))
    pattern = (query.get("pattern") or [""])[-1].strip()
    raw_after = (query.get("after") or [""])[-1].strip()
    after = int(raw_after) if raw_after else None
    if after is not None and after < 0:
        raise ValueError(raw_after)
    return types, pattern, after


@database_sync_to_async
def replay_batch(
    user: Any, *, after: int, types: list[str], pattern: str
) -> list[tuple[dict, datetime]]:
    """Return the next batch of visible events after ``after``, oldest first.

    Each comes serialized, with its creation time.
    """
    rows = event_values_visible_to(
        user,
        fields=EVENT_COLUMNS,
        size=constants.EVENT_REPLAY_BATCH,
        after=after,
        types=types,
        pattern=pattern,
    )
    return [(event_body(row), row["created_at"]) for row in rows]


@database_sync_to_async
def visible_event(user: Any, event_id: int, *, types: list[str], pattern: str) -> dict | None:
    """Return the serialized event if ``user`` may see it and it passes the filters."""
    event = event_visible_to(user, event_id, types=types, pattern=pattern)
    return None if event is None else dict(EventSerializer(event).data)


def listening_groups(types: list[str]) -> list[str]:
    """Return the groups a socket asking for ``types`` (none: all) joins."""
    groups = [type_group(type) for type in types]
    if not types or len(types) > MAX_TYPE_GROUPS or None in groups:
        return [EVENTS_GROUP]
    return [group for group in groups if group is not None]


class EventsConsumer(RevocableSocketMixin, AsyncJsonWebsocketConsumer):
    """Send the caller every event they may see: those after ``?after=`` first, then live ones.

    The socket joins the group before replaying, so an event committed meanwhile arrives as a
    group message; such a message is dropped when the replay already sent that event. Live
    events are not filtered by id: one committed late with a lower id must still be sent.
    The socket closes with 4401 when the user's credentials are revoked (user_recheck).

    Two group messages (nexus_site.events.services): ``event.committed`` carries ids, read
    back and checked here; ``event.addressed`` carries events that name their users alone,
    rendered, with whom each is for: sent as they are to those users' sockets (staff: all).
    """

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            self.types, self.pattern, after = stream_options(self.scope.get("query_string", b""))
        except ValueError:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        self.user = user
        self.replayed: set[int] = set()
        self.sent: dict[int, None] = {}  # the ids sent live lately, oldest first
        self.event_groups = listening_groups(self.types)
        for group in self.event_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined = True
        await self.follow_revocation()
        if after is not None:
            await self.replay(after)

    async def replay(self, after: int) -> None:
        """Send every visible event after ``after`` in batches, remembering the recent ones."""
        recent_since = timezone.now() - LATE_BROADCAST_WINDOW
        while True:
            batch = await replay_batch(
                self.user, after=after, types=self.types, pattern=self.pattern
            )
            for event, created_at in batch:
                if created_at >= recent_since:
                    self.replayed.add(event["id"])
                await self.send_json(event)
            if len(batch) < constants.EVENT_REPLAY_BATCH:
                return
            after = batch[-1][0]["id"]

    async def disconnect(self, code: int) -> None:
        await self.leave_groups()

    async def leave_groups(self) -> None:
        if getattr(self, "joined", False):
            for group in self.event_groups:
                await self.channel_layer.group_discard(group, self.channel_name)
            self.joined = False
        await self.stop_following_revocation()

    async def close_revoked(self) -> None:
        await self.leave_groups()
        await super().close_revoked()

    async def event_committed(self, message: dict) -> None:
        """Send the newly committed events the caller may see that pass the filters, in order.

        One message carries the ids of one committed transaction (``ids``), and when it can
        their ``types`` in the same order (an id of a type this socket did not ask for is
        skipped unread); ``id`` is the older single-event form.
        """
        event_ids = message.get("ids")
        if not isinstance(event_ids, list):
            event_ids = [message.get("id")]
        types = message.get("types")
        if not isinstance(types, list) or len(types) != len(event_ids):
            types = [None] * len(event_ids)
        for event_id, type in zip(event_ids, types, strict=True):
            if not isinstance(event_id, int) or self.seen_before(event_id):
                continue
            if self.types and type is not None and type not in self.types:
                continue
            event = await visible_event(self.user, event_id, types=self.types, pattern=self.pattern)
            if event is not None:
                await self.send_live(event)

    async def event_addressed(self, message: dict) -> None:
        """Send the events of the message that name this socket's user (staff: all of them),
        rendered by the publisher: no check is left but the socket's filters."""
        events = message.get("events")
        if not isinstance(events, list):
            return
        if self.user.is_staff:
            positions = range(len(events))
        else:
            positions = (message.get("to") or {}).get(str(self.user.pk)) or []
        for position in positions:
            event = events[position] if 0 <= position < len(events) else None
            if not isinstance(event, dict) or not isinstance(event.get("id"), int):
                continue
            if self.seen_before(event["id"]):
                continue
            if self.types and event.get("type") not in self.types:
                continue
            if self.pattern and (event.get("payload") or {}).get("pattern") != self.pattern:
                continue
            await self.send_live(event)

    async def send_live(self, event: dict) -> None:
        """Send a live event unless it was sent already (heard through another type group)."""
        if event["id"] in self.sent:
            return
        self.sent[event["id"]] = None
        if len(self.sent) > RECENT_SENT:
            del self.sent[next(iter(self.sent))]
        await self.send_json(event)

    def seen_before(self, event_id: int) -> bool:
        """Return whether ``event_id`` was sent already: by the replay (each event comes live
        once), or live through another of the socket's type groups."""
        if event_id in self.sent:
            return True
        if event_id in self.replayed:
            self.replayed.discard(event_id)
            return True
        return False

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Ignore client messages: this stream is one-way."""
