"""Files attached to tasks.

The link lives in workspace, not in projects: projects sits below workspace and must not
import it, while workspace may reference projects (as documents do with their project). Like
a document's or a comment's attachments, it grants nothing on the file: whoever may view the
task downloads the file through the task while it stays attached.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.ids import uuid7

__all__ = ["TaskAttachment"]


class TaskAttachment(models.Model):
    """A file attached to a task. Whoever may view the task may download it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    task = models.ForeignKey(
        "projects.Task",
        verbose_name=_("task"),
        on_delete=models.CASCADE,
        related_name="file_attachments",
    )
    file = models.ForeignKey(
        "workspace.File",
        verbose_name=_("file"),
        on_delete=models.CASCADE,
        related_name="task_attachments",
    )
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attached by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attached_at = models.DateTimeField(_("attached at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("task attachment")
        verbose_name_plural = _("task attachments")
        ordering = ["task", "attached_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "file"], name="workspace_taskattachment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} + {self.file_id}"
