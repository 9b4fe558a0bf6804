"""The room socket /ws/chat/<room_id>/: live posted, edited and deleted messages; clients post.

Closes with 4401 for an anonymous socket and 4403 for a room the user may not read, also at
once when the user leaves or is removed and so loses access. Closes with 4401 when the user's
credentials are revoked (logout-all, a new password, deactivation: nexus_site.websocket_auth),
and re-reads the user before every frame it accepts, so a revoked user never posts. Frames sent:
``{"type": "message_posted"|"message_edited"|"message_deleted", "message": {...}, "cursor"}``
(the API's message shape; ``cursor`` is the time of that change) and ``{"type": "error",
"error": {"code", "message", "details"}}`` for a bad client frame.

A client that reconnects with ``?after=<cursor>`` (the cursor of the last frame it received)
first gets every message of the room posted, edited or deleted since, oldest change first,
each in its current state, then the live frames; a bad cursor closes with 4400. The replay
starts REPLAY_OVERLAP before the cursor, so a write that committed late is not lost, and may
repeat a change the client already holds: clients keep messages by id.

A client posts with ``{"action": "post", "body", "reply_to"?, "attachments"?}``, edits with
``{"action": "edit", "message", "body"}`` and deletes with ``{"action": "delete", "message"}``,
through the same services (and validation) as the API; the change comes back to every socket
of the room, the sender's included.
"""

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError as DRFValidationError

from nexus_site.definitions import constants
from nexus_site.exceptions import BaseAppException, NotFoundError
from nexus_site.websocket_auth import RevocableSocketMixin
from workspace.chat import selectors, services
from workspace.chat.api.serializers import (
    ChatMessageCreateInputSerializer,
    ChatMessageOutputSerializer,
    ChatMessageUpdateInputSerializer,
)
from workspace.chat.models import ChatMessage, Room
from workspace.chat.realtime import room_group, user_group

CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# A replay starts this long before the cursor: a change timestamped just before it may have
# committed just after the client received the cursor's frame.
REPLAY_OVERLAP = timedelta(seconds=10)
# How stale a socket's view of its access may get before the next message re-checks it.
ACCESS_RECHECK_SECONDS = 30


@database_sync_to_async
def visible_room(user: Any, room_id: str) -> Room | None:
    return selectors.first_or_none(selectors.rooms_visible_to(user), room_id)


@database_sync_to_async
def post_message(user: Any, room_id: str, content: dict) -> None:
    room = selectors.first_or_none(selectors.rooms_visible_to(user), room_id)
    if room is None:
        raise NotFoundError()
    serializer = ChatMessageCreateInputSerializer(data=content)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    services.message_post(
        actor=user,
        room=room,
        body=data.get("body", ""),
        reply_to=data.get("reply_to"),
        attachments=data.get("attachments") or [],
    )


@database_sync_to_async
def change_message(user: Any, room_id: str, content: dict) -> None:
    """Edit (``{"action": "edit", "message", "body"}``) or delete (``{"action": "delete",
    "message"}``) one message through the services, as the API does."""
    room = selectors.first_or_none(selectors.rooms_visible_to(user), room_id)
    if room is None:
        raise NotFoundError()
    message = selectors.message_get(room, str(content.get("message") or ""))
    if content["action"] == "delete":
        services.message_delete(actor=user, message=message)
        return
    serializer = ChatMessageUpdateInputSerializer(data=content)
    serializer.is_valid(raise_exception=True)
    services.message_edit(actor=user, message=message, body=serializer.validated_data["body"])


ACTIONS = {"post": post_message, "edit": change_message, "delete": change_message}

CHANGE_TIMES = ("created_at", "edited_at", "deleted_at")


def replay_cursor(query_string: bytes) -> datetime | None:
    """Return the ``?after=`` cursor of a connection, None without one; ValueError if bad."""
    query = parse_qs(query_string.decode("latin-1"))
    # An unencoded "+" of a time zone offset arrives as a space.
    raw = (query.get("after") or [""])[-1].strip().replace(" ", "+")
    if not raw:
        return None
    parsed = parse_datetime(raw)  # ValueError for a well-formed but impossible time
    if parsed is None or timezone.is_naive(parsed):
        raise ValueError(raw)
    return parsed


