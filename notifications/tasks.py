"""Celery tasks of notifications: take ids, call the module that does the work, idempotent."""

from celery import current_app, shared_task
from django.db import DatabaseError

from nexus_site.events.models import Event
from notifications import catch_up, due, emails
from notifications.derivation import derive

DERIVE_TASK = "notifications.tasks.derive_events"


@shared_task(name=DERIVE_TASK, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def derive_events(event_ids: list[int]) -> int:
    """Create the notifications of these events; return how many were created."""
    created = 0
    for event in Event.objects.filter(id__in=event_ids).order_by("id"):
        created += derive(event)
    return created


def derive_after_commit(event_ids: list[int]) -> None:
    """The events' committed listener: enqueue their derivation, sent by name."""
    current_app.signature(DERIVE_TASK, args=[list(event_ids)]).delay()


@shared_task(
    name=emails.SEND_TASK,
    autoretry_for=(OSError, DatabaseError),
    retry_backoff=True,
    max_retries=5,
)
def send_immediate_email(recipient_id: str, kind: str) -> int:
    """E-mail one person their pending notifications of one kind, grouped."""
    return emails.send_immediate(recipient_id, kind)


@shared_task(name="notifications.tasks.send_daily_digests")
def send_daily_digests() -> int:
    """Send each person who chose a daily digest their pending notifications (beat)."""
    return emails.send_daily_digests()


@shared_task(name="notifications.tasks.announce_due_tasks")
def announce_due_tasks() -> int:
    """Announce the tasks due tomorrow or overdue, once per task and day (beat)."""
    return due.announce_due_tasks()


@shared_task(name="notifications.tasks.catch_up")
def catch_up_events() -> int:
    """Derive the events whose derivation was never enqueued (beat, every minute)."""
    return catch_up.catch_up()
