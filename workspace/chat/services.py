"""Every write on chat: rooms, direct conversations, membership, messages and read pointers.

Each function is one transaction, takes keyword arguments and raises only BaseAppException
subclasses. A room the actor may not see answers NotFoundError (404); a visible one they may not
change AuthorizationError (403). Reading a room needs ``view`` (every signed-in user sees a public
channel); posting needs membership (posting in a channel joins it); managing members needs the
room admin role (the creator, or a member edge with {"role": "admin"}, or the global admin).

Events go out through the outbox with the room as their node; after commit each message change
is also sent to the room's WebSocket group (workspace.chat.realtime).
"""

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType, Permission, RelationType, Role
from nexus_site.events.services import publish
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from projects.models import Project
from relations import services as relations
from relations.access import can, grant_level, require_named
from relations.models import Relationship
from relations.nodes import node_of
from search import index as search_index
from workspace.chat import realtime
from workspace.chat.models import (
    ChatMessage,
    MessageAttachment,
    MessageEdit,
    ReadPointer,
    Room,
    RoomKind,
)
from workspace.chat.rendering import posted_message_data
from workspace.files.selectors import files_for_attachment

MAX_NAME_LENGTH = 120
MAX_BODY_LENGTH = 10_000
MAX_ATTACHMENTS = 10
ADMIN = "admin"
MEMBER = "member"
MENTION_RE = re.compile(r"(?<![\w@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")


# --- access ------------------------------------------------------------------------------


def membership_filter() -> dict:
    """Return the lookups every membership edge matches: from a user to a room, owner or
    member (the caller adds the ids)."""
    types = relations.content_types_by_label()
    return {
        "source_type": types[get_user_model()._meta.label_lower],
        "target_type": types[Room._meta.label_lower],
        "type__in": [RelationType.OWNER, RelationType.MEMBER],
    }


def member_edges(room: Room):
    """Return the owner/member edges from users to ``room``."""
    return Relationship.objects.filter(**membership_filter(), target_id=room.pk)


def edge_role(edge: Relationship) -> str:
    if edge.type == RelationType.OWNER:
        return ADMIN
    return ADMIN if (edge.metadata or {}).get("role") == ADMIN else MEMBER


def member_role(user, room: Room) -> str | None:
    """Return ``user``'s role in ``room`` (admin or member), or None when not a member."""
    if not getattr(user, "is_authenticated", False):
        return None
    return role_of(list(member_edges(room).filter(source_id=user.pk)))


def role_of(edges: list[Relationship]) -> str | None:
    """Return the role the membership edges of one user in a room give (None: not a member)."""
    roles = [edge_role(edge) for edge in edges]
    if not roles:
        return None
    return ADMIN if ADMIN in roles else MEMBER


def reader_edges(user, room: Room) -> list[Relationship]:
    """Return ``user``'s owner/member edges on ``room`` once they may read it (else
    NotFoundError), and keep them on the room for the rest of the request.

    One read of the edges decides both: a live owner or member edge on the room itself lets an
    active user read it, so the graph is asked only without one.
    """
    held = getattr(room, "reader_edges", None)
    if held is not None and held[0] == user.pk:
        return held[1]
    edges = list(member_edges(room).filter(source_id=user.pk))
    now = timezone.now()
    live = any(grant_level(edge.type, edge.metadata or {}, now=now) for edge in edges)
    if not (live and user.is_active):
        ensure_view(user, room)
    room.reader_edges = (user.pk, edges)
    return edges


def poster_role(actor, room: Room) -> str | None:
    """Return ``actor``'s role in ``room`` (None: not a member) once they may read it."""
    return role_of(reader_edges(actor, room))


def member_ids(room: Room) -> set:
    return set(member_edges(room).values_list("source_id", flat=True))


