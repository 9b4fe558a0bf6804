"""Outgoing webhook subscriptions with their delivery log, and incoming webhook URLs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.ids import uuid7


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class WebhookSubscription(models.Model):
    """POST the events of some types, within a scope its owner may see, to a URL, signed."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    url = models.CharField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    event_types = models.JSONField(_("event types"), default=list)
    # A graph node (app_label.model:uuid); empty: every event the owner may see.
    scope = models.CharField(_("scope"), max_length=128, blank=True, default="")
    with_descendants = models.BooleanField(_("and everything under it"), default=True)
    # Kept as typed, not hashed: every delivery is signed with it, so it must be readable, as
    # Stripe's and GitHub's signing secrets are. Shown to its owner once, at creation; never in
    # a list, the admin or a log. Whoever reads the database can sign as Nexus to this
    # receiver; rotating it means deleting and re-creating the subscription (docs/webhooks.md).
    secret = models.CharField(_("secret"), max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("failed deliveries in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="webhooks_owner_idx")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event (or a ping) to POST to one subscription, with the outcome of its attempts."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # The outbox event's id: a plain number, so pruning the outbox never touches the log.
    event_id = models.BigIntegerField(_("event"), null=True, blank=True)
    event_type = models.CharField(_("event type"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict)
    redelivery_of = models.ForeignKey(
        "self",
        verbose_name=_("redelivery of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="redeliveries",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_status = models.PositiveIntegerField(_("response status"), null=True, blank=True)
    response_time_ms = models.PositiveIntegerField(_("response time (ms)"), null=True, blank=True)
    response_body = models.TextField(_("response body (start)"), blank=True, default="")
    error = models.CharField(_("error"), max_length=500, blank=True, default="")
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # Set while a worker sends it; a worker that dies lets it lapse and the sweep resends.
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Exactly one delivery of an event to a subscription, however often it is processed;
            # a redelivery by hand is a new row pointing at the first.
            models.UniqueConstraint(
                fields=["subscription", "event_id"],
                condition=Q(event_id__isnull=False, redelivery_of__isnull=True),
                name="webhooks_delivery_once",
            ),
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhooks_log_idx"),
            models.Index(
                fields=["next_attempt_at"],
                name="webhooks_due_idx",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.subscription_id}"

    @property
    def is_finished(self) -> bool:
        return self.status != DeliveryStatus.PENDING

    @property
    def next_attempt_shown(self):
        """When the next attempt is due; None once finished."""
        return None if self.is_finished else self.next_attempt_at


class IncomingWebhook(models.Model):
    """A URL that starts a pattern as its owner, with the POSTed JSON as input."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="incoming_webhooks",
    )
    pattern = models.ForeignKey(
        "patterns.Pattern",
        verbose_name=_("pattern"),
        on_delete=models.CASCADE,
        related_name="incoming_webhooks",
    )
    name = models.CharField(_("name"), max_length=200, blank=True, default="")
    # SHA-256 of the URL's token: the token itself is shown once and never stored.
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token start"), max_length=16, editable=False)
    # Optional: when set, each request must carry X-Nexus-Signature made with it. Readable, as
    # checking an HMAC needs the key.
    signing_secret = models.CharField(
        _("signing secret"), max_length=100, blank=True, default="", editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming webhook")
        verbose_name_plural = _("incoming webhooks")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name or f"{self.token_prefix}…"

    @property
    def requires_signature(self) -> bool:
        return bool(self.signing_secret)


class DeliveryCursor(models.Model):
    """How far the catch-up sweep has read the outbox (one row)."""

    name = models.CharField(_("name"), max_length=32, primary_key=True)
    last_event_id = models.BigIntegerField(_("last event"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("delivery cursor")
        verbose_name_plural = _("delivery cursors")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}"
