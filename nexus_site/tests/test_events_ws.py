"""The event log live over WebSocket (/ws/events/): authentication, replay, live delivery."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from accounts.authentication import VersionedRefreshToken
from conftest import SOCKET_ORIGIN, access_token
from nexus_site.asgi import application
from nexus_site.definitions import constants
from nexus_site.events.models import Event, EventAudience
from nexus_site.events.services import (
    ADDRESSED_MESSAGE,
    COMMITTED_MESSAGE,
    EVENTS_GROUP,
    broadcast,
    publish,
    type_group,
)
from nexus_site.events.visibility import set_node_visibility
from nexus_site.websocket_auth import user_sockets_group

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_channel_layer"),
]

QUIET = 0.3  # seconds to wait before concluding that nothing more comes


def socket(query: str = "", headers: list | None = None) -> WebsocketCommunicator:
    path = f"/ws/events/?{query}" if query else "/ws/events/"
    return WebsocketCommunicator(application, path, headers=[SOCKET_ORIGIN, *(headers or [])])


async def open_socket(query: str = "", headers: list | None = None) -> WebsocketCommunicator:
    communicator = socket(query, headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive_ids(communicator: WebsocketCommunicator, count: int) -> list[int]:
    return [(await communicator.receive_json_from(timeout=3))["id"] for _ in range(count)]


async def close_code(communicator: WebsocketCommunicator) -> int:
    connected, code = await communicator.connect()
    if connected:
        message = await communicator.receive_output(timeout=3)
        assert message["type"] == "websocket.close"
        code = message["code"]
    return code


apublish = database_sync_to_async(publish)


# --- authentication ----------------------------------------------------------------------


def test_anonymous_sockets_are_closed_with_4401():
    async def scenario():
        return await close_code(socket())

    assert async_to_sync(scenario)() == 4401


def test_a_socket_authenticates_with_an_access_token(user):
    mine = publish("task_created", user_ids=[user.pk])

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}&after=0")
        received = await receive_ids(communicator, 1)
        await communicator.disconnect()
        return received

    assert async_to_sync(scenario)() == [mine.id]


def test_a_revoked_token_is_refused(user):
    token = access_token(user)
    user.token_version += 1
    user.save(update_fields=["token_version"])

    async def scenario():
        return await close_code(socket(f"token={token}"))

    assert async_to_sync(scenario)() == 4401


@pytest.mark.parametrize("token", ["not-a-jwt", ""])
def test_a_malformed_token_is_refused(token):
    async def scenario():
        return await close_code(socket(f"token={token}"))

    assert async_to_sync(scenario)() == 4401


def test_a_refresh_token_is_not_an_access_token(user):
    refresh = str(VersionedRefreshToken.for_user(user))

    async def scenario():
        return await close_code(socket(f"token={refresh}"))

    assert async_to_sync(scenario)() == 4401


def session_cookie(user, settings) -> tuple[bytes, bytes]:
    """Return a Cookie header of a signed-in session of ``user``."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode())


def test_a_socket_authenticates_with_the_session_cookie(user, settings):
    cookie = session_cookie(user, settings)
    mine = publish("task_created", user_ids=[user.pk])

    async def scenario():
        communicator = await open_socket("after=0", headers=[cookie])
        received = await receive_ids(communicator, 1)
        await communicator.disconnect()
        return received

    assert async_to_sync(scenario)() == [mine.id]


def test_a_bad_token_is_refused_even_with_a_session(user, settings):
    cookie = session_cookie(user, settings)

    async def scenario():
        return await close_code(socket("token=not-a-jwt", headers=[cookie]))

    assert async_to_sync(scenario)() == 4401


def test_a_bad_cursor_closes_the_socket_with_4400(user):
    token = access_token(user)

    async def scenario():
        return await close_code(socket(f"token={token}&after=soon"))

    assert async_to_sync(scenario)() == 4400


# --- replay and live delivery ----------------------------------------------------------------


def test_replays_the_visible_events_after_the_cursor_in_the_http_shape(
    user, other_user, auth_client
):
    seen = publish("task_created", user_ids=[user.pk])
    first = publish("task_created", {"title": "a"}, user_ids=[user.pk])
    publish("task_created", user_ids=[other_user.pk])
    second = publish("task_updated", user_ids=[user.pk])

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}&after={seen.id}")
        received = [await communicator.receive_json_from(timeout=3) for _ in range(2)]
        nothing_more = await communicator.receive_nothing(QUIET)
        await communicator.disconnect()
        return received, nothing_more

    received, nothing_more = async_to_sync(scenario)()

    assert [item["id"] for item in received] == [first.id, second.id]
    assert nothing_more
    over_http = auth_client.get("/api/v1/events/", {"after": seen.id}).json()["results"]
    assert received == over_http


