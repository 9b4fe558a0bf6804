"""Step types on projects, tasks and documents: project.create, project.member_add,
task.create, task.update and document.create, each with its undo.

Every step calls the domain service as the run's user, so the service's access rules hold: a
project, task or user the run's user may not see fails like a missing one (``not_found``), a
visible one they may not change fails with ``authorization``. Objects are read through the
apps' selectors. Dates are written ``YYYY-MM-DD``; hours are numbers.

An undo finding its object already gone has nothing left to do; one finding it still there but
out of the user's sight fails, so the run reports the compensation incomplete.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import MemberRole
from nexus_site.exceptions import NotFoundError
from patterns.steps import StepType, register
from patterns.steps.context import StepContext
from patterns.steps.domain import DATE, ID, actor_of, checked, still_there
from projects import selectors as project_selectors
from projects import services as project_services
from projects.models import Priority, Project, ProjectStatus, Task, TaskStatus
from projects.tags import MAX_TAG_LENGTH, MAX_TAGS
from relations.nodes import node_of
from workspace.documents import selectors as document_selectors
from workspace.documents import services as document_services
from workspace.documents.models import Document, DocumentType

NAME = {"type": "string", "minLength": 1, "maxLength": 200}
TITLE = {"type": "string", "minLength": 1, "maxLength": 300}
TEXT = {"type": "string", "maxLength": 100_000}
HOURS = {"type": "number", "minimum": 0, "maximum": 999_999}
TAGS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_LENGTH},
    "maxItems": MAX_TAGS,
}

PROJECT_CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        "name": NAME,
        "description": TEXT,
        "status": {"enum": list(ProjectStatus.values)},
        "priority": {"enum": list(Priority.values)},
        "start_date": DATE,
        "end_date": DATE,
    },
    "required": ["name"],
    "additionalProperties": False,
}
MEMBER_ADD_SCHEMA = {
    "type": "object",
    "properties": {
        "project": ID,
        "user": ID,
        "role": {"enum": [MemberRole.MANAGER.value, MemberRole.MEMBER.value]},
    },
    "required": ["project", "user"],
    "additionalProperties": False,
}
TASK_CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        "project": ID,
        "title": TITLE,
        "description": TEXT,
        "assignee": ID,
        "priority": {"enum": list(Priority.values)},
        "status": {"enum": list(TaskStatus.values)},
        "due_date": DATE,
        "estimated_hours": HOURS,
        "tags": TAGS,
    },
    "required": ["project", "title"],
    "additionalProperties": False,
}
TASK_UPDATE_SCHEMA = {
    "type": "object",
    "properties": {
        "task": ID,
        "fields": {
            "type": "object",
            "properties": {
                "title": TITLE,
                "description": TEXT,
                "status": {"enum": list(TaskStatus.values)},
                "priority": {"enum": list(Priority.values)},
                "assignee": {"anyOf": [ID, {"type": "null"}]},
                "due_date": {"anyOf": [DATE, {"type": "null"}]},
                "estimated_hours": {"anyOf": [HOURS, {"type": "null"}]},
                "actual_hours": HOURS,
                "tags": TAGS,
            },
            "minProperties": 1,
            "additionalProperties": False,
        },
    },
    "required": ["task", "fields"],
    "additionalProperties": False,
}
DOCUMENT_CREATE_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {
            "type": "string",
            "minLength": 1,
            "maxLength": document_services.MAX_TITLE_LENGTH,
        },
        "doc_type": {"enum": list(DocumentType.values)},
        "content": {"type": "object"},
        "project": ID,
    },
    "required": ["title", "doc_type"],
    "additionalProperties": False,
}


def user_named(user_id: str, *, active_only: bool = True):
    """Return the user with this id (colleagues see each other), else ``not_found``."""
    user = project_selectors.user_by_id(user_id, active_only=active_only)
    if user is None:
        raise NotFoundError(_("There is no such user."))
    return user


# --- project.create ----------------------------------------------------------------------------


def run_project_create(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Create a project owned by the run's user."""
    parameters = checked(PROJECT_CREATE_SCHEMA, parameters)
    project = project_services.project_create(actor=actor_of(context), **parameters)
    return {"project": str(project.pk), "node": str(node_of(project)), "name": project.name}


