"""Comments on tasks and documents: threads one level deep, mentions, attachments, an edit
history and a deleted marker.

The target is one of two nullable foreign keys, exactly one set (a check constraint), rather
than a generic content type + object id: the database keeps the reference whole (a task
deleted or a document purged takes its comments with it, a generic key would leave orphans),
each target has its own index for "comments of a target in order", and a page of comments
joins its target like any foreign key. A third kind of target is one more column.

Who may read or write a comment is not stored here: it is the target's access
(comments.selectors, comments.services).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.ids import uuid7

__all__ = ["Comment", "CommentAttachment", "CommentRevision"]


class Comment(models.Model):
    """One comment; a deleted one keeps its row (the thread's shape) with the body blanked."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    task = models.ForeignKey(
        "projects.Task",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    document = models.ForeignKey(
        "workspace.Document",
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("body"), blank=True)
    # The root of the thread: a reply to a reply is stored as a reply to its root.
    reply_to = models.ForeignKey(
        "self",
        verbose_name=_("reply to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
    )
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mentioned people"),
        blank=True,
        related_name="comment_mentions",
    )
    attachments = models.ManyToManyField(
        "workspace.File",
        verbose_name=_("attachments"),
        through="CommentAttachment",
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(task__isnull=False) & Q(document__isnull=True))
                | (Q(task__isnull=True) & Q(document__isnull=False)),
                name="comments_comment_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(reply_to=models.F("id")), name="comments_comment_not_own_reply"
            ),
        ]
        indexes = [
            models.Index(fields=["task", "created_at", "id"], name="comments_task_idx"),
            models.Index(fields=["document", "created_at", "id"], name="comments_document_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.target_id}: {self.body[:40]}"

    @property
    def target_id(self):
        return self.task_id or self.document_id

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class CommentRevision(models.Model):
    """The body a comment had before one edit: who changed it and when."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="revisions"
    )
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("editor"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    old_body = models.TextField(_("old body"), blank=True)
    edited_at = models.DateTimeField(_("edited at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("comment revision")
        verbose_name_plural = _("comment revisions")
        ordering = ["comment", "edited_at", "id"]

    def __str__(self) -> str:
        return f"{self.comment_id} @ {self.edited_at:%Y-%m-%d %H:%M}"


class CommentAttachment(models.Model):
    """A file attached to a comment: readers of the comment download it through the comment."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    comment = models.ForeignKey(Comment, verbose_name=_("comment"), on_delete=models.CASCADE)
    file = models.ForeignKey(
        "workspace.File",
        verbose_name=_("file"),
        on_delete=models.CASCADE,
        related_name="comment_attachments",
    )

    class Meta:
        verbose_name = _("comment attachment")
        verbose_name_plural = _("comment attachments")
        ordering = ["comment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "file"], name="comments_attachment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.comment_id} + {self.file_id}"
