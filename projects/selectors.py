"""Every read of projects on behalf of a user: access filtering, annotations, prefetching.

Completion rule: a project's completion (0-100, rounded down) is the share of its estimated
hours that belong to done tasks. When none of its tasks carries an estimate (or every estimate
is 0), it is the share of its tasks that are done; with no tasks it is 0. Only the project's own
tasks count, not those of its sub-projects. It is computed in SQL, in whole hundredths of an
hour, so it is exact and the same on PostgreSQL and SQLite, and a list costs no query per row.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Round
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import MemberRole, Permission, RelationType
from nexus_site.exceptions import ConflictError, NotFoundError
from nexus_site.queries import first_or_none
from projects import schedule
from projects.models import Activity, Project, ProjectStatus, Task, TaskDependency, TaskStatus
from relations.access import (
    can,
    live_grants,
    permission_on,
    permits,
    sees_everything,
    visible_filter,
)
from relations.hierarchy import descendants
from relations.models import Relationship
from relations.nodes import content_types_by_label, node_of
from relations.selectors import named_object

OWNER_ROLE = "owner"


def with_progress(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate task counts, estimated hours and ``completion`` (see the module's rule)."""
    done = Q(tasks__status=TaskStatus.DONE)
    cents = Cast(Round(F("tasks__estimated_hours") * 100), IntegerField())
    return projects.annotate(
        task_count=Count("tasks"),
        done_task_count=Count("tasks", filter=done),
        estimated_cents=Coalesce(Sum(cents), 0),
        done_estimated_cents=Coalesce(Sum(cents, filter=done), 0),
    ).annotate(
        # Integer division on both backends: the percentage rounded down.
        completion=Case(
            When(
                estimated_cents__gt=0,
                then=Value(100) * F("done_estimated_cents") / F("estimated_cents"),
            ),
            When(task_count__gt=0, then=Value(100) * F("done_task_count") / F("task_count")),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def projects_visible_to(user) -> QuerySet[Project]:
    """Return the projects ``user`` may see, with their owner and progress annotations."""
    return with_progress(
        Project.objects.filter(visible_filter(user, Project)).select_related("owner")
    )


def project_get(user, project_id: UUID | str) -> Project:
    """Return one project ``user`` may see, annotated like the list; NotFoundError otherwise."""
    project = first_or_none(projects_visible_to(user), project_id)
    if project is None:
        raise NotFoundError()
    return project


def project_and_permission(user, project_id: UUID | str) -> tuple[Project, str]:
    """Return one project ``user`` may see, annotated like the list, with the strongest level
    they hold on it (relations.access.permission_on); NotFoundError otherwise.

    The row by its id, then one statement for the level: for a page that shows what its caller
    may do, instead of building the visible set and asking ``can`` again.
    """
    project = first_or_none(with_progress(Project.objects.select_related("owner")), project_id)
    if project is None or (level := permission_on(user, node_of(project))) is None:
        raise NotFoundError()
    return project, level


def tasks_visible_to(user) -> QuerySet[Task]:
    """Return the tasks ``user`` may see (those of visible projects), ready to serialise."""
    return (
        Task.objects.filter(visible_filter(user, Task))
        .select_related("project", "assignee", "reporter")
        .prefetch_related("dependencies")
    )


def task_rows_visible_to(user) -> QuerySet[Task]:
    """Return the tasks ``user`` may see, with no join or prefetch: for lists that show the
    related objects' ids only (``TASK_COLUMNS`` through ``values()``, see ``depends_on_ids``)."""
    return Task.objects.filter(visible_filter(user, Task))


def depends_on_ids(task_ids: Iterable[UUID]) -> dict[UUID, list[UUID]]:
    """Return what each task waits on, as ids, oldest dependency first; one query for all."""
    waits: dict[UUID, list[UUID]] = {task_id: [] for task_id in task_ids}
    if waits:
        for task_id, depends_on_id in TaskDependency.objects.filter(
            task_id__in=list(waits)
        ).values_list("task_id", "depends_on_id"):
            waits[task_id].append(depends_on_id)
    return waits


def task_page(
    tasks: QuerySet[Task], columns: Sequence[str], *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of ``tasks`` as ``values(*columns)``, each row with its ``depends_on``
    ids (as ``depends_on_ids`` gives them), and how many ``tasks`` there are in all.

    On PostgreSQL in one statement: the count as a window over the filtered rows and the
    dependency ids as an array per row. A page past the end carries no count, so then the
    count is asked apart. Elsewhere, or for a DISTINCT query (the window would count the rows
    before DISTINCT removes any): the count, the page, then the dependency ids.
    """
    if connection.vendor == "postgresql" and not tasks.query.distinct:
        waits = (
            TaskDependency.objects.filter(task_id=OuterRef("pk"))
            .order_by(*TaskDependency._meta.ordering)
            .values("depends_on_id")
        )
        rows = list(
            tasks.values(*columns).annotate(
                depends_on=ArraySubquery(waits), matching=Window(Count("*"))
            )[offset : offset + limit]
        )
        if not rows:
            return rows, tasks.count()
        count = rows[0]["matching"]
        for row in rows:
            del row["matching"]
        return rows, count
    count = tasks.count()
    rows = list(tasks.values(*columns)[offset : offset + limit]) if count > offset else []
    waits = depends_on_ids(row["id"] for row in rows)
    for row in rows:
        row["depends_on"] = waits[row["id"]]
    return rows, count


def task_get(user, task_id: UUID | str) -> Task:
    """Return one task ``user`` may see; NotFoundError otherwise.

    The row by its id, then one access check on it (relations.access.can): building the
    user's whole visible set to find one task cost several queries.
    """
    task = first_or_none(Task.objects.all(), task_id)
    if task is None or not can(user, Permission.VIEW, node_of(task)):
        raise NotFoundError()
    return task


BOARD_COLUMNS = ("id", "title", "status", "priority", "due_date", "assignee_id")


def board_tasks(project: Project) -> tuple[list[dict[str, Any]], dict[UUID, Any]]:
    """Return the cards of ``project``'s board (``BOARD_COLUMNS``, oldest first) and their
    assignees by id, in two queries.

    For a project the caller may see (``project_get``): access to a project reaches all its
    tasks, so no visible set is built.
    """
    rows = list(
        Task.objects.filter(project=project).order_by("created_at", "id").values(*BOARD_COLUMNS)
    )
    assignee_ids = {row["assignee_id"] for row in rows} - {None}
    users = get_user_model().objects.only("id", "email", "first_name", "last_name")
    return rows, users.in_bulk(assignee_ids) if assignee_ids else {}


def task_row(task_id: UUID | str) -> Task:
    """Return the task with this id whoever asks, NotFoundError when there is none.

    No access check: for a write whose service decides at the gate (relations.access.require),
    and whose view checks visibility itself before answering any other error.
    """
    task = first_or_none(Task.objects.all(), task_id)
    if task is None:
        raise NotFoundError()
    return task


def membership_edges(project: Project) -> QuerySet[Relationship]:
    """Return the owner and member relationships from users to ``project``."""
    types = content_types_by_label()
    return Relationship.objects.filter(
        source_type=types[get_user_model()._meta.label_lower],
        target_type=types[Project._meta.label_lower],
        target_id=project.pk,
        type__in=[RelationType.OWNER, RelationType.MEMBER],
    )


def role_of(relationship: Relationship) -> str:
    """Return the project role a membership relationship gives: owner, manager, member, guest."""
    if relationship.type == RelationType.OWNER:
        return OWNER_ROLE
    role = (relationship.metadata or {}).get("role")
    return role if role in MemberRole.values else MemberRole.MEMBER.value


def project_role(project: Project, user) -> str | None:
    """Return ``user``'s role in ``project`` (owner wins over member), None when not a member."""
    roles = {
        role_of(edge) for edge in membership_edges(project).filter(source_id=user.pk).order_by()
    }
    if not roles:
        return None
    return OWNER_ROLE if OWNER_ROLE in roles else roles.pop()


def project_members(project: Project) -> QuerySet:
    """Return the users with a role in ``project``, owner first, each annotated ``project_role``.

    One query: the role is read from the user's owner or member relationship.
    """
    edges = membership_edges(project)
    role = (
        edges.filter(source_id=OuterRef("pk"))
        .annotate(
            project_role=Case(
                When(type=RelationType.OWNER, then=Value(OWNER_ROLE)),
                default=Coalesce(
                    KeyTextTransform("role", "metadata"), Value(MemberRole.MEMBER.value)
                ),
                output_field=CharField(),
            ),
            owner_first=Case(When(type=RelationType.OWNER, then=Value(0)), default=Value(1)),
        )
        .order_by("owner_first")
        .values("project_role")[:1]
    )
    return (
        get_user_model()
        .objects.filter(pk__in=edges.values("source_id"))
        .annotate(
            project_role=Subquery(role, output_field=CharField()),
            is_owner=Exists(edges.filter(type=RelationType.OWNER, source_id=OuterRef("pk"))),
        )
        .order_by("-is_owner", "email")
    )


def activity_for(project: Project) -> QuerySet[Activity]:
    """Return the change history of ``project`` and its tasks, newest first."""
    return Activity.objects.filter(project=project).select_related("actor", "task")


class ScheduleTask(NamedTuple):
    """What the schedule shows of a task."""

    id: UUID
    title: str
    status: str
    estimated_hours: Decimal | None
    due_date: date | None


@dataclass(frozen=True)
class ProjectSchedule:
    """A project's schedule and its tasks by id (the schedule refers to them by id)."""

    project: Project
    tasks: dict[UUID, ScheduleTask]
    plan: schedule.Schedule


def project_schedule(project: Project) -> ProjectSchedule:
    """Return the schedule of ``project``'s tasks, in two queries.

    Only dependencies between tasks of this project count; a dependency on another project's
    task does not move this project's dates. A cycle (which writes refuse) answers 409.
    """
    # The engine schedules numbers, given in the ids' order so that ties break as they would
    # on the ids, and the answer is relabelled: hashing UUIDs in Python cost more than the
    # schedule at 10,000 tasks. Dependencies are read as text, the database's own spelling of
    # the ids (the same in both queries), not made into 40,000 UUID objects.
    as_text = Cast("id", output_field=TextField())
    keyed = sorted(
        Task.objects.filter(project=project).values_list(as_text, *ScheduleTask._fields),
        key=itemgetter(0),  # one spelling of a fixed width: text order is the ids' order
    )
    rows = [ScheduleTask(*row[1:]) for row in keyed]
    tasks = {row.id: row for row in rows}
    ids = [row.id for row in rows]
    number = {row[0]: index for index, row in enumerate(keyed)}
    requires: list[list[int]] = [[] for _ in ids]
    # One join, not two, and no sort: a dependency on another project's task is left out
    # here, and each task's dependencies are sorted below.
    edges = TaskDependency.objects.filter(task__project=project).order_by()
    for task_key, depends_on_key in edges.values_list(
        Cast("task_id", output_field=TextField()), Cast("depends_on_id", output_field=TextField())
    ):
        depends_on = number.get(depends_on_key)
        if depends_on is not None:
            requires[number[task_key]].append(depends_on)
    inputs = []
    for index, row in enumerate(rows):
        inputs.append(
            schedule.TaskInput(
                id=index, duration=row.estimated_hours, depends_on=tuple(sorted(requires[index]))
            )
        )
    try:
        plan = schedule.compute_schedule(inputs)
    except schedule.CycleError as exc:
        raise ConflictError(
            code="cycle_detected", details={"cycle": [str(ids[index]) for index in exc.cycle]}
        ) from exc
    return ProjectSchedule(project=project, tasks=tasks, plan=plan.relabelled(ids))


def task_dependencies(task: Task) -> QuerySet[TaskDependency]:
    """Return what ``task`` waits on, oldest dependency first, with both tasks loaded."""
    return TaskDependency.objects.filter(task=task).select_related("task", "depends_on")


def user_by_id(user_id: UUID | str, *, active_only: bool = True):
    """Return the user with this id, or None (colleagues are visible to everyone)."""
    users = get_user_model().objects.all()
    if active_only:
        users = users.filter(is_active=True)
    return first_or_none(users, user_id)


def project_as_created(project: Project) -> Project:
    """Return a project just created, annotated like the list, for its creator's answer.

    No access check: staff may create a project for someone else and not be part of it.
    """
    return with_progress(Project.objects.filter(pk=project.pk).select_related("owner")).get()


def named_project(project_id: Any) -> Project | None:
    """Return the project a request body names (None for none) for a service to put through
    the gate; an unknown id is a 422 on ``project`` (relations.selectors.named_object)."""
    return named_object(Project, project_id, field="project", message=_("No such project."))


# --- pages: choices, sub-projects and names (added for the create and edit pages) ---------

ARCHIVED_STATUSES = (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED)


def projects_editable_by(user) -> QuerySet[Project]:
    """Return the projects ``user`` may edit (a parent to choose), by name, id and name only.

    Edit reaches down parent edges, as view does: what the user holds an edit (or manage)
    grant on, and every project below it. Administrators may edit every project.
    """
    projects = Project.objects.only("id", "name").order_by("name", "id")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return projects.none()
    if sees_everything(user):
        return projects
    granted = {node for node, level in live_grants(user) if permits(level, Permission.EDIT)}
    label = Project._meta.label_lower
    ids = [node.id for node in descendants(granted) if node.label == label] if granted else []
    return projects.filter(pk__in=ids)


def project_task_and_permission(user, task_id: UUID | str) -> tuple[Task, str]:
    """Return one task ``user`` may see, with its project and the strongest level ``user``
    holds on it (relations.access.permission_on); NotFoundError otherwise."""
    task = first_or_none(Task.objects.select_related("project", "assignee"), task_id)
    if task is None or (level := permission_on(user, node_of(task))) is None:
        raise NotFoundError()
    return task, level


def parent_edges_of(project: Project) -> QuerySet[Relationship]:
    """Return the parent relationships between ``project`` and other projects (both ways)."""
    types = content_types_by_label()
    kind = types[Project._meta.label_lower]
    return Relationship.objects.filter(
        source_type=kind, target_type=kind, type=RelationType.PARENT
    ).filter(Q(source_id=project.pk) | Q(target_id=project.pk))


def project_family(project: Project) -> tuple[UUID | None, list[Project]]:
    """Return the id of ``project``'s parent (None: top level) and its sub-projects by name.

    Two queries. Whoever sees a project sees its sub-projects (access reaches down); the
    parent is only an id here: a caller shows it when the user may see it.
    """
    parent_id = None
    child_ids = []
    for source_id, target_id in parent_edges_of(project).values_list("source_id", "target_id"):
        if target_id == project.pk:
            parent_id = source_id
        else:
            child_ids.append(target_id)
    children = (
        list(
            Project.objects.filter(pk__in=child_ids)
            .only("id", "name", "status", "priority")
            .order_by("name", "id")
        )
        if child_ids
        else []
    )
    return parent_id, children


def project_task_titles(project: Project) -> list[tuple[UUID, str]]:
    """Return ``(id, title)`` of every task of ``project``, by title: a picker's choices."""
    return list(
        Task.objects.filter(project=project).order_by("title", "id").values_list("id", "title")
    )


def names_for_activity(
    user, project: Project, *, user_ids: set, task_ids: set, project_ids: set
) -> tuple[dict, dict, dict]:
    """Return the names an activity list shows instead of ids: users' full names, the titles of
    ``project``'s tasks, and the names of the projects ``user`` may see; three queries at most.

    A task of another project, or a project the user may not see, is left out: its title is
    not the user's to read.
    """
    users = {}
    if user_ids:
        users = {
            row.pk: row.full_name
            for row in get_user_model()
            .objects.filter(pk__in=user_ids)
            .only("id", "email", "first_name", "last_name")
        }
    tasks = task_titles_in(project, task_ids)
    projects = {}
    if project_ids:
        projects = dict(
            Project.objects.filter(visible_filter(user, Project), pk__in=project_ids).values_list(
                "id", "name"
            )
        )
    return users, tasks, projects


def task_titles_in(project: Project, task_ids: Iterable[UUID]) -> dict[UUID, str]:
    """Return the titles of those of ``task_ids`` that are ``project``'s tasks, by id."""
    task_ids = set(task_ids)
    if not task_ids:
        return {}
    return dict(Task.objects.filter(project=project, pk__in=task_ids).values_list("id", "title"))
