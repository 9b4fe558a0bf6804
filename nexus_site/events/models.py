from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One published domain event (the outbox). Its integer id is the replay cursor."""

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(_("type"), max_length=64, db_index=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # Audience, fixed when published: these users, and/or whoever may see this graph node.
    # audience_users is the record as published; EventAudience rows index it for queries.
    audience_users = models.JSONField(_("audience users"), default=list, blank=True)
    audience_node = models.CharField(_("audience node"), max_length=128, blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    # How many automated runs led to it: 0 for what a person did, a run's depth inside it.
    chain_depth = models.PositiveSmallIntegerField(_("chain depth"), default=0)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["audience_node", "id"],
                name="events_node_id_idx",
                condition=~models.Q(audience_node=""),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.type}"


class EventAudience(models.Model):
    """One user named in an event's audience: the indexed form of ``Event.audience_users``."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="audience"
    )
    # A plain id, not a foreign key: an event outlives its readers and must never fail
    # its publisher's commit because a named user was deleted meanwhile.
    user_id = models.UUIDField(_("user id"))

    class Meta:
        verbose_name = _("event audience")
        verbose_name_plural = _("event audiences")
        ordering = ["event_id", "user_id"]
        constraints = [
            # Also the index that serves "events for this user after the cursor".
            models.UniqueConstraint(fields=["user_id", "event"], name="events_audience_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.event_id} -> {self.user_id}"
