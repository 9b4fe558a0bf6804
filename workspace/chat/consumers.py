"""The room socket /ws/chat/<room_id>/: live posted, edited and deleted messages; clients post.

Closes with 4401 for an anonymous socket and 4403 for a room the user may not read, also at
once when the user leaves or is removed and so loses access. Closes with 4401 when the user's
credentials are revoked (logout-all, a new password, deactivation: nexus_site.websocket_auth),
and re-reads the user before every frame it accepts, so a revoked user never posts. Frames sent:
``{"type": "message_posted"|"message_edited"|"message_deleted", "message": {...}}`` (the API's
message shape) and ``{"type": "error", "error": {"code", "message", "details"}}`` for a bad
client frame. A client posts with ``{"action": "post", "body", "reply_to"?, "attachments"?}``,
edits with ``{"action": "edit", "message", "body"}`` and deletes with ``{"action": "delete",
"message"}``, through the same services (and validation) as the API; the change comes back to
every socket of the room, the sender's included.
"""

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError as DRFValidationError

from nexus_site.exceptions import BaseAppException, NotFoundError
from nexus_site.websocket_auth import RevocableSocketMixin
from workspace.chat import selectors, services
from workspace.chat.api.serializers import (
    ChatMessageCreateInputSerializer,
    ChatMessageUpdateInputSerializer,
)
from workspace.chat.models import Room
from workspace.chat.realtime import room_group, user_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
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
        if await visible_room(user, self.room_id) is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        self.access_checked_at = time.monotonic()
        self.groups_joined = [room_group(self.room_id), user_group(self.room_id, user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.follow_revocation()

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
        await self.send_json({"type": event.get("event"), "message": event.get("message")})

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
