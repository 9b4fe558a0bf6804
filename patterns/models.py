"""Patterns, their immutable versions, executions pinned to a version, and step runs.

The definition JSON of a version is validated by ``patterns.engine.validation`` before it
is stored and never changes afterwards: executions keep pointing at the version they began
with whatever is published later.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.ids import uuid7

PATTERN_KEY = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,63}$",
    _("Use 1 to 64 lower-case letters, digits, hyphens and underscores."),
)
# Paths beside patterns/<key>/ in the API and the pages: no pattern may take these keys.
RESERVED_KEYS = frozenset({"triggers", "schedules", "executions", "new"})


def not_reserved(key: str) -> None:
    if key in RESERVED_KEYS:
        raise ValidationError(_("This key is reserved; choose another."), code="reserved")


class PatternKind(models.TextChoices):
    SYSTEM = "system", _("System")
    USER = "user", _("User")
    COMPOSITE = "composite", _("Composite")


class ExecutionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    COMPENSATED = "compensated", _("Compensated")


FINISHED_STATUSES = frozenset(
    {
        ExecutionStatus.SUCCEEDED,
        ExecutionStatus.FAILED,
        ExecutionStatus.CANCELLED,
        ExecutionStatus.COMPENSATED,
    }
)


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
    COMPENSATED = "compensated", _("Compensated")


class Pattern(models.Model):
    """A named workflow; its steps live in versions, the newest being ``current_version``."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    key = models.CharField(
        _("key"), max_length=64, unique=True, validators=[PATTERN_KEY, not_reserved]
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    kind = models.CharField(
        _("kind"), max_length=16, choices=PatternKind.choices, default=PatternKind.USER
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="patterns",
    )
    is_active = models.BooleanField(_("active"), default=True)
    input_schema = models.JSONField(_("input schema"), default=dict, blank=True)
    current_version = models.PositiveIntegerField(_("current version"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pattern")
        verbose_name_plural = _("patterns")
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=PatternKind.USER) | Q(owner__isnull=False),
                name="patterns_user_pattern_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class PatternVersion(models.Model):
    """One immutable, validated definition of a pattern."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    pattern = models.ForeignKey(
        Pattern, verbose_name=_("pattern"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("number"))
    definition = models.JSONField(_("definition"))
    checksum = models.CharField(_("checksum"), max_length=64)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("pattern version")
        verbose_name_plural = _("pattern versions")
        ordering = ["pattern", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["pattern", "number"], name="patterns_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="patterns_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.pattern_id} v{self.number}"


class Execution(models.Model):
    """One run of one pattern version with one input.

    While a worker runs it, the execution holds a lease (``lease_owner`` until
    ``lease_expires_at``); a lease that runs out means the worker died, and the reclaim task
    resumes the run from its last committed step.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    pattern = models.ForeignKey(
        Pattern, verbose_name=_("pattern"), on_delete=models.CASCADE, related_name="executions"
    )
    version = models.ForeignKey(
        PatternVersion,
        verbose_name=_("version"),
        on_delete=models.RESTRICT,
        related_name="executions",
    )
    input = models.JSONField(_("input"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ExecutionStatus.choices,
        default=ExecutionStatus.PENDING,
        db_index=True,
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pattern_executions",
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, blank=True, default="")
    # How many trigger hops led to this run: 0 when a person, a schedule or a call started it.
    chain_depth = models.PositiveSmallIntegerField(_("chain depth"), default=0)
    parent_step = models.ForeignKey(
        "StepRun",
        verbose_name=_("called by step"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="child_executions",
    )
    error = models.JSONField(_("error"), null=True, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    lease_owner = models.CharField(_("lease owner"), max_length=200, blank=True, default="")
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    resume_at = models.DateTimeField(_("resume at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("execution")
        verbose_name_plural = _("executions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pattern", "started_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="patterns_execution_idempotency",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "lease_expires_at"],
                name="patterns_execution_lease_idx",
                condition=Q(status__in=["pending", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pattern_id} {self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class StepRun(models.Model):
    """What happened to one step of one execution: attempts, output, error, compensation."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    execution = models.ForeignKey(
        Execution, verbose_name=_("execution"), on_delete=models.CASCADE, related_name="steps"
    )
    step_id = models.CharField(_("step"), max_length=100)
    position = models.PositiveIntegerField(_("position"))
    type = models.CharField(_("type"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The parameters as last run, references filled in: what the step did, and what undo gets.
    parameters = models.JSONField(_("parameters"), null=True, blank=True)
    output = models.JSONField(_("output"), null=True, blank=True)
    error = models.JSONField(_("error"), null=True, blank=True)
    # Every failed attempt, oldest first: {"attempt", "code", "message", "at"}.
    failures = models.JSONField(_("failures"), default=list, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The order steps finished in, so compensation can undo them newest first.
    finished_seq = models.PositiveIntegerField(_("finished order"), null=True, blank=True)
    compensated_at = models.DateTimeField(_("compensated at"), null=True, blank=True)
    compensation_error = models.JSONField(_("compensation error"), null=True, blank=True)

    class Meta:
        verbose_name = _("step run")
        verbose_name_plural = _("step runs")
        ordering = ["execution", "position"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "step_id"], name="patterns_step_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.step_id} ({self.status})"

    @property
    def duration_ms(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds() * 1000


class PatternSchedule(models.Model):
    """Run a pattern with a fixed input on a django-celery-beat schedule, as a given user."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    pattern = models.ForeignKey(
        Pattern, verbose_name=_("pattern"), on_delete=models.CASCADE, related_name="schedules"
    )
    input = models.JSONField(_("input"), default=dict, blank=True)
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run as"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        verbose_name=_("periodic task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("pattern schedule")
        verbose_name_plural = _("pattern schedules")
        ordering = ["pattern", "created_at"]

    def __str__(self) -> str:
        return f"{self.pattern_id} ({self.run_as_id})"


class TriggerOutcome(models.TextChoices):
    STARTED = "started", _("Run started")
    RATE_LIMITED = "rate_limited", _("Stopped by the rate limit")
    DEPTH_LIMITED = "depth_limited", _("Stopped by the chain depth limit")
    REFUSED = "refused", _("Refused")


class PatternTrigger(models.Model):
    """Start a pattern when a matching event is published, as the trigger's owner.

    An event matches when its type is ``event_type``, it concerns ``scope_node`` (or, with
    ``with_descendants``, anything under it in the parent hierarchy; anything at all without a
    scope), the owner may see it, and every condition of ``filter`` holds on it. The run's
    input is ``input_map`` with ``{{ event.… }}`` references filled in from the event.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="pattern_triggers",
    )
    pattern = models.ForeignKey(
        Pattern, verbose_name=_("pattern"), on_delete=models.CASCADE, related_name="triggers"
    )
    # A pinned version number; empty runs the newest version at the time of the event.
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    event_type = models.CharField(_("event type"), max_length=64)
    scope_node = models.CharField(_("scope"), max_length=128, blank=True, default="")
    with_descendants = models.BooleanField(_("and everything under it"), default=True)
    # Conditions on the event, all of which must hold: {"path": "payload.status", "equals": x}
    # or {"path": ..., "in": [x, y]}.
    filter = models.JSONField(_("filter"), default=list, blank=True)
    input_map = models.JSONField(_("input"), default=dict, blank=True)
    # Runs it may start per minute; empty uses PATTERNS_TRIGGER_RATE_PER_MINUTE.
    rate_per_minute = models.PositiveIntegerField(_("runs per minute"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Why the engine turned it off (its owner lost access to the scope or the pattern).
    disabled_reason = models.CharField(_("disabled because"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pattern trigger")
        verbose_name_plural = _("pattern triggers")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["event_type"],
                name="patterns_trigger_type_idx",
                condition=Q(is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TriggerFiring(models.Model):
    """What one trigger did with one event; unique per trigger and event (exactly once)."""

    id = models.BigAutoField(primary_key=True)
    trigger = models.ForeignKey(
        PatternTrigger, verbose_name=_("trigger"), on_delete=models.CASCADE, related_name="firings"
    )
    # The event's id in the outbox (no foreign key: retention may purge old events).
    event_id = models.BigIntegerField(_("event"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=TriggerOutcome.choices)
    execution = models.ForeignKey(
        Execution,
        verbose_name=_("execution"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trigger_firings",
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("trigger firing")
        verbose_name_plural = _("trigger firings")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["trigger", "event_id"], name="patterns_firing_once"),
        ]
        indexes = [
            models.Index(fields=["trigger", "created_at"], name="patterns_firing_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger_id} #{self.event_id} ({self.outcome})"


class TriggerCursor(models.Model):
    """How far the triggers' catch-up sweep has read the events outbox."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    last_event_id = models.BigIntegerField(_("last event"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("trigger cursor")
        verbose_name_plural = _("trigger cursors")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"


class ExecutionSignal(models.Model):
    """A signal sent to a run (``POST executions/{id}/signals/{name}/``): an approval decision
    or any named payload a ``signal.wait`` step waits for. A step consumes one signal once."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    execution = models.ForeignKey(
        Execution, verbose_name=_("execution"), on_delete=models.CASCADE, related_name="signals"
    )
    step_id = models.CharField(_("step"), max_length=100)
    name = models.CharField(_("name"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        ordering = ["created_at", "id"]
        constraints = [
            # A waiting step takes the first signal sent to it; later ones are refused.
            models.UniqueConstraint(fields=["execution", "step_id"], name="patterns_signal_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.execution_id}/{self.step_id}"


class ExecutionRollup(models.Model):
    """What purged runs leave behind for the statistics: per pattern, version and person who
    started them, how many ran and succeeded, their durations as a mergeable histogram (within
    1 % above 100 ms, ``workspace.ai_usage.latency``), and which steps failed how often."""

    pattern = models.ForeignKey(
        Pattern, verbose_name=_("pattern"), on_delete=models.CASCADE, related_name="rollups"
    )
    version_number = models.PositiveIntegerField(_("version"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    runs = models.PositiveIntegerField(_("runs"), default=0)
    succeeded = models.PositiveIntegerField(_("succeeded"), default=0)
    duration_count = models.PositiveIntegerField(_("runs with a duration"), default=0)
    duration_sum_ms = models.FloatField(_("total duration (ms)"), default=0.0)
    durations = models.JSONField(_("durations"), default=dict, blank=True)
    failures = models.JSONField(_("failures by step"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("execution rollup")
        verbose_name_plural = _("execution rollups")
        indexes = [
            models.Index(fields=["pattern", "version_number"], name="patterns_rollup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pattern_id} v{self.version_number}: {self.runs}"
