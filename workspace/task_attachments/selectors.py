"""Every read of task attachments on behalf of a user.

A task's attachments are as visible as the task: the caller's level on the task is decided
once, when the task is loaded (``task_and_level``), and a task the caller may not see answers
404. The attached files themselves stay out of reach: they are read only through the task.
"""

from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet

from nexus_site.exceptions import NotFoundError
from projects.models import Task
from projects.selectors import project_task_and_permission
from workspace.files.models import File
from workspace.files.selectors import files_visible_to
from workspace.task_attachments.models import TaskAttachment

ATTACH_CHOICES = 100


def task_and_level(user, task_id: UUID | str) -> tuple[Task, str]:
    """Return the task ``task_id`` ``user`` may see with ``user``'s level on it (404 otherwise)."""
    return project_task_and_permission(user, task_id)


def task_attachments(task: Task) -> QuerySet[TaskAttachment]:
    """Return ``task``'s attachments, oldest first, with their files and who attached them."""
    return (
        TaskAttachment.objects.filter(task=task)
        .select_related("file", "attached_by")
        .order_by("attached_at", "id")
    )


def task_attachment_get(task: Task, file_id: UUID | str) -> TaskAttachment:
    """Return the attachment of ``file_id`` to ``task``, with its file's blob; else NotFoundError.

    Seeing the task is what lets its readers download the file: nobody gains a grant on the
    file, and removing the attachment takes the way in with it.
    """
    try:
        attachment = (
            TaskAttachment.objects.filter(task=task, file_id=file_id)
            .select_related("file__blob")
            .first()
        )
    except (DjangoValidationError, ValueError):  # not a UUID: nothing has that id
        attachment = None
    if attachment is None:
        raise NotFoundError()
    return attachment


def files_to_attach(user, task: Task) -> list[File]:
    """Return ``user``'s own latest files not yet attached to ``task``, offered for attaching."""
    return list(
        files_visible_to(user)
        .filter(owner=user)
        .exclude(task_attachments__task=task)
        .order_by("-created_at", "id")[:ATTACH_CHOICES]
    )
