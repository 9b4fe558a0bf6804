"""The safety net behind the listener and the retry tasks (beat, every 30 seconds).

- Deliveries that are pending and due but leased by nobody (their task never reached the
  broker, or the worker died while sending and the lease lapsed) are enqueued again; the
  delivery's claim makes a duplicate harmless.
- Events the committed listener never fanned out (the broker was down at that instant, a
  process died between commit and enqueue) are read from the outbox after a stored cursor,
  once older than ``LAG``, and fanned out; the unique (subscription, event) constraint makes
  an event fanned out twice deliver once. A first sweep starts at the end of the outbox.
"""

import datetime

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from nexus_site.events.models import Event
from webhooks.enqueue import enqueue_delivery
from webhooks.matching import SUBSCRIBABLE_TYPES, deliveries_create
from webhooks.models import DeliveryCursor, DeliveryStatus, WebhookDelivery

CURSOR = "events"
LAG = datetime.timedelta(seconds=30)
EVENT_BATCH = 500
DELIVERY_BATCH = 1000
# A delivery due this long ago and still not leased has lost its task (a queued task normally
# runs well within it); younger ones are left to the task on its way, not enqueued twice.
GRACE = datetime.timedelta(seconds=60)


def due_deliveries(now: datetime.datetime) -> list:
    """Return the ids of pending deliveries overdue by ``GRACE`` and held by no live worker."""
    return list(
        WebhookDelivery.objects.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now - GRACE,
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:DELIVERY_BATCH]
    )


def catch_up(now: datetime.datetime) -> list:
    """Fan out the events after the cursor older than ``LAG``; return new pending deliveries."""
    settled = now - LAG
    with transaction.atomic():
        cursor = DeliveryCursor.objects.select_for_update().filter(name=CURSOR).first()
        if cursor is None:
            end = Event.objects.filter(created_at__lt=settled).aggregate(end=Max("id"))["end"]
            DeliveryCursor.objects.create(name=CURSOR, last_event_id=end or 0)
            return []
        event_ids = list(
            Event.objects.filter(
                id__gt=cursor.last_event_id,
                type__in=sorted(SUBSCRIBABLE_TYPES),
                created_at__lt=settled,
            )
            .order_by("id")
            .values_list("id", flat=True)[:EVENT_BATCH]
        )
        pending = deliveries_create(event_ids) if event_ids else []
        if event_ids:
            cursor.last_event_id = event_ids[-1]
            cursor.save(update_fields=["last_event_id", "updated_at"])
    return pending


def sweep(now: datetime.datetime | None = None) -> int:
    """Enqueue every due delivery nobody holds, after fanning out missed events; return how
    many were enqueued."""
    now = now or timezone.now()
    catch_up(now)
    due = due_deliveries(now)
    for delivery_id in due:
        enqueue_delivery(delivery_id)
    return len(due)