def may_view(user, room: Room) -> bool:
    """Return whether ``user`` may read ``room``: any signed-in user for a channel."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return room.kind == RoomKind.CHANNEL or can(user, Permission.VIEW, node_of(room))


def ensure_view(user, room: Room) -> None:
    if not may_view(user, room):
        raise NotFoundError()


def is_room_admin(user, room: Room) -> bool:
    return user.role == Role.ADMIN or member_role(user, room) == ADMIN


def ensure_admin(user, room: Room) -> None:
    ensure_view(user, room)
    if not is_room_admin(user, room):
        raise AuthorizationError(_("Only the room's admins may do this."))


def clean_name(name: Any) -> str:
    name = str(name or "").strip()
    if not name:
        raise ValidationError(details={"name": [str(_("A room needs a name."))]})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            details={
                "name": [
                    str(_("A name has at most %(limit)d characters.") % {"limit": MAX_NAME_LENGTH})
                ]
            }
        )
    return name


def clean_body(body: Any, *, has_attachments: bool = False) -> str:
    body = str(body or "").strip()
    if not body and not has_attachments:
        raise ValidationError(details={"body": [str(_("A message cannot be empty."))]})
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(
            details={
                "body": [
                    str(
                        _("A message has at most %(limit)d characters.")
                        % {"limit": MAX_BODY_LENGTH}
                    )
                ]
            }
        )
    return body


def add_edge(*, room: Room, user, role: str, actor, owner: bool = False) -> Relationship:
    return relations.relationship_record(
        source=node_of(user),
        target=node_of(room),
        type=RelationType.OWNER if owner else RelationType.MEMBER,
        metadata={"role": role},
        created_by=actor,
    )


# --- rooms -------------------------------------------------------------------------------


@transaction.atomic
def room_create(
    *,
    actor,
    kind: str,
    name: str,
    topic: str = "",
    members: list | tuple = (),
    project: Project | None = None,
) -> Room:
    """Create a channel or private room owned (administered) by ``actor`` with ``members``,
    optionally in ``project`` (one the actor may edit), whose members then see the room."""
    if not getattr(actor, "is_authenticated", False) or actor.role == Role.GUEST:
        raise AuthorizationError(_("Guests cannot create rooms."))
    if kind not in (RoomKind.CHANNEL, RoomKind.PRIVATE):
        raise ValidationError(
            details={"kind": [str(_("Choose channel or private; use direct for two people."))]}
        )
    if project is not None:
        require_named(
            actor, Permission.EDIT, project, field="project", message=_("No such project.")
        )
    room = Room(
        kind=kind,
        name=clean_name(name),
        topic=str(topic or "")[:300],
        project=project,
        created_by=actor,
    )
    room.save(force_insert=True)
    add_edge(room=room, user=actor, role=ADMIN, actor=actor, owner=True)
    for user in members:
        if user.pk != actor.pk:
            add_edge(room=room, user=user, role=MEMBER, actor=actor)
    return room


def pair_key(first, second) -> str:
    return ":".join(sorted([str(first.pk), str(second.pk)]))


def direct_open(*, actor, other) -> tuple[Room, bool]:
    """Return the one direct conversation between ``actor`` and ``other`` (created if new)."""
    if not getattr(actor, "is_authenticated", False):
        raise AuthorizationError()
    if other is None or not other.is_active:
        raise ValidationError(details={"user": [str(_("No such user."))]})
    if other.pk == actor.pk:
        raise ValidationError(details={"user": [str(_("Choose someone else."))]})
    key = pair_key(actor, other)
    existing = Room.objects.filter(pair_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            room = Room(kind=RoomKind.DIRECT, pair_key=key, created_by=actor)
            room.save(force_insert=True)
            add_edge(room=room, user=actor, role=MEMBER, actor=actor)
            add_edge(room=room, user=other, role=MEMBER, actor=actor)
            return room, True
    except IntegrityError:  # the other side opened it at the same moment
        return Room.objects.get(pair_key=key), False


@transaction.atomic
def room_join(*, actor, room: Room) -> None:
    """Join a public channel (nothing happens for a member)."""
    ensure_view(actor, room)
    if room.kind != RoomKind.CHANNEL:
        raise AuthorizationError(_("Only public channels can be joined freely."))
    if member_role(actor, room) is None:
        add_edge(room=room, user=actor, role=MEMBER, actor=actor)


@transaction.atomic
def room_member_add(*, actor, room: Room, user, role: str = MEMBER) -> None:
    """Add ``user`` to ``room`` with ``role`` (room admins only; not to direct rooms)."""
    ensure_admin(actor, room)
    if room.kind == RoomKind.DIRECT:
        raise AuthorizationError(_("A direct conversation always has its two people."))
    if role not in (ADMIN, MEMBER):
        raise ValidationError(details={"role": [str(_("Choose admin or member."))]})
    if user is None or not user.is_active:
        raise ValidationError(details={"user": [str(_("No such user."))]})
    edges = list(member_edges(room).filter(source_id=user.pk))
    if any(edge.type == RelationType.OWNER for edge in edges):
        return
    for edge in edges:
        relations.relationship_erase(relationship=edge, actor=actor)
    add_edge(room=room, user=user, role=role, actor=actor)


@transaction.atomic
def room_member_remove(*, actor, room: Room, user) -> None:
    """Remove ``user`` from ``room``: room admins remove anyone, members remove themselves."""
    ensure_view(actor, room)
    if room.kind == RoomKind.DIRECT:
        raise AuthorizationError(_("A direct conversation always has its two people."))
    if user.pk != actor.pk and not is_room_admin(actor, room):
        raise AuthorizationError(_("Only the room's admins may do this."))
    edges = list(member_edges(room).filter(source_id=user.pk))
    if not edges:
        raise NotFoundError(_("This user is not a member of the room."))
    for edge in edges:
        relations.relationship_erase(relationship=edge, actor=actor)
    realtime.revoke_on_commit(room.pk, user.pk)


# --- messages ----------------------------------------------------------------------------


def message_event(
    type: str, message: ChatMessage, *, actor, rendered: dict | None = None, **extra: Any
) -> None:
    """Write the event for ``message`` (node: its room) and send it to the room's sockets
    (``rendered``: its API shape when the caller holds it, else read after commit)."""
    publish(
        type,
        {
            "room": str(message.room_id),
            "message": str(message.pk),
            "author": str(message.author_id) if message.author_id else None,
            **extra,
        },
        node=str(node_of(message.room)),
        actor=actor,
    )
    realtime.send_on_commit(type, message, rendered=rendered)


def mentioned_members(body: str, room: Room, *, actor) -> list:
    """Return the members of ``room`` written ``@email`` in ``body`` (not ``actor``)."""
    emails = {email.lower() for email in MENTION_RE.findall(body)}
    if not emails:
        return []
    members = member_ids(room) - {actor.pk}
    users = get_user_model().objects.filter(pk__in=members, is_active=True)
    return [user for user in users if user.email.lower() in emails]


def announce_mentions(message: ChatMessage, users: list, *, actor, already=()) -> None:
    for user in users:
        if user.pk in already:
            continue
        publish(
            EventType.MENTION,
            {
                "room": str(message.room_id),
                "message": str(message.pk),
                "author": str(actor.pk),
                "excerpt": message.body[:200],
            },
            user_ids=[user.pk],
            actor=actor,
        )


@transaction.atomic
def message_post(
    *,
    actor,
    room: Room,
    body: str,
    reply_to: Any = None,
    attachments: list | tuple = (),
) -> ChatMessage:
    """Post a message in ``room``. Posting in a public channel joins it; other rooms need
    membership. ``reply_to`` is a message id of the same room; ``attachments`` file ids the
    author may see. Readers of the room reach the files through the message
    (selectors.attachment_get), never through a grant on the file: nobody gains the file
    itself, and a deleted message takes its attachments with it.

    Access is decided once, by ``poster_role``. The message comes back with ``rendered``, its
    API shape built from what the post holds, which is also what the room's sockets get."""
    if poster_role(actor, room) is None:
        if room.kind != RoomKind.CHANNEL:
            raise AuthorizationError(_("Only members may post in this room."))
        add_edge(room=room, user=actor, role=MEMBER, actor=actor)
    attachment_ids = list(attachments or [])
    if len(attachment_ids) > MAX_ATTACHMENTS:
        raise ValidationError(
            details={
                "attachments": [
                    str(_("At most %(limit)d files per message.") % {"limit": MAX_ATTACHMENTS})
                ]
            }
        )
    files = files_for_attachment(actor, attachment_ids) if attachment_ids else []
    body = clean_body(body, has_attachments=bool(files))
    parent = None
    if reply_to not in (None, ""):
        parent = first_message(room, reply_to)
        if parent is None:
            raise ValidationError(details={"reply_to": [str(_("No such message in this room."))]})
        if parent.reply_to_id is not None:  # threads are one level deep
            parent = parent.reply_to
    mentioned = mentioned_members(body, room, actor=actor)
    now = timezone.now()
    message = ChatMessage(
        room=room,
        author=actor,
        body=body,
        reply_to=parent,
        mentions=[str(user.pk) for user in mentioned],
        created_at=now,
    )
    message.save(force_insert=True)
    search_index.entry_update(message)
    Room.objects.filter(pk=room.pk).update(last_message_at=now)
    if files:
        MessageAttachment.objects.bulk_create(
            MessageAttachment(message=message, file=file) for file in files
        )
    ReadPointer.objects.bulk_create(
        [ReadPointer(room=room, user=actor, last_read_at=now)],
        update_conflicts=True,
        unique_fields=["room", "user"],
        update_fields=["last_read_at"],
    )
    message.rendered = posted_message_data(message, author=actor, files=files)
    message_event(EventType.MESSAGE_POSTED, message, actor=actor, rendered=message.rendered)
    announce_mentions(message, mentioned, actor=actor)
    return message