def format_cursor(moment: datetime) -> str:
    """Return ``moment`` as a cursor: UTC, fixed width, so cursors also sort as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def message_frame(type: str, rendered: dict) -> dict:
    """Return the frame for one change of a rendered message, with the cursor of that change."""
    times = [parse_datetime(rendered[name]) for name in CHANGE_TIMES if rendered.get(name)]
    cursor = format_cursor(max(times)) if times else None
    return {"type": type, "message": rendered, "cursor": cursor}


@database_sync_to_async
def changes_after(
    room: Room, *, cursor: datetime, after: tuple[datetime, Any] | None
) -> tuple[list[dict], tuple[datetime, Any] | None]:
    """Return the next batch of frames for the room's messages changed since the cursor.

    Oldest change first; ``after`` is where the previous batch ended (change time and id),
    and the second item of the result is where this one ends, None when there is no more.
    """
    since = cursor - REPLAY_OVERLAP
    messages = (
        selectors.room_messages(room)
        .annotate(
            changed_at=Greatest(
                "created_at",
                Coalesce("edited_at", "created_at"),
                Coalesce("deleted_at", "created_at"),
            )
        )
        .filter(changed_at__gt=since)
        .order_by("changed_at", "id")
    )
    if after is not None:
        messages = messages.filter(
            Q(changed_at__gt=after[0]) | Q(changed_at=after[0], pk__gt=after[1])
        )
    batch = list(messages[: constants.EVENT_REPLAY_BATCH])
    frames = [
        message_frame(
            replayed_type(message, cursor), dict(ChatMessageOutputSerializer(message).data)
        )
        for message in batch
    ]
    more = len(batch) == constants.EVENT_REPLAY_BATCH
    return frames, ((batch[-1].changed_at, batch[-1].pk) if more else None)


def replayed_type(message: ChatMessage, cursor: datetime) -> str:
    if message.deleted_at is not None:
        return "message_deleted"
    return "message_posted" if message.created_at > cursor else "message_edited"


def error_frame(code: str, message: str, details: Any = None) -> dict:
    return {"type": "error", "error": {"code": code, "message": message, "details": details or {}}}


class ChatConsumer(RevocableSocketMixin, AsyncJsonWebsocketConsumer):
    """One socket on one room: joins the room's group when the user may read the room."""

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.room_id = str(self.scope["url_route"]["kwargs"]["room_id"])
        room = await visible_room(user, self.room_id)
        if room is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        try:
            cursor = replay_cursor(self.scope.get("query_string", b""))
        except ValueError:
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        self.user = user
        self.access_checked_at = time.monotonic()
        self.groups_joined = [room_group(self.room_id), user_group(self.room_id, user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.follow_revocation()
        if cursor is not None:
            # After joining: a change committed meanwhile comes live too (a repeat, not a gap).
            await self.replay(room, cursor)

    async def replay(self, room: Room, cursor: datetime) -> None:
        """Send every change of the room's messages since ``cursor``, in batches."""
        after = None
        while True:
            frames, after = await changes_after(room, cursor=cursor, after=after)
            for frame in frames:
                await self.send_json(frame)
            if after is None:
                return

    async def leave_groups(self) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []
        await self.stop_following_revocation()

    async def close_revoked(self) -> None:
        await self.leave_groups()
        await super().close_revoked()

    async def disconnect(self, code: int) -> None:
        await self.leave_groups()

    async def chat_revoke(self, event: dict) -> None:
        """The user left or was removed: close with 4403 unless they may still read the room
        (a public channel stays readable)."""
        if await visible_room(self.user, self.room_id) is None:
            await self.leave_groups()
            await self.close(code=CLOSE_FORBIDDEN)

    async def chat_event(self, event: dict) -> None:
        """Pass a rendered message change on to the client.

        Leaving or removal closes the socket at once (chat_revoke), as revocation does
        (user_recheck); access lost another way (a project membership ended) or a group message
        lost is caught by a check at most every ACCESS_RECHECK_SECONDS, so no database query is
        spent per message and socket.
        """
        if time.monotonic() - self.access_checked_at > ACCESS_RECHECK_SECONDS:
            if await self.signed_in_user() is None:
                return
            if await visible_room(self.user, self.room_id) is None:
                await self.leave_groups()
                await self.close(code=CLOSE_FORBIDDEN)
                return
            self.access_checked_at = time.monotonic()
        await self.send_json(message_frame(str(event.get("event")), event.get("message") or {}))

    async def receive_json(self, content: Any, **kwargs) -> None:
        action = ACTIONS.get(str(content.get("action"))) if isinstance(content, dict) else None
        if action is None:
            await self.send_json(
                error_frame("bad_request", _('Send {"action": "post"|"edit"|"delete", ...}.'))
            )
            return
        user = await self.signed_in_user()  # every write: the account as it is now
        if user is None:
            return
        try:
            await action(user, self.room_id, content)
        except DRFValidationError as exc:
            await self.send_json(error_frame("validation", _("Invalid data."), exc.detail))
        except BaseAppException as exc:
            await self.send_json(error_frame(exc.code, str(exc.message), exc.details))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data)
        except ValueError:  # not JSON
            await self.send_json(error_frame("bad_request", _("Frames are JSON objects.")))
