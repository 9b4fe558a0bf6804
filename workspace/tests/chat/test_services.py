"""Chat services: rooms, direct pairs, membership, messages, edits, deletes, mentions, unread."""

import pytest
from django.db import IntegrityError, transaction

from accounts.tests.factories import UserFactory
from nexus_site.events.models import Event
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from workspace.chat import selectors, services
from workspace.chat.models import MessageEdit, Room, RoomKind
from workspace.tests.chat.factories import make_room, post

pytestmark = pytest.mark.django_db


def test_a_private_room_is_seen_by_members_only(user, other_user):
    room = make_room(user)
    assert selectors.rooms_visible_to(user).filter(pk=room.pk).exists()
    assert not selectors.rooms_visible_to(other_user).filter(pk=room.pk).exists()
    with pytest.raises(NotFoundError):
        post(other_user, room)


def test_a_channel_is_seen_by_everyone_and_posting_joins_it(user, other_user):
    room = make_room(user, kind="channel", name="general")
    assert selectors.room_get(other_user, room.pk).is_member is False
    post(other_user, room, "hi")
    assert services.member_role(other_user, room) == "member"


def test_one_direct_conversation_per_pair(user, other_user):
    room, created = services.direct_open(actor=user, other=other_user)
    again, created_again = services.direct_open(actor=other_user, other=user)
    assert created
    assert not created_again
    assert again.pk == room.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.create(kind=RoomKind.DIRECT, pair_key=room.pair_key)
    with pytest.raises(ValidationError):
        services.direct_open(actor=user, other=user)


def test_only_admins_manage_members(user, other_user):
    third = UserFactory()
    room = make_room(user, members=[other_user])
    with pytest.raises(AuthorizationError):
        services.room_member_add(actor=other_user, room=room, user=third)
    services.room_member_add(actor=user, room=room, user=third)
    assert services.member_role(third, room) == "member"
    services.room_member_remove(actor=user, room=room, user=third)
    assert services.member_role(third, room) is None
    with pytest.raises(NotFoundError):
        post(third, room)


def test_replies_stay_in_the_room(user, other_user):
    room = make_room(user, members=[other_user])
    elsewhere = post(user, make_room(user))
    parent = post(user, room, "question")
    reply = post(other_user, room, "answer", reply_to=parent.pk)
    assert reply.reply_to_id == parent.pk
    with pytest.raises(ValidationError):
        post(user, room, "x", reply_to=elsewhere.pk)


def test_edit_keeps_history_and_only_the_author_edits(user, other_user):
    room = make_room(user, members=[other_user])
    message = post(user, room, "first")
    services.message_edit(actor=user, message=message, body="second")
    edit = MessageEdit.objects.get(message=message)
    assert (edit.old_body, edit.editor) == ("first", user)
    message.refresh_from_db()
    assert message.body == "second"
    assert message.edited_at
    with pytest.raises(AuthorizationError):
        services.message_edit(actor=other_user, message=message, body="mine")
    assert Event.objects.filter(type="message_edited").count() == 1


def test_delete_blanks_the_body_by_author_or_admin(user, other_user):
    room = make_room(user, members=[other_user])
    mine = post(other_user, room, "secret")
    theirs = post(user, room, "admin's")
    with pytest.raises(AuthorizationError):
        services.message_delete(actor=other_user, message=theirs)
    services.message_delete(actor=user, message=mine)  # room admin
    mine.refresh_from_db()
    assert mine.body == ""
    assert mine.deleted_at is not None
    assert Event.objects.filter(type="message_deleted").count() == 1


def test_mentions_reach_members_only_and_not_yourself(user, other_user):
    outsider = UserFactory()
    room = make_room(user, members=[other_user])
    post(user, room, f"@{other_user.email} @{outsider.email} @{user.email} look")
    mentions = Event.objects.filter(type="mention")
    assert [event.audience_users for event in mentions] == [[str(other_user.pk)]]


def test_unread_counts_follow_the_read_pointer(user, other_user):
    room = make_room(user, members=[other_user])
    post(user, room, "one")
    post(user, room, "two")
    assert selectors.room_get(other_user, room.pk).unread == 2
    assert selectors.room_get(user, room.pk).unread == 0
    services.room_mark_read(actor=other_user, room=room)
    assert selectors.room_get(other_user, room.pk).unread == 0
    post(user, room, "three")
    assert selectors.room_get(other_user, room.pk).unread == 1


def test_events_use_the_room_as_node(user):
    room = make_room(user)
    post(user, room)
    event = Event.objects.get(type="message_posted")
    assert event.audience_node.endswith(str(room.pk))