def first_message(room: Room, message_id: Any) -> ChatMessage | None:
    from workspace.chat.selectors import first_or_none

    return first_or_none(
        ChatMessage.objects.filter(room=room, deleted_at__isnull=True).select_related("reply_to"),
        message_id,
    )


def locked(message: ChatMessage) -> ChatMessage:
    return ChatMessage.objects.select_for_update().select_related("room").get(pk=message.pk)


@transaction.atomic
def message_edit(*, actor, message: ChatMessage, body: str) -> ChatMessage:
    """Change the body of the author's own message, keeping the old body as a MessageEdit."""
    ensure_view(actor, message.room)
    current = locked(message)
    if current.is_deleted:
        raise NotFoundError()
    if current.author_id != actor.pk:
        raise AuthorizationError(_("Only the author may edit a message."))
    body = clean_body(body, has_attachments=current.attachments.exists())
    if body == current.body:
        return current
    now = timezone.now()
    MessageEdit.objects.create(message=current, editor=actor, old_body=current.body, edited_at=now)
    before = set(current.mentions or [])
    mentioned = mentioned_members(body, current.room, actor=actor)
    current.body = body
    current.edited_at = now
    current.mentions = [str(user.pk) for user in mentioned]
    current.save(update_fields=["body", "edited_at", "mentions"])
    search_index.entry_update(current)
    message_event(EventType.MESSAGE_EDITED, current, actor=actor)
    announce_mentions(
        current, [user for user in mentioned if str(user.pk) not in before], actor=actor
    )
    return current


