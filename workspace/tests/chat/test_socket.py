"""/ws/chat/<room_id>/: who may connect, live delivery to every member, posting through the
socket with error frames, and the same on the Redis layer."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from accounts.authentication import VersionedRefreshToken
from accounts.tests.factories import UserFactory
from conftest import SOCKET_ORIGIN
from nexus_site.asgi import application
from projects.services import project_member_remove
from projects.tests.factories import ProjectFactory, add_member
from workspace.chat import consumers, services
from workspace.chat.models import ChatMessage
from workspace.tests.chat.factories import make_room, post

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]


def token(user) -> str:
    return str(VersionedRefreshToken.for_user(user).access_token)


def socket(room_id, access=None, headers=None) -> WebsocketCommunicator:
    """``access``: an access token made beforehand (making one touches the database)."""
    query = f"?token={access}" if access else ""
    return WebsocketCommunicator(
        application, f"/ws/chat/{room_id}/{query}", headers=[SOCKET_ORIGIN, *(headers or [])]
    )


async def close_code(communicator: WebsocketCommunicator) -> int:
    connected, code = await communicator.connect()
    if connected:
        message = await communicator.receive_output(timeout=3)
        assert message["type"] == "websocket.close"
        code = message["code"]
    return code


def test_anonymous_is_4401_and_a_hidden_room_is_4403(user, other_user):
    room = make_room(other_user)
    access = token(user)

    async def scenario():
        return (
            await close_code(socket(room.pk)),
            await close_code(socket(room.pk, access)),
            await close_code(socket(uuid.uuid4(), access)),
        )

    assert async_to_sync(scenario)() == (4401, 4403, 4403)


def test_members_receive_posted_edited_and_deleted_messages(user, other_user):
    room = make_room(user, members=[other_user])
    apost = database_sync_to_async(post)
    aedit = database_sync_to_async(services.message_edit)
    adelete = database_sync_to_async(services.message_delete)
    mine_token, their_token = token(user), token(other_user)

    async def scenario():
        mine, theirs = socket(room.pk, mine_token), socket(room.pk, their_token)
        assert (await mine.connect())[0]
        assert (await theirs.connect())[0]
        message = await apost(user, room, "hello")
        frames = [await theirs.receive_json_from(timeout=3), await mine.receive_json_from(3)]
        await aedit(actor=user, message=message, body="hello all")
        edited = await theirs.receive_json_from(timeout=3)
        await adelete(actor=user, message=message)
        deleted = await theirs.receive_json_from(timeout=3)
        await mine.disconnect()
        await theirs.disconnect()
        return frames, edited, deleted

    frames, edited, deleted = async_to_sync(scenario)()
    assert [(f["type"], f["message"]["body"]) for f in frames] == [("message_posted", "hello")] * 2
    assert (edited["type"], edited["message"]["body"]) == ("message_edited", "hello all")
    assert edited["message"]["edits"][0]["old_body"] == "hello"
    assert (deleted["type"], deleted["message"]["body"]) == ("message_deleted", "")


def session_cookie(user, settings) -> tuple[bytes, bytes]:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode())


def test_members_post_through_the_socket_and_errors_come_back(user, other_user, settings):
    room = make_room(user, members=[other_user])
    outsider_room = make_room(other_user)
    cookie = session_cookie(user, settings)
    their_token = token(other_user)

    async def scenario():
        mine = socket(room.pk, headers=[cookie])
        theirs = socket(room.pk, their_token)
        assert (await mine.connect())[0]
        assert (await theirs.connect())[0]
        await mine.send_json_to({"action": "post", "body": "via socket"})
        received = await theirs.receive_json_from(timeout=3)
        await mine.receive_json_from(timeout=3)  # its own message comes back too
        await mine.send_json_to({"action": "post", "body": "  "})
        empty = await mine.receive_json_from(timeout=3)
        await mine.send_json_to({"action": "post", "reply_to": "nope", "body": "x"})
        bad_reply = await mine.receive_json_from(timeout=3)
        await mine.send_json_to({"action": "dance"})
        unknown = await mine.receive_json_from(timeout=3)
        await mine.send_to(text_data="not json")
        garbage = await mine.receive_json_from(timeout=3)
        await mine.disconnect()
        await theirs.disconnect()
        return received, empty, bad_reply, unknown, garbage

    received, empty, bad_reply, unknown, garbage = async_to_sync(scenario)()
    assert received["message"]["body"] == "via socket"
    assert received["message"]["author"] == str(user.pk)
    assert empty["error"]["code"] == "validation"
    assert "body" in empty["error"]["details"]
    assert "reply_to" in bad_reply["error"]["details"]
    assert unknown["type"] == garbage["type"] == "error"
    assert ChatMessage.objects.filter(room=room).count() == 1
    assert not ChatMessage.objects.filter(room=outsider_room).exists()


@pytest.mark.services
def test_delivery_on_the_redis_layer(user, other_user, settings):
    assert "redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    test_members_receive_posted_edited_and_deleted_messages(user, other_user)


def test_members_edit_and_delete_through_the_socket(user, other_user):
    room = make_room(user, members=[other_user])
    message = post(other_user, room, "draft")
    mine_token, their_token = token(user), token(other_user)

    async def scenario():
        mine, theirs = socket(room.pk, mine_token), socket(room.pk, their_token)
        assert (await mine.connect())[0]
        assert (await theirs.connect())[0]
        await mine.send_json_to({"action": "edit", "message": str(message.pk), "body": "hijack"})
        not_author = await mine.receive_json_from(timeout=3)
        await theirs.send_json_to({"action": "edit", "message": str(message.pk), "body": "final"})
        edited = await mine.receive_json_from(timeout=3)
        await theirs.receive_json_from(timeout=3)
        await theirs.send_json_to({"action": "edit", "message": "nope", "body": "x"})
        missing = await theirs.receive_json_from(timeout=3)
        await mine.send_json_to({"action": "delete", "message": str(message.pk)})  # room admin
        deleted = await theirs.receive_json_from(timeout=3)
        await mine.disconnect()
        await theirs.disconnect()
        return not_author, edited, missing, deleted

    not_author, edited, missing, deleted = async_to_sync(scenario)()
    assert not_author["error"]["code"] == "authorization"
    assert (edited["type"], edited["message"]["body"]) == ("message_edited", "final")
    assert edited["message"]["edited_at"]
    assert missing["error"]["code"] == "not_found"
    assert deleted["type"] == "message_deleted"
    assert deleted["message"]["deleted_at"]
    message.refresh_from_db()
    assert message.is_deleted
    assert message.edits.count() == 0


def test_a_removed_or_leaving_member_is_closed_with_4403_at_once(user, other_user):
    third = UserFactory()
    room = make_room(user, members=[other_user, third])
    channel = make_room(user, kind="channel", name="Open", members=[third])
    remove = database_sync_to_async(services.room_member_remove)
    apost = database_sync_to_async(post)
    tokens = {who.pk: token(who) for who in (user, other_user, third)}

    async def scenario():
        admin, removed, leaving = (socket(room.pk, tokens[w.pk]) for w in (user, other_user, third))
        in_channel = socket(channel.pk, tokens[third.pk])
        for communicator in (admin, removed, leaving, in_channel):
            assert (await communicator.connect())[0]
        await remove(actor=user, room=room, user=other_user)
        removed_close = await removed.receive_output(timeout=3)
        await remove(actor=third, room=room, user=third)  # leaving
        leaving_close = await leaving.receive_output(timeout=3)
        await remove(actor=third, room=channel, user=third)  # a channel stays readable
        await apost(user, channel, "still here")
        channel_frame = await in_channel.receive_json_from(timeout=3)
        await apost(user, room, "admins only now")
        admin_frame = await admin.receive_json_from(timeout=3)
        for communicator in (admin, in_channel):
            await communicator.disconnect()
        return removed_close, leaving_close, channel_frame, admin_frame

    removed_close, leaving_close, channel_frame, admin_frame = async_to_sync(scenario)()
    assert (removed_close["type"], removed_close["code"]) == ("websocket.close", 4403)
    assert leaving_close["code"] == 4403
    assert channel_frame["message"]["body"] == "still here"
    assert admin_frame["message"]["body"] == "admins only now"


@pytest.mark.services
def test_removal_closes_on_the_redis_layer(user, other_user, settings):
    assert "redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    test_a_removed_or_leaving_member_is_closed_with_4403_at_once(user, other_user)


def test_access_lost_elsewhere_closes_the_socket_at_the_next_check(user, other_user, monkeypatch):
    project = ProjectFactory(owner=user)
    add_member(project, user=other_user)
    room = services.room_create(actor=user, kind="private", name="Team", project=project)
    apost = database_sync_to_async(post)
    unshare = database_sync_to_async(project_member_remove)
    their_token = token(other_user)

    async def scenario():
        theirs = socket(room.pk, their_token)
        assert (await theirs.connect())[0]
        await apost(user, room, "before")
        before = await theirs.receive_json_from(timeout=3)
        await unshare(actor=user, project=project, user=other_user)
        monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0)
        await apost(user, room, "after")
        closed = await theirs.receive_output(timeout=3)
        return before, closed

    before, closed = async_to_sync(scenario)()
    assert before["message"]["body"] == "before"
    assert (closed["type"], closed["code"]) == ("websocket.close", 4403)
