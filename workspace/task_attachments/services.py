"""Every write on task attachments: attach a file, upload one straight onto a task, remove one.

Each function is one transaction, takes keyword arguments and raises only BaseAppException
subclasses. Attaching and removing need ``edit`` on the task (a task the actor may not see is a
404, one they may only view a 403); the file must be one the actor may see (422 otherwise).
Attaching grants nothing on the file: readers of the task download it through the task. Each
change is announced to the task's project as ``task_updated`` with ``attachments`` changed.
"""

from typing import Any

from django.core.files import File as DjangoFile
from django.db import transaction

from nexus_site.definitions.enums import EventType, Permission
from nexus_site.events.services import publish
from nexus_site.exceptions import NotFoundError
from projects.models import Task
from relations.access import require
from relations.nodes import node_of
from workspace.files.models import File
from workspace.files.selectors import files_for_attachment
from workspace.files.services import file_upload
from workspace.task_attachments.models import TaskAttachment


def announce(task: Task, *, actor, **change: str) -> None:
    publish(
        EventType.TASK_UPDATED,
        {
            "task": str(task.pk),
            "project": str(task.project_id),
            "title": task.title,
            "fields": ["attachments"],
            **change,
        },
        user_ids=[task.assignee_id] if task.assignee_id else [],
        node=str(node_of(task.project)),
        actor=actor,
    )


@transaction.atomic
def task_attachment_add(*, actor, task: Task, file_id: Any) -> TaskAttachment:
    """Attach a file ``actor`` may see to a task ``actor`` may edit; attaching twice is one
    attachment."""
    require(actor, Permission.EDIT, task)
    (file,) = files_for_attachment(actor, [file_id])
    attachment, created = TaskAttachment.objects.get_or_create(
        task=task, file=file, defaults={"attached_by": actor}
    )
    if created:
        announce(task, actor=actor, attached=str(file.pk))
    return attachment


@transaction.atomic
def task_attachment_upload(*, actor, task: Task, upload: DjangoFile) -> TaskAttachment:
    """Store ``upload`` as a file of ``actor``'s own (in no project: the task's readers reach it
    only through the task) and attach it to a task ``actor`` may edit."""
    require(actor, Permission.EDIT, task)
    file = file_upload(actor=actor, upload=upload)
    attachment = TaskAttachment.objects.create(task=task, file=file, attached_by=actor)
    announce(task, actor=actor, attached=str(file.pk))
    return attachment


@transaction.atomic
def task_attachment_remove(*, actor, task: Task, file: File) -> None:
    """Remove ``file`` from ``task``'s attachments (the file itself stays its owner's)."""
    require(actor, Permission.EDIT, task)
    deleted, _rows = TaskAttachment.objects.filter(task=task, file=file).delete()
    if not deleted:
        raise NotFoundError()
    announce(task, actor=actor, detached=str(file.pk))
