"""Notifications made directly (the derivation has its own tests)."""

import datetime

from django.utils import timezone

from accounts.notification_kinds import NotificationKind
from notifications.models import Action, Notification

_events = iter(range(1_000_000, 10_000_000))


def notification_for(recipient, *, actor=None, minutes_ago: int = 0, read: bool = False, **fields):
    """Return a notification of ``recipient`` (a mention of a task titled Plan by default)."""
    created = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    values = {
        "kind": NotificationKind.MENTION,
        "action": Action.MENTIONED,
        "node_label": "projects.task",
        "title": "Plan",
        "url": "/projects/",
        **fields,
    }
    return Notification.objects.create(
        recipient=recipient,
        actor=actor,
        event_id=next(_events),
        created_at=created,
        read_at=created if read else None,
        **values,
    )