def undo_project_create(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Delete the project the step created (with what was made in it since)."""
    actor = actor_of(context)
    project_id = (output or {}).get("project")
    project = still_there(
        lambda: project_selectors.project_get(actor, project_id), Project, project_id
    )
    if project is not None:
        project_services.project_delete(actor=actor, project=project)


# --- project.member_add ------------------------------------------------------------------------


def run_member_add(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Make a user a member (or manager) of a project the run's user manages."""
    parameters = checked(MEMBER_ADD_SCHEMA, parameters)
    actor = actor_of(context)
    project = project_selectors.project_get(actor, parameters["project"])
    user = user_named(parameters["user"])
    role = parameters.get("role", MemberRole.MEMBER.value)
    project_services.project_member_add(actor=actor, project=project, user=user, role=role)
    return {"project": str(project.pk), "user": str(user.pk), "role": role}


def undo_member_add(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Remove the member the step added, if they are still a member."""
    actor = actor_of(context)
    project_id, user_id = (output or {}).get("project"), (output or {}).get("user")
    project = still_there(
        lambda: project_selectors.project_get(actor, project_id), Project, project_id
    )
    user = project_selectors.user_by_id(user_id, active_only=False)
    if project is None or user is None:
        return
    if project_selectors.project_role(project, user) not in MemberRole.values:
        return  # no longer a member (or the owner now): nothing of the step's is left
    project_services.project_member_remove(actor=actor, project=project, user=user)


# --- task.create -------------------------------------------------------------------------------


def run_task_create(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Create a task in a project the run's user may edit."""
    parameters = checked(TASK_CREATE_SCHEMA, parameters)
    actor = actor_of(context)
    fields = dict(parameters)
    fields["project"] = project_selectors.project_get(actor, parameters["project"])
    if "assignee" in parameters:
        fields["assignee"] = user_named(parameters["assignee"])
    task = project_services.task_create(actor=actor, **fields)
    return {"task": str(task.pk), "project": str(task.project_id), "title": task.title}


def undo_task_create(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Delete the task the step created."""
    actor = actor_of(context)
    task_id = (output or {}).get("task")
    task = still_there(lambda: project_selectors.task_get(actor, task_id), Task, task_id)
    if task is not None:
        project_services.task_delete(actor=actor, task=task)


# --- task.update -------------------------------------------------------------------------------


def task_values(task: Task, names) -> dict[str, Any]:
    """Return the fields ``names`` of ``task`` as JSON (the assignee as a user id)."""
    values = {}
    for name in names:
        value = task.assignee_id if name == "assignee" else getattr(task, name)
        values[name] = project_services.as_json(value)
    return values


def update_task(actor, task: Task, fields: dict[str, Any]) -> Task:
    """Apply JSON ``fields`` to ``task`` through the service (an assignee id becomes a user)."""
    fields = dict(fields)
    if fields.get("assignee") is not None:
        fields["assignee"] = user_named(fields["assignee"], active_only=False)
    return project_services.task_update(actor=actor, task=task, **fields)


def run_task_update(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Change fields of a task; answer which changed and their previous values."""
    parameters = checked(TASK_UPDATE_SCHEMA, parameters)
    actor = actor_of(context)
    fields = parameters["fields"]
    task = project_selectors.task_get(actor, parameters["task"])
    # Read the values to keep under the row lock the service takes too, so no writer slips
    # in between.
    before = task_values(Task.objects.select_for_update().get(pk=task.pk), fields)
    after = task_values(update_task(actor, task, fields), fields)
    changed = [name for name in fields if after[name] != before[name]]
    return {
        "task": str(task.pk),
        "changed": changed,
        "previous": {name: before[name] for name in changed},
    }


def undo_task_update(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Put back the values the step changed."""
    actor = actor_of(context)
    task_id, previous = (output or {}).get("task"), (output or {}).get("previous") or {}
    task = still_there(lambda: project_selectors.task_get(actor, task_id), Task, task_id)
    if task is not None and previous:
        update_task(actor, task, previous)


# --- document.create ---------------------------------------------------------------------------


def run_document_create(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Create a document owned by the run's user, in a project they may edit if given."""
    parameters = checked(DOCUMENT_CREATE_SCHEMA, parameters)
    actor = actor_of(context)
    project = None
    if "project" in parameters:
        project = project_selectors.project_get(actor, parameters["project"])
    document = document_services.document_create(
        actor=actor,
        title=parameters["title"],
        doc_type=parameters["doc_type"],
        content=parameters.get("content"),
        project=project,
    )
    return {"document": str(document.pk), "version": document.version}


def undo_document_create(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Delete the document the step created for good (not to the trash)."""
    actor = actor_of(context)
    document_id = (output or {}).get("document")

    def load() -> Document:
        try:
            return document_selectors.document_get(actor, document_id)
        except NotFoundError:  # moved to the trash since: it goes for good all the same
            return document_selectors.document_get(actor, document_id, deleted=True)

    document = still_there(load, Document, document_id)
    if document is not None:
        document_services.document_purge(actor=actor, document=document)


register(
    StepType(
        name="project.create",
        description=_("Create a project owned by the user running the pattern."),
        schema=PROJECT_CREATE_SCHEMA,
        run=run_project_create,
        undo=undo_project_create,
    )
)

register(
    StepType(
        name="project.member_add",
        description=_("Add a user to a project as a member or manager."),
        schema=MEMBER_ADD_SCHEMA,
        run=run_member_add,
        undo=undo_member_add,
    )
)

register(
    StepType(
        name="task.create",
        description=_("Create a task in a project."),
        schema=TASK_CREATE_SCHEMA,
        run=run_task_create,
        undo=undo_task_create,
    )
)

register(
    StepType(
        name="task.update",
        description=_("Change fields of a task."),
        schema=TASK_UPDATE_SCHEMA,
        run=run_task_update,
        undo=undo_task_update,
    )
)

register(
    StepType(
        name="document.create",
        description=_("Create a document, optionally in a project."),
        schema=DOCUMENT_CREATE_SCHEMA,
        run=run_document_create,
        undo=undo_document_create,
    )
)
