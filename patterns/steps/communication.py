"""Step types that talk to people: mail.send and chat.post.

Both act as the run's user through the mail and chat services.

``mail.send`` has no undo. The mail services have no recall, and one could not be clean: a
sent message never changes (workspace.mail), and by the time a later step fails every
recipient has had the ``mail_received`` event and, if they asked for it, a notification
e-mail outside Nexus; they may have read it or replied. Removing their copies would hide
that, not undo it. Put a ``mail.send`` step after the steps that may fail, or follow it up
with another message.

``chat.post`` is undone by deleting the message the way its author would (the chat service's
soft delete: a marker stays so a thread keeps its shape). Posting in a public channel the user
had not joined joins it; the undo leaves them in the channel.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from patterns.steps import StepType, register
from patterns.steps.context import StepContext
from patterns.steps.domain import EMAIL, ID, actor_of, checked, still_there
from workspace.chat import selectors as chat_selectors
from workspace.chat import services as chat_services
from workspace.chat.models import Room
from workspace.mail import services as mail_services
from workspace.mail.models import BODY_MAX_LENGTH, MAX_RECIPIENTS, SUBJECT_MAX_LENGTH

ADDRESSES = {"type": "array", "items": EMAIL, "maxItems": MAX_RECIPIENTS}

MAIL_SEND_SCHEMA = {
    "type": "object",
    "properties": {
        "to": {**ADDRESSES, "minItems": 1},
        "cc": ADDRESSES,
        "subject": {"type": "string", "maxLength": SUBJECT_MAX_LENGTH},
        "body": {"type": "string", "maxLength": BODY_MAX_LENGTH},
    },
    "required": ["to", "subject", "body"],
    "additionalProperties": False,
}
CHAT_POST_SCHEMA = {
    "type": "object",
    "properties": {
        "room": ID,
        "body": {"type": "string", "minLength": 1, "maxLength": chat_services.MAX_BODY_LENGTH},
        "reply_to": ID,
    },
    "required": ["room", "body"],
    "additionalProperties": False,
}


def run_mail_send(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Send a message from the run's user to colleagues' addresses; no undo (see above)."""
    parameters = checked(MAIL_SEND_SCHEMA, parameters)
    to, cc = parameters["to"], parameters.get("cc", [])
    entry = mail_services.mail_draft_create(
        actor=actor_of(context),
        to=to,
        cc=cc,
        subject=parameters["subject"],
        body=parameters["body"],
        send=True,
    )
    recipients = mail_services.normalized_addresses(to) + mail_services.normalized_addresses(cc)
    return {"message": str(entry.pk), "recipients": len(recipients)}


def run_chat_post(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Post a message in a room the run's user may post in."""
    parameters = checked(CHAT_POST_SCHEMA, parameters)
    actor = actor_of(context)
    room = chat_selectors.room_get(actor, parameters["room"])
    message = chat_services.message_post(
        actor=actor, room=room, body=parameters["body"], reply_to=parameters.get("reply_to")
    )
    return {"message": str(message.pk), "room": str(room.pk)}


def undo_chat_post(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Delete the posted message, unless someone deleted it already."""
    actor = actor_of(context)
    room_id, message_id = (output or {}).get("room"), (output or {}).get("message")
    room = still_there(lambda: chat_selectors.room_get(actor, room_id), Room, room_id)
    if room is None:
        return
    message = chat_selectors.room_messages(room).filter(pk=message_id).first()
    if message is None or message.is_deleted:
        return
    chat_services.message_delete(actor=actor, message=message)


register(
    StepType(
        name="mail.send",
        description=_("Send an internal mail message (it cannot be undone)."),
        schema=MAIL_SEND_SCHEMA,
        run=run_mail_send,
    )
)

register(
    StepType(
        name="chat.post",
        description=_("Post a message in a chat room."),
        schema=CHAT_POST_SCHEMA,
        run=run_chat_post,
        undo=undo_chat_post,
    )
)
