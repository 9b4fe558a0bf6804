"""Read notifications on behalf of a user: only ever their own."""

from typing import Any

from django.db.models import QuerySet

from nexus_site.exceptions import NotFoundError
from notifications.models import Notification


def notifications_of(user, *, unread: bool = False) -> QuerySet[Notification]:
    """Return ``user``'s notifications, newest first, with their actors."""
    mine = Notification.objects.filter(recipient_id=user.pk).select_related("actor")
    if unread:
        mine = mine.filter(read_at__isnull=True)
    return mine.order_by("-created_at", "-id")


def notification_get(user, notification_id: Any) -> Notification:
    """Return ``user``'s notification ``notification_id``; NotFoundError for anyone else's."""
    notification = notifications_of(user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFoundError()
    return notification


def unread_count(user) -> int:
    """Return how many of ``user``'s notifications are unread (one query)."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