def test_replay_crosses_batch_boundaries_in_order(staff_user):
    Event.objects.bulk_create(
        Event(type="task_created") for _ in range(constants.EVENT_REPLAY_BATCH + 3)
    )
    expected = list(Event.objects.values_list("id", flat=True))

    token = access_token(staff_user)

    async def scenario():
        communicator = await open_socket(f"token={token}&after=0")
        received = await receive_ids(communicator, len(expected))
        nothing_more = await communicator.receive_nothing(QUIET)
        await communicator.disconnect()
        return received, nothing_more

    received, nothing_more = async_to_sync(scenario)()

    assert received == expected
    assert nothing_more


def test_without_a_cursor_only_live_events_come(user):
    publish("task_created", user_ids=[user.pk])

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}")
        nothing_replayed = await communicator.receive_nothing(QUIET)
        live = await apublish("task_updated", user_ids=[user.pk])
        received = await receive_ids(communicator, 1)
        await communicator.disconnect()
        return nothing_replayed, received, live.id

    nothing_replayed, received, live_id = async_to_sync(scenario)()

    assert nothing_replayed
    assert received == [live_id]


def test_live_events_follow_the_replay_without_gap_or_duplicate(user):
    replayed = [publish("task_created", user_ids=[user.pk]) for _ in range(3)]

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}&after=0")
        live = [await apublish("task_updated", user_ids=[user.pk]) for _ in range(3)]
        received = await receive_ids(communicator, 6)
        nothing_more = await communicator.receive_nothing(QUIET)
        await communicator.disconnect()
        return received, nothing_more, [event.id for event in live]

    received, nothing_more, live_ids = async_to_sync(scenario)()

    assert received == [event.id for event in replayed] + live_ids
    assert nothing_more


def test_a_broadcast_of_an_already_replayed_event_is_not_sent_twice(user):
    replayed = publish("task_created", user_ids=[user.pk])

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}&after=0")
        first = await receive_ids(communicator, 1)
        # The replay read the row before its own commit broadcast reached the socket.
        await database_sync_to_async(broadcast)(replayed.id)
        nothing_more = await communicator.receive_nothing(QUIET)
        await communicator.disconnect()
        return first, nothing_more

    first, nothing_more = async_to_sync(scenario)()

    assert first == [replayed.id]
    assert nothing_more


def test_an_event_committed_late_with_a_lower_id_is_still_sent(user):
    before = publish("task_created", user_ids=[user.pk])
    late = publish("task_created", {"late": True}, user_ids=[user.pk])
    after = publish("task_created", user_ids=[user.pk])
    late_id = late.id
    # Its transaction has not committed yet when the socket replays.
    late.delete()

    def commit_late_event():
        event = Event.objects.create(
            id=late_id, type="task_created", payload={"late": True}, audience_users=[str(user.pk)]
        )
        EventAudience.objects.create(event=event, user_id=user.pk)
        broadcast(late_id)

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}&after=0")
        replayed = await receive_ids(communicator, 2)
        await database_sync_to_async(commit_late_event)()
        live = await receive_ids(communicator, 1)
        await communicator.disconnect()
        return replayed, live

    replayed, live = async_to_sync(scenario)()

    assert replayed == [before.id, after.id]
    assert live == [late_id]


def test_an_addressed_event_goes_as_rendered_to_its_users_and_staff_only(
    user, other_user, staff_user, fresh_channel_layer
):
    """The socket sends the publisher's rendering without reading it back: an event that is
    not in the database still arrives, at the sockets of the users it names and of staff."""
    body = {
        "id": 10**9,
        "type": "notification",
        "payload": {"title": "Not in the database"},
        "actor": None,
        "created_at": "2026-01-01T00:00:00Z",
    }
    message = {"type": ADDRESSED_MESSAGE, "events": [body], "to": {str(user.pk): [0]}}
    tokens = [access_token(person) for person in (user, other_user, staff_user)]

    async def scenario():
        mine, others, staffs = [await open_socket(f"token={token}") for token in tokens]
        await fresh_channel_layer.group_send(EVENTS_GROUP, message)
        received = [await mine.receive_json_from(timeout=3), await staffs.receive_json_from(3)]
        nothing = await others.receive_nothing(QUIET) and await mine.receive_nothing(QUIET)
        for communicator in (mine, others, staffs):
            await communicator.disconnect()
        return received, nothing

    received, nothing = async_to_sync(scenario)()

    assert received == [body, body]
    assert nothing


