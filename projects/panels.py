"""The projects panels of "My work": the tasks assigned to the user that need them now, and
what happened lately in the projects they can see.

Each panel reads a fixed number of statements whatever the number of rows: access is the
relations filter (``visible_filter``, the user's reach read once for all panels), never a
check per row.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from nexus_site.dashboard import Panel, register_panel
from projects.models import Activity, Priority, Project, ProjectStatus, Task, TaskStatus
from relations.access import visible_filter

TASKS_SHOWN = 10  # per group
ACTIVITY_SHOWN = 10
WEEK = datetime.timedelta(days=6)  # today and the six days after it


@dataclass(frozen=True)
class TaskGroup:
    key: str
    title: str
    tasks: list[Task]


def my_tasks(user) -> dict | None:
    """Return the open tasks assigned to ``user`` that they may still see, grouped: overdue, due
    this week, in progress (each task in the first group it fits, at most ``TASKS_SHOWN`` a
    group); None when all are empty.

    One statement: each task's group and its place in it are computed by the database.
    """
    today = timezone.localdate()
    overdue = Q(due_date__lt=today)
    this_week = Q(due_date__gte=today, due_date__lte=today + WEEK)
    group = Case(
        When(overdue, then=Value(0)),
        When(this_week, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    rows = (
        Task.objects.filter(visible_filter(user, Task), assignee=user)
        .exclude(status=TaskStatus.DONE)
        .filter(overdue | this_week | Q(status=TaskStatus.IN_PROGRESS))
        .select_related("project")
        .only("id", "title", "status", "priority", "due_date", "project__id", "project__name")
        .annotate(
            group=group,
            place=Window(
                RowNumber(),
                partition_by=[group],
                order_by=[F("due_date").asc(nulls_last=True), F("updated_at").desc(), "id"],
            ),
        )
        .filter(place__lte=TASKS_SHOWN)
        .order_by("group", "place")
    )
    grouped: dict[int, list[Task]] = {0: [], 1: [], 2: []}
    for task in rows:
        grouped[task.group].append(task)
    if not any(grouped.values()):
        return None
    groups = [
        TaskGroup("overdue", _("Overdue"), grouped[0]),
        TaskGroup("week", _("Due this week"), grouped[1]),
        TaskGroup("in_progress", _("In progress"), grouped[2]),
    ]
    return {"groups": groups, "today": today}


def activity_sentence(change: Activity) -> str:
    """Return what ``change`` did, in words: names and labels, never the stored ids."""
    field, new = change.field, change.new_value
    if field == "created":
        return _("created it")
    if field == "deleted_task":
        old = change.old_value if isinstance(change.old_value, dict) else {}
        return _("deleted the task “%(title)s”") % {"title": old.get("title", "")}
    if field == "status":
        choices = TaskStatus if change.task_id else ProjectStatus
        if new in choices.values:
            return _("set the status to %(status)s") % {"status": choices(new).label}
    if field == "priority" and new in Priority.values:
        return _("set the priority to %(priority)s") % {"priority": Priority(new).label}
    if field == "assignee":
        return _("changed the assignee")
    if field in {"member", "member_role", "owner"}:
        return _("changed the members")
    if field == "dependency":
        return _("changed the dependencies")
    model = Task if change.task_id else Project
    try:
        label = model._meta.get_field(field).verbose_name
    except FieldDoesNotExist:  # a field recorded by an older version: say it plainly
        return _("made a change")
    return _("changed the %(field)s") % {"field": label}


def project_activity(user) -> dict | None:
    """Return the latest changes in the projects ``user`` may see, newest first, in words."""
    projects = Project.objects.filter(visible_filter(user, Project)).values("pk")
    changes = list(
        Activity.objects.filter(project__in=projects)
        .select_related("actor", "task", "project")
        .only(
            "id",
            "field",
            "old_value",
            "new_value",
            "created_at",
            "task_id",
            "task__id",
            "task__title",
            "project__id",
            "project__name",
            "actor__id",
            "actor__email",
            "actor__first_name",
            "actor__last_name",
        )
        .order_by("-created_at", "id")[:ACTIVITY_SHOWN]
    )
    if not changes:
        return None
    return {"changes": [(change, activity_sentence(change)) for change in changes]}


def register() -> None:
    register_panel(Panel("my_tasks", "projects/dashboard/my_tasks.html", my_tasks, order=1))
    register_panel(
        Panel("activity", "projects/dashboard/activity.html", project_activity, order=50)
    )
