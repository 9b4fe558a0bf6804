"""The Redis channel layer keeps idle sockets open (issue 14, section 4).

channels-redis waits for a message with a 5 s blocking pop; redis-py 8 gives up reading a
socket after 5 s by default, so an idle consumer crashed and its socket closed with 1011
after 5 to 10 s. These tests hold real sockets idle on real Redis for longer than that.
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.authentication import VersionedRefreshToken
from conftest import SOCKET_ORIGIN
from nexus_site.asgi import application
from workspace.tests.chat.factories import make_room, post

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.services,
    pytest.mark.usefixtures("fresh_channel_layer"),
]

IDLE_SECONDS = 30


def test_the_layer_reads_with_a_timeout_longer_than_its_blocking_wait(settings):
    from channels_redis.core import RedisChannelLayer

    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]

    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout


def test_sockets_idle_for_30_seconds_stay_open_and_still_receive(user, other_user):
    room = make_room(user, members=[other_user])
    access = str(VersionedRefreshToken.for_user(other_user).access_token)
    apost = database_sync_to_async(post)

    async def scenario():
        chat = WebsocketCommunicator(
            application, f"/ws/chat/{room.pk}/?token={access}", headers=[SOCKET_ORIGIN]
        )
        events = WebsocketCommunicator(
            application, f"/ws/events/?token={access}", headers=[SOCKET_ORIGIN]
        )
        for communicator in (chat, events):
            assert (await communicator.connect())[0]
        await asyncio.sleep(IDLE_SECONDS)
        crashed = [c.future.done() for c in (chat, events)]
        await apost(user, room, "after a quiet spell")
        frame = await chat.receive_json_from(timeout=5)
        event = await events.receive_json_from(timeout=5)
        for communicator in (chat, events):
            await communicator.disconnect()
        return crashed, frame, event

    crashed, frame, event = async_to_sync(scenario)()
    assert crashed == [False, False]
    assert frame["message"]["body"] == "after a quiet spell"
    assert event["type"] == "message_posted"
