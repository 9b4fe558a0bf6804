"""/ws/chat/<room_id>/?after=<cursor>: a reconnecting client receives what changed in the room
while it was away (issue 14, section 4)."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.authentication import VersionedRefreshToken
from conftest import SOCKET_ORIGIN
from nexus_site.asgi import application
from workspace.chat import services
from workspace.tests.chat.factories import make_room, post

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]
QUIET = 0.3


def token(user) -> str:
    return str(VersionedRefreshToken.for_user(user).access_token)


def socket(room_id, access: str, after: str | None = None) -> WebsocketCommunicator:
    query = f"?token={access}" + (f"&after={after}" if after is not None else "")
    return WebsocketCommunicator(
        application, f"/ws/chat/{room_id}/{query}", headers=[SOCKET_ORIGIN]
    )


apost = database_sync_to_async(post)
aedit = database_sync_to_async(services.message_edit)
adelete = database_sync_to_async(services.message_delete)


def test_every_frame_carries_a_cursor(user, other_user):
    room = make_room(user, members=[other_user])
    theirs = token(other_user)

    async def scenario():
        communicator = socket(room.pk, theirs)
        assert (await communicator.connect())[0]
        message = await apost(user, room, "hello")
        posted = await communicator.receive_json_from(timeout=3)
        await aedit(actor=user, message=message, body="hello all")
        edited = await communicator.receive_json_from(timeout=3)
        await communicator.disconnect()
        return posted, edited

    posted, edited = async_to_sync(scenario)()
    assert posted["cursor"]
    assert edited["cursor"] > posted["cursor"]


def test_a_reconnecting_client_receives_what_changed_while_it_was_away(user, other_user):
    room = make_room(user, members=[other_user])
    theirs = token(other_user)

    async def scenario():
        first = socket(room.pk, theirs)
        assert (await first.connect())[0]
        kept = await apost(user, room, "seen live")
        cursor = (await first.receive_json_from(timeout=3))["cursor"]
        await first.disconnect()

        await apost(user, room, "posted while away")
        await aedit(actor=user, message=kept, body="edited while away")
        gone = await apost(user, room, "posted and deleted while away")
        await adelete(actor=user, message=gone)

        again = socket(room.pk, theirs, after=cursor)
        assert (await again.connect())[0]
        replayed = []
        while not await again.receive_nothing(timeout=QUIET):
            replayed.append(await again.receive_json_from(timeout=3))
        await apost(user, room, "live again")
        live = await again.receive_json_from(timeout=3)
        await again.disconnect()
        return replayed, live

    replayed, live = async_to_sync(scenario)()
    latest = {}
    for frame in replayed:  # a client keeps the latest state of each message
        latest[frame["message"]["id"]] = (frame["type"], frame["message"]["body"])
    assert sorted(latest.values()) == [
        ("message_deleted", ""),
        ("message_edited", "edited while away"),
        ("message_posted", "posted while away"),
    ]
    assert [frame["cursor"] for frame in replayed] == sorted(f["cursor"] for f in replayed)
    assert live["message"]["body"] == "live again"


def test_a_replay_holds_only_that_rooms_messages(user, other_user):
    room = make_room(user, members=[other_user])
    elsewhere = make_room(user, name="Elsewhere")
    post(user, elsewhere, "not in this room")
    post(user, room, "in this room")
    theirs = token(other_user)

    async def scenario():
        communicator = socket(room.pk, theirs, after="2000-01-01T00:00:00Z")
        assert (await communicator.connect())[0]
        frames = [await communicator.receive_json_from(timeout=3)]
        nothing_more = await communicator.receive_nothing(timeout=QUIET)
        await communicator.disconnect()
        return frames, nothing_more

    frames, nothing_more = async_to_sync(scenario)()
    assert [f["message"]["body"] for f in frames] == ["in this room"]
    assert nothing_more


def test_a_hidden_room_is_4403_before_any_replay(user, other_user):
    room = make_room(user)
    post(user, room, "private")
    theirs = token(other_user)

    async def scenario():
        communicator = socket(room.pk, theirs, after="2000-01-01T00:00:00Z")
        connected, _ = await communicator.connect()
        assert connected
        return await communicator.receive_output(timeout=3)

    closed = async_to_sync(scenario)()
    assert (closed["type"], closed["code"]) == ("websocket.close", 4403)


@pytest.mark.parametrize("after", ["yesterday", "2024-13-45T00:00:00Z", "1"])
def test_a_bad_cursor_is_closed_with_4400(user, after):
    room = make_room(user)
    mine = token(user)

    async def scenario():
        communicator = socket(room.pk, mine, after=after)
        connected, _ = await communicator.connect()
        assert connected
        return await communicator.receive_output(timeout=3)

    closed = async_to_sync(scenario)()
    assert (closed["type"], closed["code"]) == ("websocket.close", 4400)
