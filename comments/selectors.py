"""Every read of comments on behalf of a user: the target's access, decided once, and the joins
a thread needs.

A comment is as visible as its target: reading needs ``view`` on the task or document, posting
``comment``. A target the caller may not see answers 404. The caller's level is decided once,
when the target is loaded (``Target``), and the services take that decision instead of asking
again.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse

from comments.markup import Mention, render_markup
from comments.models import Comment, CommentRevision
from nexus_site.definitions.enums import Permission, Role
from nexus_site.exceptions import NotFoundError
from nexus_site.queries import first_or_none
from projects.models import Task
from relations.access import permission_on, permits, viewer_ids
from relations.nodes import Node, node_of
from workspace.documents import selectors as document_selectors
from workspace.documents.models import Document
from workspace.files.models import File
from workspace.files.selectors import files_visible_to

TASK = "task"
DOCUMENT = "document"
MENTION_CHOICES = 10
ATTACH_CHOICES = 100


@dataclass
class Target:
    """A task or document someone asked about, with the level ``user_id`` holds on it."""

    obj: Task | Document
    level: str
    user_id: Any

    @property
    def kind(self) -> str:
        return TASK if isinstance(self.obj, Task) else DOCUMENT

    @property
    def node(self) -> Node:
        return node_of(self.obj)

    @property
    def title(self) -> str:
        return self.obj.title

    def may(self, action: str) -> bool:
        return permits(self.level, action)

    def filter(self) -> dict:
        """Return the lookup of this target's comments."""
        return {self.kind: self.obj}

    def page_url(self) -> str:
        if self.kind == TASK:
            return reverse("projects:task", args=[self.obj.pk])
        return reverse("documents:editor", args=[self.obj.pk])

    def api_url(self) -> str:
        return reverse(f"comments-api:{self.kind}-comments", args=[self.obj.pk])


def decided(user, obj: Task | Document) -> Target:
    """Return ``obj`` as a target with ``user``'s level on it; NotFoundError if not even view.

    A document loaded by documents.selectors for the same user keeps the level decided then.
    """
    if isinstance(obj, Document):
        if obj.deleted_at is not None:
            raise NotFoundError()
        level = document_selectors.document_permission(user, obj)
    else:
        level = permission_on(user, node_of(obj))
    if level is None:
        raise NotFoundError()
    return Target(obj=obj, level=level, user_id=getattr(user, "pk", None))


def task_target(user, task_id: UUID | str) -> Target:
    """Return the task ``task_id`` as a target ``user`` may see (404 otherwise)."""
    task = first_or_none(Task.objects.select_related("project"), task_id)
    if task is None:
        raise NotFoundError()
    return decided(user, task)


def document_target(user, document_id: UUID | str) -> Target:
    """Return the live document ``document_id`` as a target ``user`` may see (404 otherwise)."""
    return decided(user, document_selectors.document_get(user, document_id))


def target_of_comment(user, comment_id: UUID | str) -> tuple[Target, Comment]:
    """Return the target of comment ``comment_id`` and the comment, both visible to ``user``
    (404 otherwise)."""
    comment = first_or_none(
        Comment.objects.select_related("task__project", "document__owner", "document__project"),
        comment_id,
    )
    if comment is None:
        raise NotFoundError()
    return decided(user, comment.task or comment.document), comment


def thread_comments(target: Target, *, with_revisions: bool = False) -> QuerySet[Comment]:
    """Return ``target``'s comments in thread order: each thread oldest first, its root then
    its replies oldest first (deleted ones as markers), with what rendering needs."""
    comments = (
        Comment.objects.filter(**target.filter())
        .select_related("author")
        .annotate(
            thread_at=Coalesce("reply_to__created_at", "created_at"),
            thread_id=Coalesce("reply_to_id", "id"),
            revision_count=Count("revisions"),
        )
        .order_by("thread_at", "thread_id", F("reply_to_id").asc(nulls_first=True), "created_at")
        .prefetch_related(
            Prefetch("mentions", queryset=get_user_model().objects.order_by("email")),
            Prefetch("attachments", queryset=File.objects.order_by("name", "id")),
        )
    )
    if with_revisions:
        revisions = CommentRevision.objects.select_related("editor").order_by("-edited_at", "-id")
        comments = comments.prefetch_related(Prefetch("revisions", queryset=revisions))
    return comments


def comment_get(target: Target, comment_id: UUID | str) -> Comment:
    """Return one comment of ``target`` (a deleted one as a marker), else NotFoundError."""
    comment = first_or_none(thread_comments(target), comment_id)
    if comment is None:
        raise NotFoundError()
    return comment


def comment_revisions(comment: Comment) -> QuerySet[CommentRevision]:
    """Return the earlier bodies of ``comment``, newest first, with their editors."""
    return CommentRevision.objects.filter(comment=comment).select_related("editor")


def attachment_get(target: Target, comment_id: UUID | str, file_id: UUID | str) -> File:
    """Return a file attached to a live comment of ``target``; else NotFoundError.

    Reading the comment is what lets the target's readers download what was attached to it:
    nobody gains a grant on the file, and deleting the comment takes the way in with it.
    """
    try:
        file = (
            File.objects.filter(
                pk=file_id,
                comment_attachments__comment_id=comment_id,
                comment_attachments__comment__deleted_at__isnull=True,
                **{f"comment_attachments__comment__{target.kind}": target.obj},
            )
            .select_related("blob")
            .first()
        )
    except ValueError:
        file = None
    if file is None:
        raise NotFoundError()
    return file


def body_html(comment: Comment) -> str:
    """Return ``comment``'s body as safe HTML, its stored mentions linked (prefetched)."""
    if comment.is_deleted:
        return ""
    people = {
        person.email.lower(): Mention(name=person.full_name, url=f"mailto:{person.email}")
        for person in comment.mentions.all()
    }
    return render_markup(comment.body, mentions=people)


def threaded(comments: list[Comment]) -> list[Comment]:
    """Return the roots of ``comments`` (thread order); each gets ``thread``, its replies."""
    roots: dict[Any, Comment] = {}
    for comment in comments:
        comment.thread = []
        root = roots.get(comment.reply_to_id)
        if root is None:
            roots[comment.pk] = comment
        else:
            root.thread.append(comment)
    return list(roots.values())


# --- people --------------------------------------------------------------------------------


def people_who_see(node: Node):
    """Return the active users who may see ``node``."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=viewer_ids(node)) | Q(role=Role.ADMIN))
    )


def mentionable(target: Target, query: str, *, limit: int = MENTION_CHOICES) -> list:
    """Return up to ``limit`` people who may see ``target`` whose name or e-mail contains
    ``query``, by name: what the @ completion offers."""
    people = people_who_see(target.node).only("id", "email", "first_name", "last_name")
    for word in str(query or "").split()[:3]:
        people = people.filter(
            Q(email__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    return list(people.order_by("first_name", "last_name", "email")[:limit])


def files_to_attach(user) -> list[File]:
    """Return ``user``'s own latest files, offered for attaching to a comment."""
    return list(
        files_visible_to(user).filter(owner=user).order_by("-created_at", "id")[:ATTACH_CHOICES]
    )


def may_comment(target: Target) -> bool:
    return target.may(Permission.COMMENT)
