"""Every write on projects: projects, membership, tasks, dependencies, with their activity rows.

Each function is one transaction, takes keyword arguments and raises only BaseAppException
subclasses. Access is decided by relations.access for the acting user: an object the actor may
not see answers NotFoundError (404), a visible one the actor may not change AuthorizationError
(403). Membership changes need ``manage`` (the owner, a manager member, an administrator);
task changes need ``edit`` (guests only view). Every change writes Activity rows explicitly,
and events go out through the outbox.
"""

import contextlib
import datetime
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions import constants
from nexus_site.definitions.enums import EventType, MemberRole, Permission, RelationType, Role
from nexus_site.events.services import event_of, publish, publish_many
from nexus_site.exceptions import (
    AuthorizationError,
    BusinessRuleError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from projects.models import Activity, Project, Task, TaskDependency, TaskStatus
from projects.selectors import OWNER_ROLE, membership_edges, project_role
from projects.tags import normalize_tags
from relations import services as relations
from relations.access import require, require_named, require_placement
from relations.algorithms import Graph, would_create_cycle
from relations.models import Relationship
from relations.nodes import node_of
from search import index as search_index

PROJECT_FIELDS = frozenset(
    {"name", "description", "status", "priority", "start_date", "end_date", "budget"}
)
TASK_FIELDS = frozenset(
    {
        "title",
        "description",
        "assignee",
        "status",
        "priority",
        "estimated_hours",
        "actual_hours",
        "due_date",
        "tags",
    }
)
# What each project role may do, written on its member relationship for relations.access.
ROLE_PERMISSIONS = {
    MemberRole.MANAGER.value: Permission.MANAGE.value,
    MemberRole.MEMBER.value: Permission.EDIT.value,
    MemberRole.GUEST.value: Permission.VIEW.value,
}
# One PostgreSQL advisory lock serialises dependency writes, so two concurrent writers can
# never each add half of a cycle. (SQLite already serialises writers: IMMEDIATE transactions.)
DEPENDENCY_LOCK = 7_318_204_002


# --- access and helpers ------------------------------------------------------------------


def as_json(value: Any) -> Any:
    """Return ``value`` as it is kept in an activity row (JSON: ids, ISO dates, decimal text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return str(value)


def record(
    *,
    project: Project,
    actor,
    changes: dict[str, tuple[Any, Any]],
    task: Task | None = None,
) -> list[Activity]:
    """Write one activity row per changed field, all with the same time."""
    now = timezone.now()
    return Activity.objects.bulk_create(
        Activity(
            project=project,
            task=task,
            actor=actor,
            field=name,
            old_value=as_json(old),
            new_value=as_json(new),
            created_at=now,
        )
        for name, (old, new) in changes.items()
    )


def clean_value(model: type[models.Model], name: str, value: Any) -> Any:
    """Return ``value`` converted for ``model.name``, decimals at the field's precision."""
    field = model._meta.get_field(name)
    if field.is_relation or value is None:
        return value
    try:
        value = field.to_python(value)
    except DjangoValidationError as exc:
        raise ValidationError(details={name: list(exc.messages)}) from exc
    if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
        # Too many digits to quantize: full_clean names the field.
        with contextlib.suppress(ArithmeticError):
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return value


def validate(instance: models.Model) -> None:
    """Run field validation and ``clean()``; constraints stay in the database as a backstop."""
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationError(details=exc.message_dict) from exc


def refuse_unknown(fields: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError(
            details={name: [str(_("This field cannot be changed."))] for name in unknown}
        )


def project_node(project: Project) -> str:
    return str(node_of(project))


# --- projects ------------------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    actor,
    name: str,
    description: str = "",
    status: str | None = None,
    priority: str | None = None,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    budget: Decimal | int | str = Decimal("0"),
    owner=None,
    parent: Project | None = None,
) -> Project:
    """Create a project owned by ``owner`` (the actor by default) and record the owner edge.

    Guests (the global role) cannot create projects; only staff may create one for someone
    else. With ``parent``, the project becomes its sub-project (see ``project_parent_set``).
    """
    if not getattr(actor, "is_authenticated", False) or actor.role == Role.GUEST:
        raise AuthorizationError(_("Guests cannot create projects."))
    owner = owner or actor
    if owner.pk != actor.pk and not actor.is_staff:
        raise AuthorizationError(_("Only staff may create a project for someone else."))
    project = Project(name=name, description=description, owner=owner)
    optional = {"status": status, "priority": priority, "start_date": start_date}
    optional |= {"end_date": end_date, "budget": budget}
    for field_name, value in optional.items():
        if value is not None:
            setattr(project, field_name, clean_value(Project, field_name, value))
    validate(project)
    project.save(force_insert=True)
    relations.relationship_record(
        source=node_of(owner), target=node_of(project), type=RelationType.OWNER, created_by=actor
    )
    record(project=project, actor=actor, changes={"created": (None, project.name)})
    search_index.entry_update(project)
    if parent is not None:
        project_parent_set(actor=actor, project=project, parent=parent)
    return project


@transaction.atomic
def project_update(*, actor, project: Project, **fields: Any) -> Project:
    """Change a project's own fields; each changed field gets an activity row."""
    refuse_unknown(fields, PROJECT_FIELDS)
    require(actor, Permission.EDIT, project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    changes = {}
    for name, raw in fields.items():
        value = clean_value(Project, name, raw)
        old = getattr(project, name)
        if old != value:
            changes[name] = (old, value)
            setattr(project, name, value)
    if not changes:
        return project
    validate(project)
    project.save(update_fields=[*changes, "updated_at"])
    record(project=project, actor=actor, changes=changes)
    search_index.entry_update(project)
    return project


@transaction.atomic
def project_delete(*, actor, project: Project) -> None:
    """Delete a project with its tasks and history, and the graph rows that name it."""
    require(actor, Permission.MANAGE, project)
    relations.node_detach(node_of(project), actor=actor)
    search_index.entry_delete(project)
    project.delete()


@transaction.atomic
def project_owner_change(*, actor, project: Project, owner) -> Project:
    """Hand ``project`` to ``owner``; the previous owner stays on as a manager.

    Only the owner or an administrator may do it.
    """
    require(actor, Permission.VIEW, project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if actor.pk != project.owner_id and actor.role != Role.ADMIN:
        raise AuthorizationError(_("Only the owner can hand over a project."))
    if owner.pk == project.owner_id:
        return project
    if not owner.is_active:
        raise ValidationError(details={"owner": [str(_("This user is not active."))]})
    previous = project.owner
    target = node_of(project)
    for edge in membership_edges(project).filter(source_id__in=[previous.pk, owner.pk]):
        relations.relationship_erase(relationship=edge, actor=actor)
    relations.relationship_record(
        source=node_of(owner),
        target=target,
        type=RelationType.OWNER,
        created_by=actor,
    )
    add_member_edge(project=project, user=previous, role=MemberRole.MANAGER, actor=actor)
    project.owner = owner
    project.save(update_fields=["owner", "updated_at"])
    record(project=project, actor=actor, changes={"owner": (previous.pk, owner.pk)})
    return project


@transaction.atomic
def project_parent_set(*, actor, project: Project, parent: Project | None) -> Project:
    """Make ``project`` a sub-project of ``parent`` (None: a top-level project again).

    Members of the parent reach the sub-project, so this needs ``manage`` on the project and
    ``edit`` on the parent. A project has at most one parent; a loop of parents is a 409.
    """
    require_placement(actor, project, parent, field="parent", message=_("No such project."))
    types = relations.content_types_by_label()
    label = Project._meta.label_lower
    edges = Relationship.objects.filter(
        source_type=types[label],
        target_type=types[label],
        target_id=project.pk,
        type=RelationType.PARENT,
    )
    previous = None
    for edge in edges:
        previous = edge.source_id
        if parent is not None and edge.source_id == parent.pk:
            return project
        relations.relationship_erase(relationship=edge, actor=actor)
    if parent is not None:
        relations.relationship_record(
            source=node_of(parent),
            target=node_of(project),
            type=RelationType.PARENT,
            created_by=actor,
        )
    new = parent.pk if parent is not None else None
    if previous != new:
        record(project=project, actor=actor, changes={"parent": (previous, new)})
    return project


# --- membership ----------------------------------------------------------------------------


def valid_role(role: str) -> str:
    if role not in MemberRole.values:
        raise ValidationError(details={"role": [str(_("Choose manager, member or guest."))]})
    return str(role)


def add_member_edge(*, project: Project, user, role: str, actor) -> Relationship:
    return relations.relationship_record(
        source=node_of(user),
        target=node_of(project),
        type=RelationType.MEMBER,
        metadata={"role": role, "permission": ROLE_PERMISSIONS[role]},
        created_by=actor,
    )


def member_edge(project: Project, user) -> Relationship | None:
    return membership_edges(project).filter(source_id=user.pk, type=RelationType.MEMBER).first()


@transaction.atomic
def project_member_add(
    *, actor, project: Project, user, role: str = MemberRole.MEMBER
) -> Relationship:
    """Make ``user`` a member of ``project`` with ``role`` (a member relationship)."""
    role = valid_role(role)
    require(actor, Permission.MANAGE, project)
    if not user.is_active:
        raise ValidationError(details={"user": [str(_("This user is not active."))]})
    current = project_role(project, user)
    if current == OWNER_ROLE:
        raise ConflictError(_("The owner is already part of the project."))
    if current is not None:
        raise ConflictError(_("This user is already a member of the project."))
    edge = add_member_edge(project=project, user=user, role=role, actor=actor)
    record(project=project, actor=actor, changes={"member": (None, {"user": user, "role": role})})
    publish(
        EventType.PROJECT_MEMBER_ADDED,
        {"project": str(project.pk), "user": str(user.pk), "role": role},
        user_ids=[user.pk],
        node=project_node(project),
        actor=actor,
    )
    return edge


@transaction.atomic
def project_member_role_change(*, actor, project: Project, user, role: str) -> Relationship:
    """Give a member another role (the member relationship is replaced)."""
    role = valid_role(role)
    require(actor, Permission.MANAGE, project)
    if user.pk == project.owner_id:
        raise BusinessRuleError(
            _("The owner's role cannot be changed; hand the project over instead.")
        )
    edge = member_edge(project, user)
    if edge is None:
        raise NotFoundError(_("This user is not a member of the project."))
    old_role = edge.metadata.get("role", MemberRole.MEMBER)
    if old_role == role:
        return edge
    relations.relationship_erase(relationship=edge, actor=actor)
    edge = add_member_edge(project=project, user=user, role=role, actor=actor)
    record(
        project=project,
        actor=actor,
        changes={"member_role": ({"user": user, "role": old_role}, {"user": user, "role": role})},
    )
    return edge


@transaction.atomic
def project_member_remove(*, actor, project: Project, user) -> None:
    """Remove a member; their tasks in the project are unassigned. The owner cannot be removed.

    A member may always leave; removing someone else needs ``manage``.
    """
    if actor.pk == user.pk:
        require(actor, Permission.VIEW, project)
    else:
        require(actor, Permission.MANAGE, project)
    if user.pk == project.owner_id:
        raise BusinessRuleError(_("The owner cannot be removed from the project."))
    edge = member_edge(project, user)
    if edge is None:
        raise NotFoundError(_("This user is not a member of the project."))
    role = edge.metadata.get("role", MemberRole.MEMBER)
    relations.relationship_erase(relationship=edge, actor=actor)
    unassigned = list(Task.objects.select_for_update().filter(project=project, assignee=user))
    for task in unassigned:
        task.assignee = None
        task.save(update_fields=["assignee", "updated_at"])
        record(project=project, task=task, actor=actor, changes={"assignee": (user.pk, None)})
    record(project=project, actor=actor, changes={"member": ({"user": user, "role": role}, None)})
    node = project_node(project)
    # Each unassigned task as task_update announces it, so open boards follow.
    publish_many(
        [
            *(
                event_of(
                    EventType.TASK_UPDATED,
                    {
                        "task": str(task.pk),
                        "project": str(project.pk),
                        "title": task.title,
                        "fields": ["assignee"],
                        "assignee": None,
                        "previous_assignee": str(user.pk),
                    },
                    node=node,
                    actor=actor,
                )
                for task in unassigned
            ),
            event_of(
                EventType.PROJECT_MEMBER_REMOVED,
                {"project": str(project.pk), "user": str(user.pk)},
                user_ids=[user.pk],
                node=node,
                actor=actor,
            ),
        ]
    )


def ensure_assignable(project: Project, user) -> None:
    if user is not None and project_role(project, user) is None:
        raise ValidationError(
            details={"assignee": [str(_("The assignee must be a member of the project."))]}
        )


# --- tasks -----------------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    actor,
    project: Project,
    title: str,
    description: str = "",
    assignee=None,
    status: str = TaskStatus.TODO,
    priority: str | None = None,
    estimated_hours: Decimal | int | str | None = None,
    actual_hours: Decimal | int | str | None = None,
    due_date: datetime.date | None = None,
    tags: Iterable[str] = (),
) -> Task:
    """Create a task in ``project`` (named in the request: 422 when unseen, 403 when not the
    actor's to edit) reported by the actor, and announce it to the project."""
    require_named(actor, Permission.EDIT, project, field="project", message=_("No such project."))
    ensure_assignable(project, assignee)
    task = Task(
        project=project,
        title=title,
        description=description,
        assignee=assignee,
        reporter=actor,
        tags=clean_tags(tags),
    )
    optional = {"status": status, "priority": priority, "estimated_hours": estimated_hours}
    optional |= {"actual_hours": actual_hours, "due_date": due_date}
    for field_name, value in optional.items():
        if value is not None:
            setattr(task, field_name, clean_value(Task, field_name, value))
    if task.status == TaskStatus.DONE:
        task.completed_at = timezone.now()
    validate(task)
    task.save(force_insert=True)
    record(project=project, task=task, actor=actor, changes={"created": (None, task.title)})
    search_index.entry_update(task)
    publish(
        EventType.TASK_CREATED,
        {
            "task": str(task.pk),
            "project": str(project.pk),
            "title": task.title,
            "status": task.status,
            "assignee": str(task.assignee_id) if task.assignee_id else None,
        },
        user_ids=[task.assignee_id] if task.assignee_id else [],
        node=project_node(project),
        actor=actor,
    )
    return task


def clean_tags(tags: Any) -> list[str]:
    try:
        return normalize_tags(tags)
    except DjangoValidationError as exc:
        raise ValidationError(details={"tags": list(exc.messages)}) from exc


@transaction.atomic
def task_update(*, actor, task: Task, **fields: Any) -> Task:
    """Change a task's fields, with an activity row per changed field.

    Becoming done sets ``completed_at`` and needs every task it depends on to be done;
    leaving done clears it. Every change is announced to the project as ``task_updated``
    (the changed field names), a status change also as ``task_status_changed``.
    """
    refuse_unknown(fields, TASK_FIELDS)
    require(actor, Permission.EDIT, task)
    task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
    changes: dict[str, tuple[Any, Any]] = {}
    for name, raw in fields.items():
        if name == "assignee":
            if raw is not None:
                ensure_assignable(task.project, raw)
            if task.assignee_id != (raw.pk if raw is not None else None):
                changes[name] = (task.assignee_id, raw.pk if raw is not None else None)
                task.assignee = raw
            continue
        value = clean_tags(raw) if name == "tags" else clean_value(Task, name, raw)
        old = getattr(task, name)
        if old != value:
            changes[name] = (old, value)
            setattr(task, name, value)
    if not changes:
        return task
    update_fields = [*changes, "updated_at"]
    if "status" in changes:
        old_status, new_status = changes["status"]
        if new_status == TaskStatus.DONE:
            ensure_unblocked(task)
            task.completed_at = timezone.now()
            update_fields.append("completed_at")
        elif old_status == TaskStatus.DONE:
            task.completed_at = None
            update_fields.append("completed_at")
    validate(task)
    task.save(update_fields=update_fields)
    record(project=task.project, task=task, actor=actor, changes=changes)
    search_index.entry_update(task)
    # Every change, status included, so an open board needs to follow only this one type;
    # values stay out (a description can be long) but for the new and previous assignees, whom
    # notifications tell: readers fetch the task they may see.
    payload = {
        "task": str(task.pk),
        "project": str(task.project_id),
        "title": task.title,
        "fields": sorted(changes),
    }
    if "assignee" in changes:
        previous, current = changes["assignee"]
        payload["assignee"] = str(current) if current else None
        payload["previous_assignee"] = str(previous) if previous else None
    publish(
        EventType.TASK_UPDATED,
        payload,
        user_ids=[task.assignee_id] if task.assignee_id else [],
        node=project_node(task.project),
        actor=actor,
    )
    if "status" in changes:
        publish(
            EventType.TASK_STATUS_CHANGED,
            {
                "task": str(task.pk),
                "project": str(task.project_id),
                "title": task.title,
                "old_status": changes["status"][0],
                "new_status": changes["status"][1],
            },
            user_ids=[task.assignee_id] if task.assignee_id else [],
            node=project_node(task.project),
            actor=actor,
        )
    return task


def ensure_unblocked(task: Task) -> None:
    """Refuse to finish ``task`` while a task it depends on is not done; name the blockers."""
    blockers = list(
        Task.objects.filter(dependents__task=task)
        .exclude(status=TaskStatus.DONE)
        .order_by("created_at", "id")
        .values("id", "title", "status", "project_id")
    )
    if blockers:
        raise BusinessRuleError(
            _("This task depends on tasks that are not done yet."),
            details={
                "blockers": [
                    {
                        "id": str(blocker["id"]),
                        "status": blocker["status"],
                        # A title from another project is not ours to show.
                        "title": blocker["title"]
                        if blocker["project_id"] == task.project_id
                        else None,
                    }
                    for blocker in blockers
                ]
            },
        )


@transaction.atomic
def task_delete(*, actor, task: Task) -> None:
    """Delete a task and its dependencies; the project's history keeps a row saying so and
    ``task_deleted`` tells the project."""
    require(actor, Permission.EDIT, task)
    task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
    project = task.project
    relations.node_detach(node_of(task), actor=actor)
    record(
        project=project,
        actor=actor,
        changes={"deleted_task": ({"id": task.pk, "title": task.title}, None)},
    )
    # Addressed to the project's node, which outlives the task, so its viewers still see it.
    publish(
        EventType.TASK_DELETED,
        {"task": str(task.pk), "project": str(project.pk), "title": task.title},
        user_ids=[task.assignee_id] if task.assignee_id else [],
        node=project_node(project),
        actor=actor,
    )
    search_index.entry_delete(task)
    task.delete()


# --- dependencies ------------------------------------------------------------------------


def lock_dependencies() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DEPENDENCY_LOCK])


