"""Projects, their tasks, task dependencies and the activity log.

Membership is not stored here: it lives in the relations graph (``owner`` and ``member``
relationships from users to a project), which also decides who may see and change what.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.ids import uuid7
from projects.tags import TagsField, validate_tags

NOT_NEGATIVE = MinValueValidator(Decimal("0"))


class ProjectStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class TaskStatus(models.TextChoices):
    TODO = "todo", _("To do")
    IN_PROGRESS = "in_progress", _("In progress")
    REVIEW = "review", _("In review")
    DONE = "done", _("Done")
    BLOCKED = "blocked", _("Blocked")


class Project(models.Model):
    """A body of work with an owner, dates and a budget; its completion is derived from tasks."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Mirrors the owner relationship (the graph decides access); services keep both in step.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_projects",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PLANNING
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.MEDIUM
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget = models.DecimalField(
        _("budget"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[NOT_NEGATIVE],
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="projects_project_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(budget__gte=0), name="projects_project_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProjectStatus.values), name="projects_project_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="projects_project_priority_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="projects_owner_status_idx"),
            models.Index(fields=["status", "-created_at"], name="projects_status_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})


class Task(models.Model):
    """A piece of work inside a project. ``completed_at`` is set exactly while it is done."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tasks",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_tasks",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.TODO
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.MEDIUM
    )
    estimated_hours = models.DecimalField(
        _("estimated hours"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
    )
    actual_hours = models.DecimalField(
        _("actual hours"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[NOT_NEGATIVE],
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    tags = TagsField(_("tags"), default=list, blank=True, validators=[validate_tags])
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_hours__isnull=True) | Q(estimated_hours__gte=0),
                name="projects_task_estimate_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(actual_hours__gte=0), name="projects_task_actual_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.DONE, completed_at__isnull=False)
                | (~Q(status=TaskStatus.DONE) & Q(completed_at__isnull=True)),
                name="projects_task_completed_at_iff_done",
            ),
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values), name="projects_task_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="projects_task_priority_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="projects_task_project_idx"),
            models.Index(fields=["assignee", "status"], name="projects_task_assignee_idx"),
            models.Index(fields=["due_date"], name="projects_task_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status == TaskStatus.DONE


class TaskDependency(models.Model):
    """``task`` cannot be done before ``depends_on`` is: ``depends_on`` blocks ``task``."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="dependencies"
    )
    depends_on = models.ForeignKey(
        Task, verbose_name=_("depends on"), on_delete=models.CASCADE, related_name="dependents"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("task dependency")
        verbose_name_plural = _("task dependencies")
        ordering = ["created_at", "id"]
        constraints = [
            # Also the index that serves "what does this task wait on".
            models.UniqueConstraint(
                fields=["task", "depends_on"], name="projects_dependency_unique"
            ),
            models.CheckConstraint(
                condition=~Q(task=F("depends_on")), name="projects_dependency_not_self"
            ),
        ]
        indexes = [models.Index(fields=["depends_on"], name="projects_dependency_on_idx")]

    def __str__(self) -> str:
        return f"{self.task_id} -> {self.depends_on_id}"


class Activity(models.Model):
    """One recorded change: who changed which field of a project or task, from what to what."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="activity"
    )
    # Kept when the task is deleted: the history of a project outlives its tasks.
    task = models.ForeignKey(
        Task,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    field = models.CharField(_("field"), max_length=64)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activity")
        ordering = ["-created_at", "field", "id"]
        indexes = [
            models.Index(fields=["project", "-created_at"], name="projects_activity_project_idx"),
            models.Index(fields=["task", "-created_at"], name="projects_activity_task_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value!r} -> {self.new_value!r}"
