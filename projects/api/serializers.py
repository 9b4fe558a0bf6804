"""Input and output serializers of the projects API, one pair per endpoint shape.

Input serializers only parse and check shapes; the services decide the rules (dates in order,
assignee is a member, completion not blocked) and the views turn ids into objects through the
selectors.
"""

from datetime import datetime, tzinfo
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from nexus_site.definitions.enums import MemberRole
from projects.models import Priority, ProjectStatus, TaskStatus
from projects.tags import MAX_TAG_LENGTH, normalize_tags

ZERO = Decimal("0")


class TagListField(serializers.ListField):
    """A list of tag strings; anything else (a string, numbers, nested lists) is refused."""

    child = serializers.CharField(max_length=MAX_TAG_LENGTH)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError(_("Tags must be a list of strings."))
        try:
            return normalize_tags(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc


def hours_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=8, decimal_places=2, min_value=ZERO, **kwargs)


# --- projects ----------------------------------------------------------------------------


class ProjectInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ProjectStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    budget = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=ZERO, required=False
    )


class ProjectCreateInputSerializer(ProjectInputSerializer):
    owner = serializers.UUIDField(
        required=False, help_text=_("Staff only: create the project for another user.")
    )


class ProjectOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    priority = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    budget = serializers.DecimalField(max_digits=14, decimal_places=2)
    completion = serializers.IntegerField(
        min_value=0, max_value=100, help_text=_("Derived from the tasks: 0-100, rounded down.")
    )
    task_count = serializers.IntegerField()
    owner = serializers.UUIDField(source="owner_id")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- membership ----------------------------------------------------------------------------


class MemberInputSerializer(serializers.Serializer):
    user = serializers.UUIDField()
    role = serializers.ChoiceField(choices=MemberRole.choices, default=MemberRole.MEMBER.value)


class MemberRoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=MemberRole.choices)


class MemberOutputSerializer(serializers.Serializer):
    user = serializers.UUIDField(source="pk")
    email = serializers.EmailField()
    name = serializers.CharField(source="full_name")
    role = serializers.CharField(
        source="project_role", help_text=_("owner, manager, member or guest.")
    )


# --- activity ------------------------------------------------------------------------------


class ActivityOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    actor = serializers.UUIDField(source="actor_id", allow_null=True, help_text=_("Who."))
    actor_name = serializers.SerializerMethodField()
    task = serializers.UUIDField(source="task_id", allow_null=True)
    field = serializers.CharField()
    old = serializers.JSONField(source="old_value", allow_null=True)
    new = serializers.JSONField(source="new_value", allow_null=True)
    created_at = serializers.DateTimeField(help_text=_("When."))

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor_name(self, activity) -> str:
        return activity.actor.full_name if activity.actor is not None else ""


# --- tasks -------------------------------------------------------------------------------------


class TaskInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    assignee = serializers.UUIDField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=TaskStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    estimated_hours = hours_field(required=False, allow_null=True)
    actual_hours = hours_field(required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    tags = TagListField(required=False)


class TaskCreateInputSerializer(TaskInputSerializer):
    project = serializers.UUIDField()


class TaskOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    project = serializers.UUIDField(source="project_id")
    title = serializers.CharField()
    description = serializers.CharField()
    assignee = serializers.UUIDField(source="assignee_id", allow_null=True)
    reporter = serializers.UUIDField(source="reporter_id", allow_null=True)
    status = serializers.CharField()
    priority = serializers.CharField()
    estimated_hours = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    actual_hours = serializers.DecimalField(max_digits=8, decimal_places=2)
    due_date = serializers.DateField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    completed_at = serializers.DateTimeField(allow_null=True)
    depends_on = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_depends_on(self, task) -> list[str]:
        # Reads the prefetched dependencies: no query per task.
        return [str(dependency.depends_on_id) for dependency in task.dependencies.all()]


# Written by hand on the hot task list and detail: DRF's per-field serialisation cost about
# four times what plain dicts of the same fields cost (docs/PERFORMANCE.md, Per request:
# projects). TaskOutputSerializer stays the schema's declared answer; a test holds the two equal.
TASK_COLUMNS = (
    "id",
    "project_id",
    "title",
    "description",
    "assignee_id",
    "reporter_id",
    "status",
    "priority",
    "estimated_hours",
    "actual_hours",
    "due_date",
    "tags",
    "completed_at",
    "created_at",
    "updated_at",
)
CENTS = Decimal("0.01")


def task_row_of(task) -> dict:
    """Return ``task``'s ``TASK_COLUMNS`` as ``values()`` would give them."""
    return {name: getattr(task, name) for name in TASK_COLUMNS}


def task_body(row: dict, depends_on: list, zone: tzinfo) -> dict:
    """Return one task row (``TASK_COLUMNS``) as TaskOutputSerializer writes it.

    ``depends_on`` is the task's dependency ids, ``zone`` the current time zone (DRF writes
    times in it, UTC as ``Z``).
    """
    estimated = row["estimated_hours"]
    due_date = row["due_date"]
    assignee = row["assignee_id"]
    reporter = row["reporter_id"]
    return {
        "id": str(row["id"]),
        "project": str(row["project_id"]),
        "title": str(row["title"]),
        "description": str(row["description"]),
        "assignee": None if assignee is None else str(assignee),
        "reporter": None if reporter is None else str(reporter),
        "status": str(row["status"]),
        "priority": str(row["priority"]),
        "estimated_hours": None if estimated is None else hours_text(estimated),
        "actual_hours": hours_text(row["actual_hours"]),
        "due_date": None if due_date is None else due_date.isoformat(),
        "tags": [str(tag) for tag in row["tags"]],
        "completed_at": datetime_text(row["completed_at"], zone),
        "depends_on": [str(task_id) for task_id in depends_on],
        "created_at": datetime_text(row["created_at"], zone),
        "updated_at": datetime_text(row["updated_at"], zone),
    }


def hours_text(value) -> str:
    """Return hours as DecimalField(max_digits=8, decimal_places=2) writes them."""
    return f"{Decimal(value).quantize(CENTS):f}"


def datetime_text(value: datetime | None, zone: tzinfo) -> str | None:
    """Return a time as DRF's DateTimeField writes it (ISO 8601 in ``zone``, UTC as ``Z``)."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# --- dependencies --------------------------------------------------------------------------


class DependencyInputSerializer(serializers.Serializer):
    depends_on = serializers.UUIDField()


class DependencyOutputSerializer(serializers.Serializer):
    depends_on = serializers.UUIDField(source="depends_on_id")
    title = serializers.SerializerMethodField(
        help_text=_("Empty when the task belongs to another project.")
    )
    status = serializers.CharField(source="depends_on.status")
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_title(self, dependency) -> str:
        if dependency.depends_on.project_id != dependency.task.project_id:
            return ""
        return dependency.depends_on.title


# --- schedule ------------------------------------------------------------------------------


def schedule_hours(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


class ScheduledTaskSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.CharField()
    duration = schedule_hours(help_text=_("Estimated hours; unknown counts as 0."))
    depends_on = serializers.ListField(child=serializers.UUIDField())
    earliest_start = schedule_hours()
    earliest_finish = schedule_hours()
    latest_start = schedule_hours()
    latest_finish = schedule_hours()
    slack = schedule_hours()
    critical = serializers.BooleanField()


class ScheduleOutputSerializer(serializers.Serializer):
    project = serializers.UUIDField()
    tasks = ScheduledTaskSerializer(many=True, help_text=_("In dependency order."))
    critical_path = serializers.ListField(child=serializers.UUIDField())
    earliest_finish = schedule_hours(help_text=_("Hours from the project's start."))
