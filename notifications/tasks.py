"""Celery tasks of notifications: derive committed events (ids in, idempotent)."""

from celery import current_app, shared_task
from django.db import DatabaseError

from nexus_site.events.models import Event
from notifications.derivation import derive

DERIVE_TASK = "notifications.tasks.derive_events"


@shared_task(
    name=DERIVE_TASK,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
)
def derive_events(event_ids: list[int]) -> int:
    """Create the notifications of these events; return how many were created."""
    created = 0
    for event in Event.objects.filter(id__in=event_ids).order_by("id"):
        created += derive(event)
    return created


def derive_after_commit(event_ids: list[int]) -> None:
    """The events' committed listener: enqueue their derivation, sent by name."""
    current_app.signature(DERIVE_TASK, args=[list(event_ids)]).delay()
