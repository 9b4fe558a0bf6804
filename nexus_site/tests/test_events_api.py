"""The event log over HTTP (GET /api/v1/events/) and the outbox behind it."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from nexus_site.definitions.constants import MAX_PAGE_SIZE
from nexus_site.events.api.serializers import EventSerializer
from nexus_site.events.models import Event, EventAudience
from nexus_site.events.selectors import event_values_visible_to, events_visible_to
from nexus_site.events.services import (
    EVENTS_GROUP,
    event_of,
    holding_events,
    publish,
    publish_many,
)
from nexus_site.events.visibility import set_node_visibility

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def node(label: str = "projects.project") -> str:
    return f"{label}:{uuid.uuid4()}"


@pytest.fixture
def node_access():
    """Register a "may see node" test driven by a dict: user id -> nodes that user may see."""
    grants: dict[str, set[str]] = {}
    calls: list[frozenset[str]] = []

    def check(user, nodes):
        calls.append(nodes)
        return {item for item in nodes if item in grants.get(str(user.pk), set())}

    previous = set_node_visibility(check)
    yield grants, calls
    set_node_visibility(previous)


def listen(layer):
    """Join the events group with a fresh channel; return a function that drains it."""
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(EVENTS_GROUP, channel)

    async def drain(timeout: float) -> list[dict]:
        import asyncio

        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), timeout))
            except TimeoutError:
                return messages

    return lambda timeout=0.3: async_to_sync(drain)(timeout)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def delivered(messages: list[dict]) -> list[tuple[str, list[int]]]:
    """Each group message as (its type, the ids of the events it carries)."""
    return [
        (
            message["type"],
            message["ids"] if "ids" in message else [e["id"] for e in message["events"]],
        )
        for message in messages
    ]


# --- publish ----------------------------------------------------------------------------


def test_publish_in_a_rolled_back_transaction_leaves_no_event_and_broadcasts_nothing(
    user, fresh_channel_layer, django_capture_on_commit_callbacks
):
    drain = listen(fresh_channel_layer)

    def failing_write():
        with transaction.atomic():
            publish("task_created", {"n": 1}, user_ids=[user.pk])
            raise RuntimeError("the caller's write failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        failing_write()

    assert not Event.objects.exists()
    assert not EventAudience.objects.exists()
    assert callbacks == []
    assert drain() == []


def test_publish_sends_an_event_for_named_users_rendered_with_whom_it_is_for(
    user, other_user, fresh_channel_layer, django_capture_on_commit_callbacks
):
    drain = listen(fresh_channel_layer)

    with django_capture_on_commit_callbacks(execute=True):
        event = publish(
            "task_created",
            {"n": 1, "tags": ("a", "b")},  # a tuple is read back as a list
            user_ids=[user.pk, str(user.pk), other_user.pk],
            actor=user,
        )

    read_back = dict(EventSerializer(Event.objects.get(pk=event.id)).data)
    assert drain() == [
        {
            "type": "event.addressed",
            "events": [read_back],  # what a socket reading it back would send
            "to": {str(user.pk): [0], str(other_user.pk): [0]},
        }
    ]
    assert event.audience_users == [str(user.pk), str(other_user.pk)]
    assert set(EventAudience.objects.values_list("user_id", flat=True)) == {
        user.pk,
        other_user.pk,
    }


def test_publish_broadcasts_the_id_and_type_of_an_event_with_a_node_after_commit(
    user, fresh_channel_layer, django_capture_on_commit_callbacks
):
    drain = listen(fresh_channel_layer)

    with django_capture_on_commit_callbacks(execute=True):
        event = publish("task_created", {"n": 1}, user_ids=[user.pk], node=node())

    assert drain() == [{"type": "event.committed", "ids": [event.id], "types": ["task_created"]}]


def test_an_event_for_staff_only_is_addressed_to_nobody_else(
    fresh_channel_layer, django_capture_on_commit_callbacks
):
    drain = listen(fresh_channel_layer)

    with django_capture_on_commit_callbacks(execute=True):
        event = publish("user_locked")

    (message,) = drain()
    assert message["type"] == "event.addressed"
    assert [item["id"] for item in message["events"]] == [event.id]
    assert message["to"] == {}


def test_a_transaction_mixing_both_kinds_is_sent_in_runs_in_its_order(
    user, other_user, fresh_channel_layer, django_capture_on_commit_callbacks
):
    drain = listen(fresh_channel_layer)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = publish("task_created", node=node())
        second = publish("mention", user_ids=[user.pk])
        third = publish("mention", user_ids=[other_user.pk])
        fourth = publish("task_updated", node=node())

    messages = drain()
    assert delivered(messages) == [
        ("event.committed", [first.id]),
        ("event.addressed", [second.id, third.id]),
        ("event.committed", [fourth.id]),
    ]
    assert messages[1]["to"] == {str(user.pk): [0], str(other_user.pk): [1]}


# --- GET /api/v1/events/ -------------------------------------------------------------------


def test_default_page_holds_a_hundred_events(staff_client):
    Event.objects.bulk_create(Event(type="task_created") for _ in range(101))

    body = staff_client.get(URL).json()

    assert len(body["results"]) == 100
    assert body["cursor"] == body["results"][-1]["id"]
    assert body["next"] is not None


def test_lists_the_callers_events_oldest_first_with_the_event_fields(auth_client, user):
    first = publish("task_created", {"title": "a"}, user_ids=[user.pk], actor=user)
    second = publish("task_updated", {"title": "b"}, user_ids=[user.pk])

    response = auth_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert ids(response) == [first.id, second.id]
    assert set(body["results"][0]) == {"id", "type", "payload", "actor", "created_at"}
    assert body["results"][0]["actor"] == str(user.pk)
    assert body["results"][1]["actor"] is None
    assert body["results"][0]["type"] == "task_created"
    assert body["results"][0]["payload"] == {"title": "a"}
    assert body["next"] is None
    assert body["cursor"] == second.id


def test_another_users_event_never_appears(auth_client, user, other_user):
    mine = publish("task_created", user_ids=[user.pk])
    publish("task_created", user_ids=[other_user.pk])
    publish("user_locked")  # no audience: staff only

    response = auth_client.get(URL)

    assert ids(response) == [mine.id]


def test_staff_see_every_event(staff_client, user, other_user):
    events = [
        publish("task_created", user_ids=[user.pk]),
        publish("task_created", user_ids=[other_user.pk]),
        publish("task_created", node=node()),
        publish("user_locked"),
    ]

    response = staff_client.get(URL)

    assert ids(response) == [event.id for event in events]


def test_node_events_are_for_staff_only_until_a_visibility_test_is_registered(auth_client, user):
    previous = set_node_visibility(None)  # as in a process where no app registered one
    publish("task_created", node=node())

    try:
        response = auth_client.get(URL)
    finally:
        set_node_visibility(previous)

    assert ids(response) == []


def test_node_events_reach_the_viewers_the_registered_test_allows(auth_client, user, node_access):
    grants, _calls = node_access
    seen, hidden = node(), node()
    grants[str(user.pk)] = {seen}
    visible = publish("task_created", node=seen)
    publish("task_created", node=hidden)
    named = publish("task_created", node=hidden, user_ids=[user.pk])

    response = auth_client.get(URL)

    assert ids(response) == [visible.id, named.id]


def test_pages_resume_from_the_cursor_until_next_is_null(auth_client, user):
    events = [publish("task_created", {"n": n}, user_ids=[user.pk]) for n in range(5)]

    seen, url, pages = [], f"{URL}?limit=2", 0
    while url:
        body = auth_client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url, pages = body["next"], pages + 1

    assert seen == [event.id for event in events]
    assert pages == 3
    assert body["cursor"] == events[-1].id


def test_after_returns_only_later_events_and_keeps_the_cursor_when_nothing_is_new(
    auth_client, user
):
    first, second = (publish("task_created", user_ids=[user.pk]) for _ in range(2))

    later = auth_client.get(URL, {"after": first.id}).json()
    nothing = auth_client.get(URL, {"after": second.id}).json()

    assert [item["id"] for item in later["results"]] == [second.id]
    assert nothing == {"results": [], "next": None, "cursor": second.id}


def test_next_keeps_the_filters_and_moves_the_cursor(auth_client, user):
    events = [publish("task_created", user_ids=[user.pk]) for _ in range(3)]

    body = auth_client.get(URL, {"limit": 1, "type": "task_created"}).json()

    assert "type=task_created" in body["next"]
    assert f"after={events[0].id}" in body["next"]
    assert "limit=1" in body["next"]


def test_type_filter_keeps_the_listed_types(auth_client, user):
    created = publish("task_created", user_ids=[user.pk])
    publish("task_updated", user_ids=[user.pk])
    failed = publish("step_failed", user_ids=[user.pk])

    response = auth_client.get(URL, {"type": "task_created, step_failed"})

    assert ids(response) == [created.id, failed.id]


def test_pattern_filter_keeps_events_of_that_pattern(auth_client, user):
    onboarding = publish("pattern_executed", {"pattern": "onboarding"}, user_ids=[user.pk])
    publish("pattern_executed", {"pattern": "billing"}, user_ids=[user.pk])
    publish("task_created", user_ids=[user.pk])

    response = auth_client.get(URL, {"pattern": "onboarding"})

    assert ids(response) == [onboarding.id]


def test_limit_is_capped_at_the_maximum(staff_client):
    Event.objects.bulk_create(Event(type="task_created") for _ in range(MAX_PAGE_SIZE + 1))

    body = staff_client.get(URL, {"limit": 100_000}).json()

    assert len(body["results"]) == MAX_PAGE_SIZE
    assert body["next"] is not None


@pytest.mark.parametrize("after", ["abc", "1.5", "-1"])
def test_bad_after_is_a_bad_request(auth_client, after):
    response = auth_client.get(URL, {"after": after})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_request"
    assert "after" in error["details"]


def test_bad_limit_is_a_bad_request(auth_client):
    response = auth_client.get(URL, {"limit": "many"})

    assert response.status_code == 400
    assert "limit" in response.json()["error"]["details"]


def test_anonymous_callers_are_refused(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication"


def test_session_callers_are_served(api_client, user):
    mine = publish("task_created", user_ids=[user.pk])
    api_client.force_login(user)

    response = api_client.get(URL)

    assert ids(response) == [mine.id]


@pytest.mark.parametrize("client_fixture", ["auth_client", "staff_client"])
def test_list_runs_a_constant_number_of_queries(request, client_fixture, user, node_access):
    client = request.getfixturevalue(client_fixture)
    grants, _calls = node_access
    shared = node()
    grants[str(user.pk)] = {shared}

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get(URL, {"limit": 500})
        assert response.status_code == 200
        return len(context.captured_queries)

    for _ in range(2):
        publish("task_created", user_ids=[user.pk])
        publish("task_created", node=shared)
    few = queries_for_page()
    for _ in range(40):
        publish("task_created", user_ids=[user.pk])
        publish("task_created", node=shared)
        publish("task_created", node=node())
    many = queries_for_page()

    assert few == many
    assert many <= 2  # the user, the page's one window


def test_the_node_test_is_asked_for_the_nodes_of_the_page_served_not_the_whole_log(
    auth_client, user, node_access
):
    grants, calls = node_access
    nodes = [node() for _ in range(5)]
    grants[str(user.pk)] = set(nodes)
    for item in nodes:
        publish("task_created", node=item)

    response = auth_client.get(URL, {"limit": 2})

    assert len(ids(response)) == 2
    assert calls == [frozenset(nodes[:3])]  # the page and the one that tells a next page


def test_the_node_test_is_asked_once_per_window_with_only_that_windows_new_nodes(
    auth_client, user, node_access
):
    _grants, calls = node_access
    nodes = [node() for _ in range(6)]
    for item in [*nodes[:3], nodes[0], *nodes[3:]]:
        publish("task_created", node=item)

    response = auth_client.get(URL, {"limit": 2})

    assert ids(response) == []
    # Windows of 3 (the page and one more), then 6; nodes[0] was decided in the first.
    assert calls == [frozenset(nodes[:3]), frozenset(nodes[3:])]


# --- the selector ------------------------------------------------------------------------


def test_selector_shows_nothing_to_anonymous_users(user):
    from django.contrib.auth.models import AnonymousUser

    publish("task_created", user_ids=[user.pk])

    assert list(events_visible_to(AnonymousUser())) == []


def test_selector_combines_cursor_types_and_audience(user, other_user):
    before = publish("task_created", user_ids=[user.pk])
    kept = publish("task_created", user_ids=[user.pk, other_user.pk])
    publish("task_updated", user_ids=[user.pk])
    publish("task_created", user_ids=[other_user.pk])

    events = events_visible_to(user, after=before.id, types=["task_created"])

    assert list(events) == [kept]


def test_paging_in_windows_gives_the_events_the_visible_queryset_gives(
    user, other_user, node_access
):
    grants, _calls = node_access
    seen, hidden = node(), node()
    grants[str(user.pk)] = {seen}
    for index in range(30):
        kind = index % 6
        if kind == 0:
            publish("task_created", user_ids=[user.pk])
        elif kind == 1:
            publish("task_created", node=seen)
        elif kind == 2:
            publish("task_created", node=hidden)
        elif kind == 3:
            publish("task_created", user_ids=[other_user.pk])
        elif kind == 4:
            publish("task_updated", node=node())
        else:
            publish("task_updated", node=hidden, user_ids=[user.pk])
    everything = Event.objects.order_by("id").values_list("id", flat=True)

    for after in [None, *everything[::7]]:
        for types in [None, ["task_created"]]:
            expected = [event.id for event in events_visible_to(user, after=after, types=types)]
            for size in [1, 2, 3, 5, 50]:
                rows = event_values_visible_to(
                    user, fields=["id"], size=size, after=after, types=types
                )
                assert [row["id"] for row in rows] == expected[:size]


def test_paging_in_windows_shows_staff_everything_and_anonymous_users_nothing(staff_user, user):
    from django.contrib.auth.models import AnonymousUser

    events = [publish("task_created", node=node()), publish("task_created", user_ids=[user.pk])]

    assert event_values_visible_to(staff_user, fields=["id"], size=5) == [
        {"id": event.id} for event in events
    ]
    assert event_values_visible_to(AnonymousUser(), fields=["id"], size=5) == []


def test_paging_in_windows_without_a_node_test_shows_only_events_naming_the_user(user):
    previous = set_node_visibility(None)
    try:
        publish("task_created", node=node())
        mine = publish("task_created", user_ids=[user.pk])

        rows = event_values_visible_to(user, fields=["id", "type"], size=5)
    finally:
        set_node_visibility(previous)

    assert rows == [{"id": mine.id, "type": "task_created"}]


def test_one_transaction_is_broadcast_once_with_all_its_events(
    user, fresh_channel_layer, django_capture_on_commit_callbacks
):
    drain = listen(fresh_channel_layer)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = publish("task_created", {"n": 1}, user_ids=[user.pk])
        second = publish("task_created", {"n": 2}, user_ids=[user.pk])

    assert delivered(drain()) == [("event.addressed", [first.id, second.id])]


def test_an_event_rolled_back_with_its_savepoint_is_not_broadcast(
    user, fresh_channel_layer, django_capture_on_commit_callbacks
):
    drain = listen(fresh_channel_layer)

    def publish_then_fail():
        with transaction.atomic():
            publish("task_created", {"n": 1}, user_ids=[user.pk])
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with pytest.raises(RuntimeError):
            publish_then_fail()
        kept = publish("task_created", {"n": 2}, user_ids=[user.pk])

    assert delivered(drain()) == [("event.addressed", [kept.id])]


def test_publish_writes_the_event_and_one_audience_row_per_user(user, other_user):
    named = publish("test_named", {"n": 1}, user_ids=[user.pk, other_user.pk, user.pk])
    nobody = publish("test_staff_only", {"n": 2})

    stored = Event.objects.get(pk=named.pk)
    assert (stored.type, stored.payload) == ("test_named", {"n": 1})
    assert sorted(stored.audience_users) == sorted([str(user.pk), str(other_user.pk)])
    assert set(EventAudience.objects.filter(event=named).values_list("user_id", flat=True)) == {
        user.pk,
        other_user.pk,
    }
    assert not EventAudience.objects.filter(event=nobody).exists()
    assert Event.objects.get(pk=nobody.pk).audience_users == []


def test_publish_many_writes_each_event_with_its_own_audience_in_order(user, other_user):
    events = publish_many(
        [
            event_of("test_first", {"n": 1}, user_ids=[user.pk]),
            event_of("test_second", {"n": 2}, user_ids=[other_user.pk, user.pk]),
            event_of("test_third", {"n": 3}),
        ]
    )

    first, second, third = events
    assert first.id < second.id < third.id
    stored = list(
        Event.objects.filter(pk__in=[e.id for e in events]).values_list("type", "payload")
    )
    assert stored == [("test_first", {"n": 1}), ("test_second", {"n": 2}), ("test_third", {"n": 3})]
    audience = set(EventAudience.objects.values_list("event_id", "user_id"))
    assert audience == {(first.id, user.pk), (second.id, other_user.pk), (second.id, user.pk)}


def test_held_events_are_written_in_publishing_order_with_the_next_publish(
    user, fresh_channel_layer, django_capture_on_commit_callbacks
):
    drain = listen(fresh_channel_layer)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with holding_events():
            held = publish_many([event_of("test_held", user_ids=[user.pk])], held=True)[0]
            assert held.id is None
            assert not Event.objects.exists()
            direct = publish("test_direct", user_ids=[user.pk])
            assert held.id is not None
            assert held.id < direct.id
            last = publish_many([event_of("test_last", user_ids=[user.pk])], held=True)[0]
            assert last.id is None
        assert last.id > direct.id

    types = list(Event.objects.values_list("type", flat=True))
    assert types == ["test_held", "test_direct", "test_last"]
    assert EventAudience.objects.count() == 3
    assert delivered(drain()) == [("event.addressed", [held.id, direct.id, last.id])]


def test_held_events_of_a_block_that_raised_are_dropped_with_its_transaction(user):
    def hold_then_fail():
        with transaction.atomic(), holding_events():
            publish_many([event_of("test_held", user_ids=[user.pk])], held=True)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        hold_then_fail()

    with holding_events():
        publish("test_after", user_ids=[user.pk])

    assert list(Event.objects.values_list("type", flat=True)) == ["test_after"]


def test_held_outside_a_holding_block_is_written_at_once(user):
    event = publish_many([event_of("test_now", user_ids=[user.pk])], held=True)[0]

    assert Event.objects.get(pk=event.id).type == "test_now"


def test_the_list_writes_each_event_as_the_event_serializer_does(auth_client, user, other_user):
    import json

    from rest_framework.utils.encoders import JSONEncoder

    from nexus_site.events.api.serializers import EventSerializer

    publish(
        "task_created", {"title": "Ünïcode", "n": 1, "nested": {"a": [1, None]}}, user_ids=[user.pk]
    )
    publish("system_note", {}, user_ids=[user.pk], actor=other_user)

    body = auth_client.get(URL).json()["results"]

    events = Event.objects.filter(id__in=[row["id"] for row in body]).order_by("id")
    expected = json.loads(json.dumps(EventSerializer(events, many=True).data, cls=JSONEncoder))
    assert body == expected
    assert [row["actor"] for row in body] == [None, str(other_user.pk)]