@transaction.atomic
def message_delete(*, actor, message: ChatMessage) -> ChatMessage:
    """Delete a message (its author or a room admin): the body, attachments and history go,
    a marker with ``deleted_at`` stays so threads keep their shape."""
    ensure_view(actor, message.room)
    current = locked(message)
    if current.is_deleted:
        raise NotFoundError()
    if current.author_id != actor.pk and not is_room_admin(actor, current.room):
        raise AuthorizationError(_("Only the author or a room admin may delete a message."))
    current.body = ""
    current.mentions = []
    current.deleted_at = timezone.now()
    current.save(update_fields=["body", "mentions", "deleted_at"])
    search_index.entry_update(current)
    current.edits.all().delete()
    current.attachments.all().delete()
    message_event(EventType.MESSAGE_DELETED, current, actor=actor)
    return current


@transaction.atomic
def room_mark_read(*, actor, room: Room, until=None) -> ReadPointer:
    """Move ``actor``'s read pointer in ``room`` to ``until`` (default now); never backwards."""
    ensure_view(actor, room)
    until = until or timezone.now()
    pointer, created = ReadPointer.objects.get_or_create(
        room=room, user=actor, defaults={"last_read_at": until}
    )
    if not created and pointer.last_read_at < until:
        pointer.last_read_at = until
        pointer.save(update_fields=["last_read_at"])
    return pointer
