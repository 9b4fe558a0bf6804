"""Step types that take lists, so one fixed step can add any number of members or tasks.

A pattern's steps are fixed when it is written, while a kickoff's members and tasks come
with each run: ``project.members_add`` and ``task.create_many`` take the whole list (up to
``MAX_ITEMS``) from the input and do it in the step's one transaction, all or nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import MemberRole
from nexus_site.exceptions import NotFoundError
from patterns.steps import StepError, StepType, register
from patterns.steps.context import StepContext

MAX_ITEMS = 100
UUID_SCHEMA = {"type": "string", "format": "uuid", "minLength": 32, "maxLength": 36}


def visible_project(context: StepContext, project_id: Any):
    """Return the project if the run's user may see it, else fail the step with not_found."""
    from projects.selectors import project_get

    try:
        return project_get(context.actor, project_id)
    except (NotFoundError, ValueError) as exc:
        raise StepError(
            _("There is no project %(project)s.") % {"project": project_id}, code="not_found"
        ) from exc


def active_user(user_id: Any):
    from projects.selectors import user_by_id

    try:
        user = user_by_id(user_id)
    except ValueError:
        user = None
    if user is None:
        raise StepError(_("There is no user %(user)s.") % {"user": user_id}, code="not_found")
    return user


def unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def run_members_add(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Add each user as a member with ``role``; those already in the project are skipped."""
    from projects import services
    from projects.selectors import project_role

    project = visible_project(context, parameters["project"])
    role = parameters.get("role") or MemberRole.MEMBER
    added, skipped = [], []
    for user_id in unique([str(user_id) for user_id in parameters["users"]]):
        user = active_user(user_id)
        if project_role(project, user) is not None:
            skipped.append(str(user.pk))
            continue
        services.project_member_add(actor=context.actor, project=project, user=user, role=role)
        added.append(str(user.pk))
    return {"project": str(project.pk), "role": role, "added": added, "skipped": skipped}


def undo_members_add(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Remove the members this step added (not those it skipped)."""
    from projects import services
    from projects.models import Project
    from projects.selectors import project_role, user_by_id

    project = Project.objects.filter(pk=(output or {}).get("project")).first()
    if project is None:
        return
    for user_id in (output or {}).get("added", []):
        user = user_by_id(user_id, active_only=False)
        if user is not None and project_role(project, user) is not None:
            services.project_member_remove(actor=context.actor, project=project, user=user)


def run_tasks_create(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Create one task per title in the project, in the order given."""
    from projects import services

    project = visible_project(context, parameters["project"])
    assignee = active_user(parameters["assignee"]) if parameters.get("assignee") else None
    fields = {name: parameters[name] for name in ("priority", "status") if name in parameters}
    tasks = [
        services.task_create(
            actor=context.actor,
            project=project,
            title=title,
            assignee=assignee,
            tags=parameters.get("tags") or (),
            **fields,
        )
        for title in parameters["titles"]
    ]
    return {
        "project": str(project.pk),
        "tasks": [str(task.pk) for task in tasks],
        "count": len(tasks),
    }


def undo_tasks_create(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Delete the tasks this step created that still exist."""
    from projects import services
    from projects.models import Task

    for task in Task.objects.filter(pk__in=(output or {}).get("tasks", [])):
        services.task_delete(actor=context.actor, task=task)


register(
    StepType(
        name="project.members_add",
        description=_("Add a list of users to a project with one role."),
        schema={
            "type": "object",
            "properties": {
                "project": UUID_SCHEMA,
                "users": {"type": "array", "items": UUID_SCHEMA, "maxItems": MAX_ITEMS},
                "role": {"enum": [MemberRole.MANAGER.value, MemberRole.MEMBER.value]},
            },
            "required": ["project", "users"],
            "additionalProperties": False,
        },
        run=run_members_add,
        undo=undo_members_add,
    )
)

register(
    StepType(
        name="task.create_many",
        description=_("Create one task per title in a project."),
        schema={
            "type": "object",
            "properties": {
                "project": UUID_SCHEMA,
                "titles": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1, "maxLength": 300},
                    "maxItems": MAX_ITEMS,
                },
                "assignee": UUID_SCHEMA,
                "priority": {"type": "string"},
                "status": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
            },
            "required": ["project", "titles"],
            "additionalProperties": False,
        },
        run=run_tasks_create,
        undo=undo_tasks_create,
    )
)