def test_an_addressed_event_already_replayed_is_not_sent_twice(user, fresh_channel_layer):
    replayed = publish("task_created", user_ids=[user.pk])
    body = {"id": replayed.id, "type": "task_created", "payload": {}, "actor": None}
    message = {"type": ADDRESSED_MESSAGE, "events": [body], "to": {str(user.pk): [0]}}
    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}&after=0")
        first = await receive_ids(communicator, 1)
        await fresh_channel_layer.group_send(EVENTS_GROUP, message)
        nothing_more = await communicator.receive_nothing(QUIET)
        await communicator.disconnect()
        return first, nothing_more

    first, nothing_more = async_to_sync(scenario)()

    assert first == [replayed.id]
    assert nothing_more


def test_an_id_of_a_type_the_socket_did_not_ask_for_is_skipped_unread(user, fresh_channel_layer):
    """The committed message names each id's type: a socket filtering on types skips the
    others as they come (a message of several types reaches each type's group), and still
    reads back an id whose type it asked for."""
    wanted = publish("task_created", user_ids=[user.pk])
    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}&types=task_created")
        # The id is of a task_created event, but the message says otherwise: not read back.
        await fresh_channel_layer.group_send(
            type_group("task_created"),
            {"type": COMMITTED_MESSAGE, "ids": [wanted.id], "types": ["mention"]},
        )
        nothing = await communicator.receive_nothing(QUIET)
        await fresh_channel_layer.group_send(
            type_group("task_created"),
            {"type": COMMITTED_MESSAGE, "ids": [wanted.id], "types": ["task_created"]},
        )
        received = await receive_ids(communicator, 1)
        await communicator.disconnect()
        return nothing, received

    nothing, received = async_to_sync(scenario)()

    assert nothing
    assert received == [wanted.id]


def test_a_socket_asking_for_types_joins_their_groups_only(user, fresh_channel_layer, monkeypatch):
    joined = []
    group_add = fresh_channel_layer.group_add

    async def recording_group_add(group, channel):
        joined.append(group)
        await group_add(group, channel)

    monkeypatch.setattr(fresh_channel_layer, "group_add", recording_group_add)
    token = access_token(user)

    async def scenario():
        for query in ("types=notification,notification_read", "", "types=odd:type"):
            communicator = await open_socket(f"token={token}&{query}")
            await communicator.disconnect()

    async_to_sync(scenario)()

    assert joined == [
        "events.type.notification",
        "events.type.notification_read",
        user_sockets_group(user.pk),
        EVENTS_GROUP,  # no types: every event
        user_sockets_group(user.pk),
        EVENTS_GROUP,  # a type that cannot name a group: every event, filtered here
        user_sockets_group(user.pk),
    ]


def test_a_socket_on_two_type_groups_sends_each_event_once_in_order(user):
    """A transaction with events of both types reaches the socket through both groups."""

    def write():
        from django.db import transaction

        with transaction.atomic():
            return [
                publish("task_created", user_ids=[user.pk]).id,
                publish("task_moved", user_ids=[user.pk]).id,
                publish("task_created", node=f"projects.project:{uuid.uuid4()}").id,
                publish("task_created", user_ids=[user.pk]).id,
            ]

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}&types=task_created,task_moved")
        written = await database_sync_to_async(write)()
        received = await receive_ids(communicator, 3)
        nothing_more = await communicator.receive_nothing(QUIET)
        await communicator.disconnect()
        return written, received, nothing_more

    written, received, nothing_more = async_to_sync(scenario)()

    assert received == [written[0], written[1], written[3]]  # not the node's: not visible
    assert nothing_more


def test_a_bell_is_not_woken_by_other_types(user, fresh_channel_layer, monkeypatch):
    """Events of types a socket did not ask for never reach its channel at all."""
    token = access_token(user)
    woken = []
    consumer_receive = fresh_channel_layer.receive

    async def recording_receive(channel):
        message = await consumer_receive(channel)
        woken.append(message.get("type"))
        return message

    monkeypatch.setattr(fresh_channel_layer, "receive", recording_receive)

    async def scenario():
        communicator = await open_socket(f"token={token}&types=notification")
        await apublish("task_created", user_ids=[user.pk])
        await apublish("task_created", node=f"projects.project:{uuid.uuid4()}")
        told = await apublish("notification", {"title": "Hi"}, user_ids=[user.pk])
        received = await receive_ids(communicator, 1)
        await communicator.disconnect()
        return received, told.id

    received, told_id = async_to_sync(scenario)()

    assert received == [told_id]
    assert woken == ["event.addressed"]


def test_one_transactions_events_of_both_kinds_arrive_in_order(user):
    seen = f"projects.project:{uuid.uuid4()}"
    previous = set_node_visibility(lambda who, nodes: {seen} & nodes if who.pk == user.pk else [])

    def write():
        from django.db import transaction

        with transaction.atomic():
            return [
                publish("task_created", node=seen).id,
                publish("mention", user_ids=[user.pk]).id,
                publish("mention", user_ids=[user.pk]).id,
                publish("task_updated", node=seen).id,
            ]

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}")
        written = await database_sync_to_async(write)()
        received = await receive_ids(communicator, 4)
        await communicator.disconnect()
        return written, received

    try:
        written, received = async_to_sync(scenario)()
    finally:
        set_node_visibility(previous)

    assert received == written


