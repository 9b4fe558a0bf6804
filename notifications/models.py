"""A notification: one person told of one event about one object.

Derived from the events outbox (notifications.derivation), never written by a request. The
object is kept as a graph node (label + id) with the title and page address as they were when
it happened, so the list reads no other table and a deleted object still says what it was;
whether the object can still be opened is decided by its own page when it is followed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.notification_kinds import NotificationKind
from nexus_site.ids import uuid7

__all__ = ["Action", "DerivationCursor", "Notification"]


class Action:
    """What happened, as stored on a notification (the page words each one)."""

    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    MENTIONED = "mentioned"
    SHARED = "shared"
    MAIL = "mail"
    MEMBER_ADDED = "member_added"
    MEMBER_REMOVED = "member_removed"
    RUN_FAILED = "run_failed"
    DUE_TOMORROW = "due_tomorrow"
    OVERDUE = "overdue"
    BUDGET_EXCEEDED = "budget_exceeded"
    APPROVAL_REQUESTED = "approval_requested"


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    # What happened (notifications.derivation.Action): assigned, mentioned, shared, ...
    action = models.CharField(_("what happened"), max_length=32)
    # A plain id, as EventAudience: the outbox may be trimmed without touching what people read.
    event_id = models.BigIntegerField(_("event"))
    node_label = models.CharField(_("object type"), max_length=100, blank=True, default="")
    node_id = models.UUIDField(_("object id"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True, default="")
    url = models.CharField(_("address"), max_length=500, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # When an e-mail (at once, grouped, or in the daily digest) carried it; None: not yet.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            # An event processed twice (a retried task, a replayed outbox) notifies once.
            models.UniqueConstraint(
                fields=["recipient", "event_id"], name="notifications_recipient_event_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notifications_mine_idx"),
            # "My unread, newest first" and the bell's count.
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                name="notifications_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.recipient_id}"

    @property
    def node(self) -> str:
        return f"{self.node_label}:{self.node_id}" if self.node_label and self.node_id else ""


class DerivationCursor(models.Model):
    """How far the catch-up sweep (notifications.catch_up) has read the events outbox."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    last_event_id = models.BigIntegerField(_("last event"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("derivation cursor")
        verbose_name_plural = _("derivation cursors")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"
