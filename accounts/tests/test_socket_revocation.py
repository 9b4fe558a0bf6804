"""Open WebSockets follow revocation: logout-all, a password change or deactivation closes the
user's sockets within seconds, and a socket re-reads its user before every frame it accepts
(issue 14, section 3)."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import F
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD
from conftest import SOCKET_ORIGIN, access_token, bearer_client
from nexus_site.asgi import application
from nexus_site.websocket_auth import recheck_user_sockets_on_commit
from workspace.chat import consumers
from workspace.chat.models import ChatMessage
from workspace.tests.chat.factories import make_room, post

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]

CLOSE_REVOKED = 4401
QUIET = 0.5  # seconds to wait before concluding that nothing more comes


def chat_socket(room, access: str | None = None, headers=None) -> WebsocketCommunicator:
    query = f"?token={access}" if access else ""
    return WebsocketCommunicator(
        application, f"/ws/chat/{room.pk}/{query}", headers=[SOCKET_ORIGIN, *(headers or [])]
    )


def events_socket(access: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, f"/ws/events/?token={access}", headers=[SOCKET_ORIGIN]
    )


def session_cookie(user, settings) -> tuple[bytes, bytes]:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode())


async def closed_with(communicator: WebsocketCommunicator) -> int:
    message = await communicator.receive_output(timeout=3)
    assert message["type"] == "websocket.close", message
    return message["code"]


def api_call(client: APIClient, path: str, body: dict | None = None, method: str = "post"):
    return database_sync_to_async(getattr(client, method))(path, body or {}, format="json")


def test_logout_all_closes_the_users_chat_and_event_sockets(user, other_user):
    room = make_room(user, members=[other_user])
    client = bearer_client(user)
    mine, theirs = access_token(user), access_token(other_user)

    async def scenario():
        chat, events = chat_socket(room, mine), events_socket(mine)
        bystander = chat_socket(room, theirs)
        for communicator in (chat, events, bystander):
            assert (await communicator.connect())[0]
        response = await api_call(client, "/api/v1/auth/logout-all/")
        codes = (await closed_with(chat), await closed_with(events))
        still_open = await bystander.receive_nothing(timeout=QUIET)
        await bystander.disconnect()
        return response.status_code, codes, still_open

    status, codes, still_open = async_to_sync(scenario)()
    assert status == 204
    assert codes == (CLOSE_REVOKED, CLOSE_REVOKED)
    assert still_open


def test_a_password_change_closes_a_session_socket(user, settings):
    room = make_room(user)
    cookie = session_cookie(user, settings)
    client = bearer_client(user)
    body = {"old_password": DEFAULT_PASSWORD, "new_password": "a-much-better-passphrase-77"}

    async def scenario():
        chat = chat_socket(room, headers=[cookie])
        assert (await chat.connect())[0]
        response = await api_call(client, "/api/v1/auth/password/change/", body)
        return response.status_code, await closed_with(chat)

    assert async_to_sync(scenario)() == (204, CLOSE_REVOKED)


def test_deactivation_by_staff_closes_the_socket(user, other_user, staff_client):
    room = make_room(other_user, members=[user])
    mine = access_token(user)

    async def scenario():
        chat = chat_socket(room, mine)
        assert (await chat.connect())[0]
        path = f"/api/v1/admin/users/{user.pk}/"
        response = await api_call(staff_client, path, {"is_active": False}, method="patch")
        return response.status_code, await closed_with(chat)

    assert async_to_sync(scenario)() == (200, CLOSE_REVOKED)


def test_a_deactivated_user_receives_nothing_after_the_next_access_check(
    user, other_user, monkeypatch
):
    room = make_room(other_user, members=[user])
    mine = access_token(user)
    apost = database_sync_to_async(post)

    async def scenario():
        chat = chat_socket(room, mine)
        assert (await chat.connect())[0]
        await database_sync_to_async(User.objects.filter(pk=user.pk).update)(is_active=False)
        monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0)
        await apost(other_user, room, "not for you any more")
        return await closed_with(chat)

    assert async_to_sync(scenario)() == CLOSE_REVOKED


def test_a_deactivated_user_cannot_post_even_when_no_close_message_came(user, other_user):
    room = make_room(other_user, members=[user])
    mine = access_token(user)

    async def scenario():
        chat = chat_socket(room, mine)
        assert (await chat.connect())[0]
        # Deactivated behind the socket's back: no group message is sent.
        await database_sync_to_async(User.objects.filter(pk=user.pk).update)(is_active=False)
        await chat.send_json_to({"action": "post", "body": "still here?"})
        return await closed_with(chat)

    assert async_to_sync(scenario)() == CLOSE_REVOKED
    assert not ChatMessage.objects.filter(room=room).exists()


def test_revoked_tokens_cannot_post_even_when_no_close_message_came(user, other_user):
    room = make_room(other_user, members=[user])
    mine = access_token(user)
    revoke = User.objects.filter(pk=user.pk).update

    async def scenario():
        chat = chat_socket(room, mine)
        assert (await chat.connect())[0]
        await database_sync_to_async(revoke)(token_version=F("token_version") + 1)
        await chat.send_json_to({"action": "post", "body": "still here?"})
        return await closed_with(chat)

    assert async_to_sync(scenario)() == CLOSE_REVOKED
    assert not ChatMessage.objects.filter(room=room).exists()


def test_a_recheck_leaves_a_socket_open_while_its_credentials_hold(user, other_user):
    room = make_room(user, members=[other_user])
    mine = access_token(user)
    apost = database_sync_to_async(post)

    def recheck():
        recheck_user_sockets_on_commit(user.pk)  # outside a transaction: sent at once

    async def scenario():
        chat, events = chat_socket(room, mine), events_socket(mine)
        for communicator in (chat, events):
            assert (await communicator.connect())[0]
        await database_sync_to_async(recheck)()
        await apost(other_user, room, "still delivered")
        frame = await chat.receive_json_from(timeout=3)
        event = await events.receive_json_from(timeout=3)  # a frame, not a close
        await chat.send_json_to({"action": "post", "body": "and I can post"})
        echoed = await chat.receive_json_from(timeout=3)
        for communicator in (chat, events):
            await communicator.disconnect()
        return frame, event, echoed

    frame, event, echoed = async_to_sync(scenario)()
    assert frame["message"]["body"] == "still delivered"
    assert event["type"] == "message_posted"
    assert echoed["message"]["body"] == "and I can post"


@pytest.mark.services
def test_logout_all_closes_sockets_on_the_redis_layer(user, other_user, settings):
    assert "redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    test_logout_all_closes_the_users_chat_and_event_sockets(user, other_user)