def dependency_edges_from(start: uuid.UUID, *, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Return every dependency edge (task, depends_on) reachable from ``start``, in one query.

    The recursive query is cycle-safe: ``UNION`` drops rows it has already produced.
    """
    table = TaskDependency._meta.db_table
    id_field = TaskDependency._meta.get_field("task").target_field
    sql = f"""
        WITH RECURSIVE reach(id) AS (
            VALUES (%s)
            UNION
            SELECT d.depends_on_id FROM {table} d JOIN reach ON d.task_id = reach.id
        )
        SELECT d.task_id, d.depends_on_id FROM {table} d JOIN reach ON d.task_id = reach.id
        LIMIT %s
    """  # noqa: S608 - the table name is ours, every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [id_field.get_db_prep_value(start, connection), limit + 1])
        rows = cursor.fetchall()
    if len(rows) > limit:
        raise ValidationError(
            _("The dependencies are too many to check (more than %(limit)d).") % {"limit": limit}
        )
    return [(id_field.to_python(task_id), id_field.to_python(dep_id)) for task_id, dep_id in rows]


@transaction.atomic
def task_dependency_add(*, actor, task: Task, depends_on: Task) -> TaskDependency:
    """Record that ``task`` waits on ``depends_on``; refuse self, duplicates and cycles (409)."""
    require(actor, Permission.EDIT, task)
    require_named(
        actor, Permission.VIEW, depends_on, field="depends_on", message=_("No such task.")
    )
    if depends_on.pk == task.pk:
        raise ValidationError(details={"depends_on": [str(_("A task cannot depend on itself."))]})
    lock_dependencies()
    edges = dependency_edges_from(depends_on.pk, limit=constants.GRAPH_MAX_VISITED)
    graph = Graph.from_edges(
        (source, target, RelationType.PARENT.value) for source, target in edges
    )
    cycle = would_create_cycle(graph, task.pk, depends_on.pk, RelationType.PARENT.value)
    if cycle is not None:
        raise ConflictError(
            _("This dependency would close a cycle."),
            code="cycle_detected",
            details={"cycle": [str(task_id) for task_id in [*cycle, cycle[0]]]},
        )
    dependency = TaskDependency(task=task, depends_on=depends_on, created_by=actor)
    try:
        with transaction.atomic():
            dependency.save(force_insert=True)
    except IntegrityError as exc:
        raise ConflictError(_("This dependency already exists.")) from exc
    record(
        project=task.project,
        task=task,
        actor=actor,
        changes={"dependency": (None, depends_on.pk)},
    )
    return dependency


@transaction.atomic
def task_dependency_remove(*, actor, task: Task, depends_on: Task) -> None:
    """Stop ``task`` waiting on ``depends_on``."""
    require(actor, Permission.EDIT, task)
    deleted, _by_model = TaskDependency.objects.filter(task=task, depends_on=depends_on).delete()
    if not deleted:
        raise NotFoundError(_("This task does not depend on that one."))
    record(
        project=task.project,
        task=task,
        actor=actor,
        changes={"dependency": (depends_on.pk, None)},
    )
