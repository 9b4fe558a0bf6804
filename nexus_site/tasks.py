"""Celery tasks of the hub."""

from celery import shared_task
from django.db import transaction

from nexus_site.definitions.enums import EventType
from nexus_site.events.models import Event
from nexus_site.events.services import publish
from nexus_site.retention import purge_expired as run_purgers

PING_EVENT_TYPE = EventType.WORKER_PING


@shared_task(name="nexus_site.tasks.ping")
def ping(token: str) -> int:
    """Record that a worker ran this task as a staff-only event; return the event id.

    Idempotent: a redelivered ping with the same token returns the first event.
    """
    with transaction.atomic():
        existing = Event.objects.filter(type=PING_EVENT_TYPE, payload__token=token).first()
        if existing is not None:
            return existing.id
        return publish(PING_EVENT_TYPE, {"token": token}).id


@shared_task(name="nexus_site.tasks.purge_expired")
def purge_expired() -> dict:
    """Run every registered retention purger in batches (nexus_site.retention); return how
    many rows each deleted."""
    return run_purgers()
