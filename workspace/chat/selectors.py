"""Every read of chat on behalf of a user: access filtering and the joins callers need.

A public channel is visible to every signed-in user; other rooms follow the relations graph
(owner/member edges). What a caller may not see answers 404.
"""

import datetime
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from nexus_site.exceptions import NotFoundError
from nexus_site.queries import first_or_none
from relations.access import visible_filter
from relations.models import Relationship
from workspace.chat.models import ChatMessage, MessageAttachment, ReadPointer, Room, RoomKind
from workspace.chat.services import member_edges, membership_filter, reader_edges, role_of
from workspace.files.selectors import files_visible_to

ATTACH_CHOICES = 100

EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def rooms_visible_to(user) -> QuerySet[Room]:
    """Return the rooms ``user`` may read: public channels and the rooms the graph grants."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Room.objects.none()
    return Room.objects.filter(Q(kind=RoomKind.CHANNEL) | visible_filter(user, Room))


def unread_count(user) -> Coalesce:
    """Return the expression counting others' live messages after ``user``'s read pointer."""
    pointer = ReadPointer.objects.filter(room=OuterRef(OuterRef("pk")), user=user).values(
        "last_read_at"
    )
    unread = (
        ChatMessage.objects.filter(room=OuterRef("pk"), deleted_at__isnull=True)
        .exclude(author=user)
        .filter(
            created_at__gt=Coalesce(
                Subquery(pointer[:1]), Value(EPOCH, output_field=DateTimeField())
            )
        )
        .order_by()
        .values("room")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))


def rooms_unread(user, *, limit: int) -> list[Room]:
    """Return up to ``limit`` rooms ``user`` may read that have unread messages, most unread
    first, with ``unread`` only (the dashboard's panel: no membership or member counts)."""
    rooms = rooms_visible_to(user).only("id", "name").annotate(unread=unread_count(user))
    return list(rooms.filter(unread__gt=0).order_by("-unread")[:limit])


def rooms_with_unread(user) -> QuerySet[Room]:
    """``rooms_visible_to`` with ``unread`` (others' live messages after the read pointer),
    ``is_member`` and ``member_count``, all in the one query."""
    edges = membership_filter()  # edges from users to rooms: ids alone could be another node's
    memberships = Relationship.objects.filter(**edges, target_id=OuterRef("pk"), source_id=user.pk)
    members = (
        Relationship.objects.filter(**edges, target_id=OuterRef("pk"))
        .order_by()
        .values("target_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return rooms_visible_to(user).annotate(
        unread=unread_count(user),
        is_member=Exists(memberships),
        member_count=Coalesce(Subquery(members, output_field=IntegerField()), Value(0)),
    )


def room_get(user, room_id: UUID | str) -> Room:
    """Return one room ``user`` may read (with unread and membership), else 404."""
    room = first_or_none(rooms_with_unread(user), room_id)
    if room is None:
        raise NotFoundError()
    return room


def room_to_post_in(user, room_id: UUID | str) -> Room:
    """Return the room ``user`` may read, to post in (404 otherwise), without the unread and
    member counts; the access decided here is kept for the post (services.reader_edges)."""
    room = first_or_none(Room.objects.all(), room_id)
    if room is None or not getattr(user, "is_authenticated", False):
        raise NotFoundError()
    reader_edges(user, room)
    return room


def room_members(room: Room) -> QuerySet[Relationship]:
    """Return the membership edges of ``room``, oldest first (users loaded by the caller)."""
    return member_edges(room).order_by("created_at", "id")


def users_by_id(ids) -> dict:
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=list(ids))}


def user_by_id(user_id: UUID | str):
    return first_or_none(get_user_model().objects.filter(is_active=True), user_id)


def room_messages(room: Room) -> QuerySet[ChatMessage]:
    """Return ``room``'s messages (deleted ones as markers) with what rendering needs."""
    return (
        ChatMessage.objects.filter(room=room)
        .select_related("author")
        .annotate(reply_count=Count("replies", filter=Q(replies__deleted_at__isnull=True)))
        .prefetch_related(
            Prefetch("attachments", queryset=MessageAttachment.objects.select_related("file")),
            "edits",
        )
    )


def message_get(room: Room, message_id: UUID | str) -> ChatMessage:
    message = first_or_none(room_messages(room), message_id)
    if message is None:
        raise NotFoundError()
    return message


def attachment_get(user, room_id: UUID | str, message_id: UUID | str, file_id: UUID | str):
    """Return a file attached to a live message of a room ``user`` may read; else 404.

    Reading the message is what lets a room's readers download what was posted in it: no one
    gains a grant on the file itself, and deleting the message takes the way in with it.
    """
    room = first_or_none(rooms_visible_to(user), room_id)
    if room is None:
        raise NotFoundError()
    attachment = (
        MessageAttachment.objects.filter(
            message__room=room,
            message_id=message_id,
            message__deleted_at__isnull=True,
            file_id=file_id,
        )
        .select_related("file__blob")
        .first()
    )
    if attachment is None:
        raise NotFoundError()
    return attachment.file


def files_to_attach(user) -> list:
    """Return ``user``'s own latest files, offered for attaching to a message."""
    return list(
        files_visible_to(user).filter(owner=user).order_by("-created_at", "id")[:ATTACH_CHOICES]
    )


def direct_partners(user, rooms) -> dict:
    """Return ``{room id: the other person}`` for the direct conversations among ``rooms``, in
    one query whatever their number (the people carry names and e-mail only)."""
    ids = [room.pk for room in rooms]
    if not ids:
        return {}
    people = get_user_model().objects.filter(pk=OuterRef("source_id"))
    rows = (
        Relationship.objects.filter(
            **membership_filter(),
            target_id__in=Room.objects.filter(pk__in=ids, kind=RoomKind.DIRECT).values("pk"),
        )
        .exclude(source_id=user.pk)
        .annotate(
            first_name=Subquery(people.values("first_name")[:1]),
            last_name=Subquery(people.values("last_name")[:1]),
            email=Subquery(people.values("email")[:1]),
        )
        .values_list("target_id", "source_id", "first_name", "last_name", "email")
    )
    model = get_user_model()
    return {
        room_id: model(
            pk=person_id, first_name=first or "", last_name=last or "", email=email or ""
        )
        for room_id, person_id, first, last, email in rows
    }


def name_direct_rooms(user, rooms) -> None:
    """Give each of ``rooms`` ``partner``: the other person of a direct conversation, else
    None (one query for all of them)."""
    partners = direct_partners(user, rooms)
    for room in rooms:
        room.partner = partners.get(room.pk)


def rooms_of_member(user, *, limit: int) -> list[Room]:
    """Return up to ``limit`` rooms ``user`` belongs to, latest message first, each with
    ``unread`` and ``partner`` (a room page's sidebar: two queries whatever their number)."""
    rooms = list(
        rooms_with_unread(user)
        .filter(is_member=True)
        .order_by("-last_message_at", "-created_at", "id")[:limit]
    )
    name_direct_rooms(user, rooms)
    return rooms


def member_list(room: Room, *, limit: int) -> list[tuple[object, str]]:
    """Return up to ``limit`` members of ``room`` (oldest membership first), each once with
    their role (admin or member), in two queries whatever their number."""
    by_user: dict = {}
    for edge in room_members(room)[: limit * 2]:  # an owner may also hold a member edge
        by_user.setdefault(edge.source_id, []).append(edge)
    users = users_by_id(list(by_user)[:limit])
    return [(users[pk], role_of(edges)) for pk, edges in by_user.items() if pk in users]
