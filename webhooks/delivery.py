"""Send one delivery: claim it, POST it signed, record the outcome, schedule the retry or give up.

A delivery is claimed with one conditional UPDATE (pending, due, not leased by a live worker),
so two tasks for the same delivery (a duplicate enqueue, the sweep racing a retry) send it
once. The lease outlives the request's timeouts; a worker that dies while sending lets it
lapse and the sweep (``webhooks.sweep``) sends it again. That is the only way a receiver sees
the same delivery twice, which is why each carries its id (``X-Nexus-Delivery``).

A failed attempt (an answer outside 2xx, a refused address, a timeout) is retried after an
exponential back-off with full jitter, up to ``WEBHOOKS_MAX_ATTEMPTS``; then the delivery has
failed. ``WEBHOOKS_DISABLE_AFTER_FAILURES`` failed deliveries in a row disable the
subscription, with the reason on its page and a ``webhook_disabled`` event to its owner; one
success resets the count.
"""

import contextlib
import datetime
import json
import random
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from nexus_site.events.services import publish
from webhooks import egress, signing
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

WEBHOOK_DISABLED_EVENT = "webhook_disabled"
RESPONSE_BODY_KEPT = 2000
# The reason a subscription was disabled automatically (its page words it, in the reader's
# language, from this code and its failure count).
FAILED_DELIVERIES = "failed_deliveries"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: ``sent`` (2xx), ``retry`` (at ``next_attempt_at``), ``failed``
    (no attempt left), or ``skipped`` (not due, taken by another worker, or finished)."""

    result: str
    delivery_id: uuid.UUID
    next_attempt_at: datetime.datetime | None = None


def lease_seconds() -> float:
    connect, read = egress.timeouts()
    return connect + read + 30


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Return the wait before attempt ``attempts + 1``: full jitter over an exponential cap."""
    base = float(settings.WEBHOOKS_RETRY_BASE_SECONDS)
    cap = float(settings.WEBHOOKS_RETRY_MAX_SECONDS)
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return (rng or random).uniform(ceiling / 2, ceiling)


def claim(delivery_id: uuid.UUID, now: datetime.datetime) -> WebhookDelivery | None:
    """Take the delivery for this worker if it is pending, due and not leased; else None."""
    with transaction.atomic(), relaxed_commit():
        taken = WebhookDelivery.objects.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
        ).update(leased_until=now + datetime.timedelta(seconds=lease_seconds()))
        if not taken:
            return None
        return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


@contextlib.contextmanager
def relaxed_commit():
    """Inside a transaction on PostgreSQL: let its commit return before the WAL reaches the
    disk (``synchronous_commit = off``, this transaction only; all or nothing still).

    Safe for a delivery's own bookkeeping: a database crash may lose the last fraction of a
    second of claims and outcomes, which leaves those deliveries pending and unleased, so the
    sweep sends them again, which the at-least-once contract with receivers (deduplicate on
    X-Nexus-Delivery) already allows. It saves a disk flush per write, two per delivery.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    yield


def request_headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        signing.SIGNATURE_HEADER: signing.signature_header(delivery.subscription.secret, body),
        signing.EVENT_HEADER: str(delivery.event_id or ""),
        signing.EVENT_TYPE_HEADER: delivery.event_type,
        signing.DELIVERY_HEADER: str(delivery.pk),
    }


def encoded(payload) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def deliver(delivery_id: uuid.UUID) -> Outcome:
    """Make the next attempt of a delivery, if it is due; return what came of it."""
    now = timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return Outcome("skipped", delivery_id)
    subscription = delivery.subscription
    manual = delivery.redelivery_of_id is not None or delivery.event_id is None
    if not subscription.is_active and not manual:
        finish(delivery, DeliveryStatus.FAILED, error=gettext("The webhook is disabled."))
        return Outcome("failed", delivery_id)
    body = encoded(delivery.payload)
    status, elapsed, error, answer = None, None, "", ""
    try:
        response = egress.post(subscription.url, body, headers=request_headers(delivery, body))
    except egress.EgressError as exc:
        error = str(exc)
    else:
        status, elapsed = response.status, response.elapsed_ms
        answer = response.body[:RESPONSE_BODY_KEPT].decode("utf-8", "replace")
        if not response.ok:
            error = gettext("The receiver answered %(status)s.") % {"status": status}
    delivery.attempts += 1
    delivery.response_status, delivery.response_time_ms = status, elapsed
    delivery.response_body, delivery.error = answer, error[:500]
    if not error:
        finish(delivery, DeliveryStatus.SUCCEEDED)
        if subscription.consecutive_failures:
            WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        return Outcome("sent", delivery_id)
    if delivery.attempts >= int(settings.WEBHOOKS_MAX_ATTEMPTS):
        finish(delivery, DeliveryStatus.FAILED)
        if not manual:
            count_failure(subscription)
        return Outcome("failed", delivery_id)
    delivery.next_attempt_at = timezone.now() + datetime.timedelta(
        seconds=backoff_seconds(delivery.attempts)
    )
    delivery.leased_until = None
    with transaction.atomic(), relaxed_commit():
        delivery.save(update_fields=[*ATTEMPT_FIELDS, "next_attempt_at", "leased_until"])
    return Outcome("retry", delivery_id, delivery.next_attempt_at)


ATTEMPT_FIELDS = ["attempts", "response_status", "response_time_ms", "response_body", "error"]


def finish(delivery: WebhookDelivery, status: str, *, error: str | None = None) -> None:
    delivery.status = status
    if error is not None:
        delivery.error = error
    delivery.finished_at = timezone.now()
    delivery.leased_until = None
    with transaction.atomic(), relaxed_commit():
        delivery.save(update_fields=[*ATTEMPT_FIELDS, "status", "finished_at", "leased_until"])


def count_failure(subscription: WebhookSubscription) -> None:
    """Count a failed delivery; disable the subscription at the limit, once, and say so."""
    limit = int(settings.WEBHOOKS_DISABLE_AFTER_FAILURES)
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        disabled = WebhookSubscription.objects.filter(
            pk=subscription.pk, is_active=True, consecutive_failures__gte=limit
        ).update(is_active=False, disabled_at=timezone.now(), disabled_reason=FAILED_DELIVERIES)
        if disabled:
            publish(
                WEBHOOK_DISABLED_EVENT,
                {
                    "webhook": str(subscription.pk),
                    "url": subscription.url,
                    "reason": FAILED_DELIVERIES,
                    "failures": limit,
                },
                user_ids=[subscription.owner_id],
            )