def test_another_users_events_never_reach_the_socket(user, other_user):
    publish("task_created", user_ids=[other_user.pk])
    publish("user_locked")

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}&after=0")
        nothing_replayed = await communicator.receive_nothing(QUIET)
        await apublish("task_created", user_ids=[other_user.pk])
        await apublish("task_created", node=f"projects.project:{uuid.uuid4()}")
        mine = await apublish("task_updated", user_ids=[user.pk])
        received = await receive_ids(communicator, 1)
        nothing_more = await communicator.receive_nothing(QUIET)
        await communicator.disconnect()
        return nothing_replayed, received, nothing_more, mine.id

    nothing_replayed, received, nothing_more, mine_id = async_to_sync(scenario)()

    assert nothing_replayed
    assert received == [mine_id]
    assert nothing_more


def test_staff_receive_every_event(staff_user, user, other_user):
    history = [
        publish("task_created", user_ids=[user.pk]),
        publish("task_created", node=f"projects.project:{uuid.uuid4()}"),
    ]

    token = access_token(staff_user)

    async def scenario():
        communicator = await open_socket(f"token={token}&after=0")
        replayed = await receive_ids(communicator, 2)
        live = await apublish("task_created", user_ids=[other_user.pk])
        received = await receive_ids(communicator, 1)
        await communicator.disconnect()
        return replayed, received, live.id

    replayed, received, live_id = async_to_sync(scenario)()

    assert replayed == [event.id for event in history]
    assert received == [live_id]


def test_node_viewers_receive_node_events_live(user):
    seen, hidden = f"projects.project:{uuid.uuid4()}", f"projects.project:{uuid.uuid4()}"
    previous = set_node_visibility(lambda who, nodes: {seen} & nodes if who.pk == user.pk else [])

    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}")
        await apublish("task_created", node=hidden)
        visible = await apublish("task_created", node=seen)
        received = await receive_ids(communicator, 1)
        nothing_more = await communicator.receive_nothing(QUIET)
        await communicator.disconnect()
        return received, nothing_more, visible.id

    try:
        received, nothing_more, visible_id = async_to_sync(scenario)()
    finally:
        set_node_visibility(previous)

    assert received == [visible_id]
    assert nothing_more


def test_types_and_pattern_filter_both_replay_and_live(user):
    publish("task_created", user_ids=[user.pk])
    wanted = publish("pattern_executed", {"pattern": "onboarding"}, user_ids=[user.pk])
    publish("pattern_executed", {"pattern": "billing"}, user_ids=[user.pk])

    token = access_token(user)

    async def scenario():
        query = f"token={token}&after=0&types=pattern_executed,step_failed"
        communicator = await open_socket(f"{query}&pattern=onboarding")
        replayed = await receive_ids(communicator, 1)
        await apublish("step_failed", {"pattern": "billing"}, user_ids=[user.pk])
        await apublish("task_created", {"pattern": "onboarding"}, user_ids=[user.pk])
        live = await apublish("step_failed", {"pattern": "onboarding"}, user_ids=[user.pk])
        received = await receive_ids(communicator, 1)
        nothing_more = await communicator.receive_nothing(QUIET)
        await communicator.disconnect()
        return replayed, received, nothing_more, live.id

    replayed, received, nothing_more, live_id = async_to_sync(scenario)()

    assert replayed == [wanted.id]
    assert received == [live_id]
    assert nothing_more


def test_client_messages_are_ignored(user):
    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}")
        await communicator.send_to(text_data="not json")
        nothing = await communicator.receive_nothing(QUIET)
        mine = await apublish("task_created", user_ids=[user.pk])
        received = await receive_ids(communicator, 1)
        await communicator.disconnect()
        return nothing, received, mine.id

    nothing, received, mine_id = async_to_sync(scenario)()

    assert nothing
    assert received == [mine_id]


def test_the_group_is_left_on_disconnect(user, fresh_channel_layer, monkeypatch):
    left = []
    group_discard = fresh_channel_layer.group_discard

    async def recording_group_discard(group, channel):
        left.append(group)
        await group_discard(group, channel)

    monkeypatch.setattr(fresh_channel_layer, "group_discard", recording_group_discard)
    token = access_token(user)

    async def scenario():
        communicator = await open_socket(f"token={token}")
        await communicator.disconnect()

    async_to_sync(scenario)()

    assert left == [EVENTS_GROUP, user_sockets_group(user.pk)]
