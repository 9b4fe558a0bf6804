"""The mentions panel of "My work": the latest comments that mention the user, on tasks and
documents they can still see."""

from django.db.models import Q
from django.utils.text import Truncator

from comments.models import Comment
from nexus_site.dashboard import Panel, register_panel
from projects.models import Task
from relations.access import visible_filter
from workspace.documents.models import Document

SHOWN = 6
EXCERPT_WORDS = 24


def my_mentions(user) -> dict | None:
    """Return the latest live comments mentioning ``user`` whose task or document ``user`` may
    still see (a mention never grants access: one lost since is left out), newest first; None
    when there are none.

    One statement: access is the relations filter on the targets, not a check per comment.
    """
    tasks = Task.objects.filter(visible_filter(user, Task)).values("pk")
    documents = Document.objects.filter(
        visible_filter(user, Document), deleted_at__isnull=True
    ).values("pk")
    comments = list(
        Comment.objects.filter(mentions=user, deleted_at__isnull=True)
        .filter(Q(task__in=tasks) | Q(document__in=documents))
        .select_related("author", "task", "document")
        .only(
            "id",
            "body",
            "created_at",
            "task__id",
            "task__title",
            "document__id",
            "document__title",
            "author__id",
            "author__email",
            "author__first_name",
            "author__last_name",
        )
        .order_by("-created_at", "-id")[:SHOWN]
    )
    for comment in comments:
        comment.excerpt = Truncator(comment.body).words(EXCERPT_WORDS)
    return {"comments": comments} if comments else None


def register() -> None:
    register_panel(Panel("mentions", "comments/dashboard.html", my_mentions, order=2))
