"""AI usage: one row per model call (``AIInteraction``), the price table it is costed from
(``ModelPrice``), monthly budgets (``AIBudget``) and the once-a-month alert row that makes a
budget's "exceeded" event idempotent (``AIBudgetAlert``), and the daily rollups that keep
statistics and budgets right once raw rows are purged (``AIUsageRollup``, ``AIUsageWatermark``;
workspace.ai_usage.rollups).

Token counts are plain integer columns, so a month of rows aggregates in one query. The cost is
computed once, at ingestion, from the prices in force at ``occurred_at`` and stored: a later
price change never rewrites history.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.ids import uuid7

__all__ = [
    "AIBudget",
    "AIBudgetAlert",
    "AIInteraction",
    "AIModule",
    "AIUsageRollup",
    "AIUsageWatermark",
    "CostSource",
    "InteractionStatus",
    "ModelPrice",
    "RollupGrain",
    "RollupSpan",
    "UsageType",
]

COST_DIGITS = 18
COST_PLACES = 8


class AIModule(models.TextChoices):
    DOCUMENTS = "documents", _("Documents")
    MAIL = "mail", _("Mail")
    CHAT = "chat", _("Chat")
    PROJECTS = "projects", _("Projects")
    PATTERNS = "patterns", _("Patterns")
    OTHER = "other", _("Other")


class UsageType(models.TextChoices):
    INPUT = "input", _("Input tokens")
    OUTPUT = "output", _("Output tokens")
    CACHED = "cached", _("Cached tokens")


class InteractionStatus(models.TextChoices):
    SUCCESS = "success", _("Success")
    ERROR = "error", _("Error")


class CostSource(models.TextChoices):
    COMPUTED = "computed", _("Computed from the price table")
    CLIENT = "client", _("Given by the client")
    UNPRICED = "unpriced", _("No price for this model")


class ModelPrice(models.Model):
    """The price of one usage type of one model, in force from ``valid_from`` until the next."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    model = models.CharField(_("model"), max_length=100)
    usage_type = models.CharField(_("usage type"), max_length=8, choices=UsageType.choices)
    price_per_million = models.DecimalField(
        _("price per million tokens"), max_digits=12, decimal_places=6
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("model price")
        verbose_name_plural = _("model prices")
        ordering = ["model", "usage_type", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "usage_type", "valid_from"],
                name="ai_usage_price_unique",
                violation_error_message=_(
                    "This model already has a price of this type from that moment."
                ),
            ),
            models.CheckConstraint(
                condition=Q(price_per_million__gte=0), name="ai_usage_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(usage_type__in=UsageType.values), name="ai_usage_price_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.usage_type} {self.price_per_million} {self.currency}"


class AIInteraction(models.Model):
    """One call to an AI model made by a user, with its usage, latency, outcome and cost."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="ai_interactions",
    )
    module = models.CharField(_("module"), max_length=16, choices=AIModule.choices)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ai_interactions",
    )
    model = models.CharField(_("model"), max_length=100)
    prompt = models.TextField(_("prompt"), blank=True)
    response = models.TextField(_("response"), blank=True)
    input_tokens = models.BigIntegerField(_("input tokens"), default=0)
    output_tokens = models.BigIntegerField(_("output tokens"), default=0)
    cached_tokens = models.BigIntegerField(_("cached tokens"), default=0)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), default=0)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=InteractionStatus.choices,
        default=InteractionStatus.SUCCESS,
    )
    error = models.TextField(_("error"), blank=True)
    cost = models.DecimalField(
        _("cost"), max_digits=COST_DIGITS, decimal_places=COST_PLACES, default=Decimal("0")
    )
    cost_source = models.CharField(
        _("cost source"), max_length=8, choices=CostSource.choices, default=CostSource.COMPUTED
    )
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("AI interaction")
        verbose_name_plural = _("AI interactions")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(input_tokens__gte=0)
                & Q(output_tokens__gte=0)
                & Q(cached_tokens__gte=0),
                name="ai_usage_tokens_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(latency_ms__gte=0), name="ai_usage_latency_not_negative"
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="ai_usage_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(module__in=AIModule.values), name="ai_usage_module_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=InteractionStatus.values), name="ai_usage_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(cost_source__in=CostSource.values),
                name="ai_usage_cost_source_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "occurred_at"], name="ai_usage_user_time_idx"),
            models.Index(fields=["project", "occurred_at"], name="ai_usage_project_time_idx"),
            models.Index(fields=["occurred_at"], name="ai_usage_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.model} ({self.module}) {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def usage(self) -> dict[str, int]:
        return {
            UsageType.INPUT: self.input_tokens,
            UsageType.OUTPUT: self.output_tokens,
            UsageType.CACHED: self.cached_tokens,
        }


class AIBudget(models.Model):
    """A monthly spending limit for exactly one user or one project."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ai_budgets",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ai_budgets",
    )
    amount = models.DecimalField(_("monthly amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("AI budget")
        verbose_name_plural = _("AI budgets")
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(project__isnull=True))
                | (Q(user__isnull=True) & Q(project__isnull=False)),
                name="ai_usage_budget_one_owner",
                violation_error_message=_("A budget belongs to exactly one user or project."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="ai_usage_budget_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(user__isnull=False),
                name="ai_usage_budget_user_unique",
                violation_error_message=_("This user already has a budget."),
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(project__isnull=False),
                name="ai_usage_budget_project_unique",
                violation_error_message=_("This project already has a budget."),
            ),
        ]

    def __str__(self) -> str:
        owner = self.project if self.project_id else self.user
        return f"{owner}: {self.amount} {self.currency}"


