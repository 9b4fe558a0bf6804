"""The webhooks API: create (secret once), list, change, delete, the delivery log by cursor,
redelivery and ping; only ever the caller's own (anyone else's is 404), scope nodes the caller
may see, URLs outside private networks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole
from nexus_site.events.services import publish
from projects.tests.factories import ProjectFactory, add_member
from relations.nodes import node_of
from webhooks import delivery as sending
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from webhooks.tests.factories import DeliveryFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/webhooks/"


def detail(subscription) -> str:
    return f"{LIST}{subscription.pk}/"


def deliveries(subscription) -> str:
    return f"{detail(subscription)}deliveries/"


def redeliver(d) -> str:
    return f"{deliveries(d.subscription)}{d.pk}/redeliver/"


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True


def test_create_answers_the_secret_once_and_lists_never_show_it(auth_client, allow_private):
    response = auth_client.post(
        LIST,
        {"url": "http://127.0.0.1:9/hook", "event_types": ["task_created", "task_updated"]},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["task_created", "task_updated"]
    assert body["is_active"] is True
    assert body["scope"] == ""
    listed = auth_client.get(LIST).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in auth_client.get(f"{LIST}{body['id']}/").json()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",
        "http://2130706433/",
        "http://0177.0.0.1/",
    ],
)
def test_private_addresses_are_refused_at_creation(auth_client, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    response = auth_client.post(LIST, {"url": url, "event_types": ["task_created"]}, format="json")
    assert response.status_code == 422
    assert "url" in response.json()["error"]["details"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/", "event_types": ["task_created"]}, "url"),
        ({"url": "http://127.0.0.1/", "event_types": []}, "event_types"),
        ({"url": "http://127.0.0.1/", "event_types": ["no_such_type"]}, "event_types"),
        ({"url": "http://127.0.0.1/", "event_types": ["worker_ping"]}, "event_types"),
        ({"url": "http://127.0.0.1/", "event_types": "task_created"}, "event_types"),
        ({"url": "http://127.0.0.1/", "event_types": ["task_created"], "scope": "x"}, "scope"),
        ({"event_types": ["task_created"]}, "url"),
    ],
)
def test_invalid_bodies_are_422_with_the_field(auth_client, allow_private, body, field):
    response = auth_client.post(LIST, body, format="json")
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]


def test_a_scope_the_creator_may_not_see_reads_as_missing(auth_client, allow_private):
    hidden = ProjectFactory()
    missing = "projects.project:01900000-0000-7000-8000-000000000000"
    answers = []
    for scope in (str(node_of(hidden)), missing):
        response = auth_client.post(
            LIST,
            {"url": "http://127.0.0.1/", "event_types": ["task_created"], "scope": scope},
            format="json",
        )
        answers.append((response.status_code, response.json()["error"]["details"]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422
    assert not WebhookSubscription.objects.exists()


def test_a_visible_scope_is_accepted(auth_client, user, allow_private):
    project = ProjectFactory()
    add_member(project, role=MemberRole.GUEST, user=user)
    response = auth_client.post(
        LIST,
        {
            "url": "http://127.0.0.1/",
            "event_types": ["task_created"],
            "scope": str(node_of(project)),
            "with_descendants": False,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["scope"] == str(node_of(project))
    assert response.json()["with_descendants"] is False


def test_another_users_webhook_is_404_everywhere(user, other_user, allow_private):
    theirs = DeliveryFactory(subscription=SubscriptionFactory(owner=other_user))
    sub = theirs.subscription
    client = bearer_client(user)
    assert client.get(detail(sub)).status_code == 404
    assert client.patch(detail(sub), {"is_active": False}, format="json").status_code == 404
    assert client.delete(detail(sub)).status_code == 404
    assert client.get(deliveries(sub)).status_code == 404
    assert client.get(f"{deliveries(sub)}{theirs.pk}/").status_code == 404
    assert client.post(redeliver(theirs)).status_code == 404
    assert client.post(f"{detail(sub)}ping/").status_code == 404
    assert client.get(LIST).json()["results"] == []
    sub.refresh_from_db()
    assert sub.is_active
    assert WebhookDelivery.objects.count() == 1


def test_a_delivery_of_another_webhook_is_404_under_mine(auth_client, user):
    mine = SubscriptionFactory(owner=user)
    theirs = DeliveryFactory()
    url = f"{deliveries(mine)}{theirs.pk}/redeliver/"
    assert auth_client.post(url).status_code == 404


def test_update_changes_fields_and_turning_on_clears_the_disabling(auth_client, user):
    sub = SubscriptionFactory(
        owner=user,
        is_active=False,
        consecutive_failures=10,
        disabled_reason=sending.FAILED_DELIVERIES,
    )
    response = auth_client.patch(
        detail(sub), {"is_active": True, "event_types": ["document_created"]}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["is_active"] is True
    assert (body["consecutive_failures"], body["disabled_reason"]) == (0, "")
    assert body["event_types"] == ["document_created"]


def test_a_disabled_webhook_says_why(auth_client, user):
    sub = SubscriptionFactory(
        owner=user, is_active=False, consecutive_failures=10, disabled_reason="failed_deliveries"
    )
    body = auth_client.get(detail(sub)).json()
    assert "10 failed deliveries" in body["disabled_text"]


def test_a_failed_update_changes_nothing(auth_client, user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    sub = SubscriptionFactory(owner=user, url="https://receiver.example/")
    response = auth_client.patch(
        detail(sub),
        {"description": "changed", "url": "http://127.0.0.1/"},
        format="json",
    )
    assert response.status_code == 422
    sub.refresh_from_db()
    assert (sub.url, sub.description) == ("https://receiver.example/", "")


def test_delete_removes_the_webhook_and_its_log(auth_client, user):
    d = DeliveryFactory(subscription=SubscriptionFactory(owner=user))
    assert auth_client.delete(detail(d.subscription)).status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_the_delivery_log_pages_by_cursor_newest_first(auth_client, user):
    sub = SubscriptionFactory(owner=user)
    made = [DeliveryFactory(subscription=sub) for _ in range(5)]
    DeliveryFactory()  # someone else's
    first = auth_client.get(deliveries(sub), {"limit": 2}).json()
    second = auth_client.get(first["next"]).json()
    third = auth_client.get(second["next"]).json()
    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert seen == [str(d.pk) for d in reversed(made)]
    assert third["next"] is None
    row = first["results"][0]
    assert {"status", "attempts", "response_time_ms", "response_status", "event_type"} <= set(row)


def test_a_made_up_cursor_is_a_400(auth_client, user):
    sub = SubscriptionFactory(owner=user)
    response = auth_client.get(deliveries(sub), {"cursor": "nope"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_lists_run_the_same_queries_for_one_or_many(auth_client, user):
    sub = SubscriptionFactory(owner=user)
    DeliveryFactory(subscription=sub)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as log:
            assert auth_client.get(deliveries(sub)).status_code == 200
            assert auth_client.get(LIST).status_code == 200
        counts.append(len(log))
        for _ in range(6):
            DeliveryFactory(subscription=SubscriptionFactory(owner=user))
            DeliveryFactory(subscription=sub)
    assert counts[0] == counts[1]


def test_redeliver_sends_the_same_event_again_as_a_new_delivery(
    auth_client, user, receiver, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    sub = SubscriptionFactory(owner=user, url=receiver.url)
    first = DeliveryFactory(subscription=sub, event_id=None, status=DeliveryStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(redeliver(first))
    assert response.status_code == 202
    again = WebhookDelivery.objects.get(pk=response.json()["id"])
    assert again.redelivery_of_id == first.pk
    assert again.status == DeliveryStatus.SUCCEEDED
    assert receiver.requests[0].headers["x-nexus-delivery"] == str(again.pk)


def test_redelivery_of_an_event_the_owner_no_longer_sees_is_refused(auth_client, user):
    project = ProjectFactory()
    event = publish("task_created", {"title": "Secret"}, node=str(node_of(project)))
    first = DeliveryFactory(subscription=SubscriptionFactory(owner=user), event_id=event.pk)
    response = auth_client.post(redeliver(first))
    assert response.status_code == 403
    assert WebhookDelivery.objects.count() == 1


def test_redelivery_of_an_event_still_seen_is_accepted(auth_client, user):
    project = ProjectFactory(owner=user)
    event = publish("task_created", {"title": "Mine"}, node=str(node_of(project)))
    first = DeliveryFactory(subscription=SubscriptionFactory(owner=user), event_id=event.pk)
    assert auth_client.post(redeliver(first)).status_code == 202
    assert auth_client.post(redeliver(first)).status_code == 202  # by hand, as often as wanted
    assert WebhookDelivery.objects.filter(redelivery_of=first).count() == 2


def test_ping_sends_a_test_delivery(
    auth_client, user, receiver, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    sub = SubscriptionFactory(owner=user, url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(f"{detail(sub)}ping/")
    assert response.status_code == 202
    assert receiver.requests[0].headers["x-nexus-event-type"] == "ping"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_anonymous_callers_are_401(api_client):
    assert api_client.get(LIST).status_code == 401
