"""Celery tasks of webhooks: take ids, call the module that does the work, idempotent."""

import datetime
import uuid

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from webhooks import delivery, matching, sweep
from webhooks.enqueue import DELIVER_TASK, FAN_OUT_TASK, enqueue_delivery

# A retry due within this long is scheduled as a delayed task; a later one is left to the sweep
# (every 30 s), so workers do not hold hours of delayed tasks in memory.
ETA_LIMIT = datetime.timedelta(minutes=10)


@shared_task(name=FAN_OUT_TASK, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def fan_out(event_ids: list[int]) -> int:
    """Make the deliveries of these committed events and send them; return how many."""
    pending = matching.deliveries_create(list(event_ids))
    for delivery_id in pending:
        enqueue_delivery(delivery_id)
    return len(pending)


@shared_task(name=DELIVER_TASK, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def deliver(delivery_id: str) -> str:
    """Make the next attempt of one delivery; schedule the one after when it failed."""
    outcome = delivery.deliver(uuid.UUID(str(delivery_id)))
    soon = outcome.next_attempt_at and outcome.next_attempt_at - timezone.now() <= ETA_LIMIT
    # Eager mode would run the retry at once, in a loop: the sweep sends it there.
    if outcome.result == "retry" and soon and not settings.CELERY_TASK_ALWAYS_EAGER:
        enqueue_delivery(delivery_id, eta=outcome.next_attempt_at)
    return outcome.result


@shared_task(name="webhooks.tasks.sweep")
def sweep_deliveries() -> int:
    """Send the due deliveries whose task was lost, and fan out missed events (beat)."""
    return sweep.sweep()
