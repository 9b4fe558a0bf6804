"""Writes of notifications: marking read. Each also tells the reader's other pages live."""

from django.db import transaction
from django.utils import timezone

from nexus_site.events.services import publish
from notifications.models import Notification

# Sent to the reader when notifications are marked read, so every open page's bell follows.
READ_EVENT = "notification_read"


@transaction.atomic
def notification_read(*, actor, notification: Notification) -> Notification:
    """Mark ``notification`` (the actor's own, from the selector) read; a read one stays as is."""
    if notification.recipient_id != actor.pk or notification.read_at is not None:
        return notification
    notification.read_at = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=notification.read_at
    )
    payload = {"notifications": [str(notification.pk)], "recipient": str(actor.pk)}
    publish(READ_EVENT, payload, user_ids=[actor.pk])
    return notification


@transaction.atomic
def notifications_read_all(*, actor) -> int:
    """Mark every unread notification of the actor read; return how many were."""
    marked = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if marked:
        publish(READ_EVENT, {"all": True, "recipient": str(actor.pk)}, user_ids=[actor.pk])
    return marked
