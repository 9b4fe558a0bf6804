"""Sending deliveries to a real receiver on loopback: the signature a receiver checks, retries
with back-off, failure after the last attempt, disabling after failures in a row, the lease,
and the sweep that resends lost deliveries."""

import datetime
import json
import random

import pytest
from django.utils import timezone

from nexus_site.events.models import Event
from webhooks import delivery, signing
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.sweep import GRACE, due_deliveries, sweep
from webhooks.tests.factories import DeliveryFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def pending_delivery(url: str, **fields) -> WebhookDelivery:
    return DeliveryFactory(subscription=SubscriptionFactory(url=url), **fields)


def test_a_delivery_posts_the_payload_signed_as_a_receiver_checks_it(receiver):
    sent = pending_delivery(receiver.url, payload={"id": 7, "type": "task_created", "data": {}})
    outcome = delivery.deliver(sent.pk)
    assert outcome.result == "sent"
    received = receiver.requests[0]
    secret = sent.subscription.secret
    signing.verify(secret, received.body, received.headers["x-nexus-signature"])
    assert json.loads(received.body) == {"id": 7, "type": "task_created", "data": {}}
    assert received.headers["x-nexus-delivery"] == str(sent.pk)
    assert received.headers["x-nexus-event"] == str(sent.event_id)
    assert received.headers["x-nexus-event-type"] == "task_created"
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.SUCCEEDED
    assert (sent.attempts, sent.response_status) == (1, 200)
    assert sent.response_time_ms is not None
    assert sent.finished_at is not None


def test_a_failed_attempt_is_retried_later_with_backoff(receiver, settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 30
    receiver.status = 500
    sent = pending_delivery(receiver.url)
    before = timezone.now()
    outcome = delivery.deliver(sent.pk)
    assert outcome.result == "retry"
    sent.refresh_from_db()
    assert sent.status == DeliveryStatus.PENDING
    assert (sent.attempts, sent.response_status) == (1, 500)
    assert "500" in sent.error
    assert sent.leased_until is None
    wait = (sent.next_attempt_at - before).total_seconds()
    assert 15 <= wait <= 31
    # Not due yet: a second task for it does nothing.
    assert delivery.deliver(sent.pk).result == "skipped"
    assert len(receiver.requests) == 1


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 10
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 100
    rng = random.Random(1)
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (12, 100)]:
        waits = [delivery.backoff_seconds(attempts, rng=rng) for _ in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1  # jittered


def test_after_the_last_attempt_the_delivery_has_failed(receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    receiver.status = 503
    sent = pending_delivery(receiver.url)
    for _ in range(3):
        WebhookDelivery.objects.filter(pk=sent.pk).update(next_attempt_at=timezone.now())
        outcome = delivery.deliver(sent.pk)
    assert outcome.result == "failed"
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (DeliveryStatus.FAILED, 3)
    sent.subscription.refresh_from_db()
    assert sent.subscription.consecutive_failures == 1
    assert len(receiver.requests) == 3


def test_a_refused_address_fails_the_attempt_without_a_request(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    sent = pending_delivery("http://169.254.169.254/latest/meta-data/")
    assert delivery.deliver(sent.pk).result == "retry"
    sent.refresh_from_db()
    assert sent.response_status is None
    assert "private" in sent.error


def test_failures_in_a_row_disable_the_subscription_and_tell_its_owner(receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    receiver.status = 410
    subscription = SubscriptionFactory(url=receiver.url)
    for _ in range(3):
        delivery.deliver(DeliveryFactory(subscription=subscription).pk)
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_reason == delivery.FAILED_DELIVERIES
    assert subscription.disabled_at is not None
    told = Event.objects.get(type=delivery.WEBHOOK_DISABLED_EVENT)
    assert told.audience_users == [str(subscription.owner_id)]
    assert told.payload["webhook"] == str(subscription.pk)
    # A pending delivery of a disabled subscription is not sent.
    later = DeliveryFactory(subscription=subscription)
    assert delivery.deliver(later.pk).result == "failed"
    assert len(receiver.requests) == 3


def test_a_success_resets_the_failures_in_a_row(receiver, settings):
    settings.WEBHOOKS_MAX_ATTEMPTS = 1
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    subscription = SubscriptionFactory(url=receiver.url)
    receiver.status = 500
    for _ in range(2):
        delivery.deliver(DeliveryFactory(subscription=subscription).pk)
    receiver.status = 200
    delivery.deliver(DeliveryFactory(subscription=subscription).pk)
    receiver.status = 500
    for _ in range(2):
        delivery.deliver(DeliveryFactory(subscription=subscription).pk)
    subscription.refresh_from_db()
    assert subscription.is_active
    assert subscription.consecutive_failures == 2


def test_a_leased_delivery_is_not_sent_by_a_second_worker(receiver):
    sent = pending_delivery(receiver.url)
    claimed = delivery.claim(sent.pk, timezone.now())
    assert claimed is not None
    assert delivery.deliver(sent.pk).result == "skipped"
    assert receiver.requests == []


def test_a_lapsed_lease_of_a_dead_worker_is_taken_over(receiver):
    sent = pending_delivery(receiver.url)
    WebhookDelivery.objects.filter(pk=sent.pk).update(
        leased_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert delivery.deliver(sent.pk).result == "sent"


def test_a_finished_delivery_is_never_sent_again(receiver):
    sent = pending_delivery(receiver.url)
    delivery.deliver(sent.pk)
    assert delivery.deliver(sent.pk).result == "skipped"
    assert len(receiver.requests) == 1


def test_the_sweep_resends_a_delivery_whose_task_was_lost(receiver, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    lost = pending_delivery(
        receiver.url, next_attempt_at=timezone.now() - GRACE - datetime.timedelta(seconds=5)
    )
    young = pending_delivery(receiver.url)  # its task is still on its way
    assert due_deliveries(timezone.now()) == [lost.pk]
    assert sweep() == 1
    lost.refresh_from_db()
    young.refresh_from_db()
    assert lost.status == DeliveryStatus.SUCCEEDED
    assert young.status == DeliveryStatus.PENDING
    assert len(receiver.requests) == 1


def test_the_sweep_leaves_a_delivery_leased_by_a_live_worker(receiver):
    held = pending_delivery(
        receiver.url,
        next_attempt_at=timezone.now() - GRACE * 2,
        leased_until=timezone.now() + datetime.timedelta(seconds=30),
    )
    assert due_deliveries(timezone.now()) == []
    assert WebhookDelivery.objects.get(pk=held.pk).status == DeliveryStatus.PENDING


def test_a_retry_due_soon_is_a_delayed_task_and_a_late_one_is_left_to_the_sweep(
    receiver, settings, monkeypatch
):
    from webhooks import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    receiver.status = 500
    scheduled = []
    monkeypatch.setattr(tasks, "enqueue_delivery", lambda pk, eta=None: scheduled.append(eta))
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 30
    soon = pending_delivery(receiver.url)
    assert tasks.deliver(str(soon.pk)) == "retry"
    soon.refresh_from_db()
    assert scheduled == [soon.next_attempt_at]
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 3600
    late = pending_delivery(receiver.url)
    assert tasks.deliver(str(late.pk)) == "retry"
    assert len(scheduled) == 1


def test_the_outbox_keeps_the_events_the_sweep_has_not_read():
    from nexus_site.events.retention import retention_floor
    from webhooks.models import DeliveryCursor

    DeliveryCursor.objects.create(name="events", last_event_id=41)
    assert retention_floor() == 42  # no other reader has a cursor here