class AIBudgetAlert(models.Model):
    """The record that ``budget`` was exceeded in ``month``: at most one per budget and month."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    budget = models.ForeignKey(
        AIBudget, verbose_name=_("budget"), on_delete=models.CASCADE, related_name="alerts"
    )
    month = models.DateField(_("month"))  # its first day
    spent = models.DecimalField(_("spent"), max_digits=COST_DIGITS, decimal_places=COST_PLACES)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("AI budget alert")
        verbose_name_plural = _("AI budget alerts")
        ordering = ["-month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["budget", "month"], name="ai_usage_alert_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.budget} {self.month:%Y-%m}"


class RollupGrain(models.TextChoices):
    """What a rollup row is per (besides its day): the keys it keeps."""

    SCOPE = "scope", _("User, project, model and module")
    MODEL = "model", _("Model")
    MODULE = "module", _("Module")
    USER = "user", _("User")
    PROJECT = "project", _("Project")
    DAY = "day", _("Day")


class RollupSpan(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")


class AIUsageRollup(models.Model):
    """The figures of some interactions of one UTC day (or month, from ``day``, its first day)
    that share the keys of their grain.

    Rows are partial sums: several rows may share a day and keys (a call recorded late for a
    day already rolled up adds its own rows), so readers always sum them. The latency
    histogram (workspace.ai_usage.latency) is what percentiles are read from.
    """

    id = models.BigAutoField(primary_key=True)
    day = models.DateField(_("day"))
    span = models.CharField(
        _("span"), max_length=5, choices=RollupSpan.choices, default=RollupSpan.DAY
    )
    grain = models.CharField(_("grain"), max_length=8, choices=RollupGrain.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    model = models.CharField(_("model"), max_length=100, blank=True, default="")
    module = models.CharField(_("module"), max_length=16, blank=True, default="")
    count = models.BigIntegerField(_("calls"), default=0)
    input_tokens = models.BigIntegerField(_("input tokens"), default=0)
    output_tokens = models.BigIntegerField(_("output tokens"), default=0)
    cached_tokens = models.BigIntegerField(_("cached tokens"), default=0)
    cost = models.DecimalField(
        _("cost"), max_digits=COST_DIGITS + 8, decimal_places=COST_PLACES, default=Decimal("0")
    )
    errors = models.BigIntegerField(_("errors"), default=0)
    latency = models.JSONField(_("latency histogram"), default=dict, blank=True)

    class Meta:
        verbose_name = _("AI usage rollup")
        verbose_name_plural = _("AI usage rollups")
        ordering = ["day", "span", "grain", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(grain__in=RollupGrain.values), name="ai_usage_rollup_grain_valid"
            ),
            models.CheckConstraint(
                condition=Q(span__in=RollupSpan.values), name="ai_usage_rollup_span_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["grain", "span", "day"], name="ai_rollup_grain_day_idx"),
            models.Index(fields=["user", "day"], name="ai_rollup_user_day_idx"),
            models.Index(fields=["project", "day"], name="ai_rollup_project_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.span} {self.grain} {self.count}"


class AIUsageWatermark(models.Model):
    """The one row saying every UTC day before ``rolled_up_before`` is in the rollups."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    rolled_up_before = models.DateField(_("rolled up before"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("AI usage watermark")
        verbose_name_plural = _("AI usage watermarks")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="ai_usage_watermark_single"),
        ]

    def __str__(self) -> str:
        return f"{self.rolled_up_before}"
