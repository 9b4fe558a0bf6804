"""Every write on comments: post, edit (the old body kept as a revision) and delete (a marker).

Each function is one transaction, takes keyword arguments and raises only BaseAppException
subclasses. The target (a task or document, comments.selectors.Target) carries the actor's
level, decided once when it was loaded: posting needs ``comment`` on it (a view share or a
project guest only reads); editing or deleting a comment needs to be its author and still able
to comment, or to manage the target.

Mentions are ``@address`` in the body. Only people who may see the target are stored and told
(a ``mention`` event); anyone else is refused, stays plain text, and the caller gets their
addresses back (``Written.mentions_refused``): a mention never grants access. Attachments are
files the author may see; the target's readers download them through the comment, never
through a grant on the file.

Events go out through the outbox with the target as their node, so its viewers get them.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comments.markup import mentioned_emails
from comments.models import Comment, CommentAttachment, CommentRevision
from comments.selectors import TASK, Target, decided
from nexus_site.definitions.enums import EventType, Permission, Role
from nexus_site.events.services import event_of, publish_many
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from relations.access import refusal_at, viewer_ids
from search import index as search_index
from workspace.files.selectors import files_for_attachment

MAX_BODY_LENGTH = 10_000
MAX_ATTACHMENTS = 10
MAX_MENTIONS = 20
EXCERPT_LENGTH = 200


@dataclass
class Written:
    """A comment just written, and the addresses mentioned that were not stored."""

    comment: Comment
    mentions_refused: list[str] = field(default_factory=list)


# --- access and helpers ------------------------------------------------------------------


def level_for(actor, target: Target) -> str | None:
    """Return ``actor``'s level on the target: the one decided when it was loaded, if for them."""
    if target.user_id is not None and target.user_id == getattr(actor, "pk", None):
        return target.level
    try:
        return decided(actor, target.obj).level
    except NotFoundError:
        return None


def require_level(actor, target: Target, action: str) -> str:
    level = level_for(actor, target)
    error = refusal_at(level, action)
    if error is AuthorizationError:
        raise AuthorizationError(_("You may read this, but not comment on it."))
    if error is not None:
        raise error()
    return level


def require_author_or_manager(actor, target: Target, comment: Comment) -> None:
    """Refuse unless ``actor`` wrote ``comment`` and may still comment, or manages the target."""
    level = require_level(actor, target, Permission.VIEW)
    own = comment.author_id is not None and comment.author_id == actor.pk
    if refusal_at(level, Permission.MANAGE) is None:
        return
    if own and refusal_at(level, Permission.COMMENT) is None:
        return
    raise AuthorizationError(_("Only its author or someone who manages this may change a comment."))


def clean_body(body: Any, *, has_attachments: bool = False) -> str:
    body = str(body or "").strip()
    if not body and not has_attachments:
        raise ValidationError(details={"body": [str(_("A comment cannot be empty."))]})
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(
            details={
                "body": [
                    str(
                        _("A comment has at most %(limit)d characters.")
                        % {"limit": MAX_BODY_LENGTH}
                    )
                ]
            }
        )
    return body


def clean_attachments(actor, file_ids: Any) -> list:
    ids = list(file_ids or [])
    if len(ids) > MAX_ATTACHMENTS:
        raise ValidationError(
            details={
                "attachments": [
                    str(_("At most %(limit)d files per comment.") % {"limit": MAX_ATTACHMENTS})
                ]
            }
        )
    if not ids:
        return []
    try:
        return files_for_attachment(actor, ids)
    except ValidationError as exc:
        bad = exc.details["file_ids"]
        raise ValidationError(exc.message, details={"attachments": bad}) from exc


def thread_root(target: Target, reply_to: Any) -> Comment | None:
    """Return the root of the thread ``reply_to`` (a live comment of the same target) is in.

    Threads are one level deep, as in GitHub's and Jira's: a reply to a reply joins its thread.
    """
    if reply_to in (None, ""):
        return None
    try:
        parent = (
            Comment.objects.filter(**target.filter(), deleted_at__isnull=True)
            .select_related("reply_to")
            .filter(pk=reply_to)
            .first()
        )
    except (ValueError, TypeError):
        parent = None
    if parent is None:
        message = (
            _("No such comment on this task.")
            if target.kind == TASK
            else _("No such comment on this document.")
        )
        raise ValidationError(details={"reply_to": [str(message)]})
    return parent.reply_to or parent


def resolve_mentions(body: str, target: Target) -> tuple[list, list[str]]:
    """Return the people ``body`` mentions who may see ``target``, and the mentioned addresses
    that are not stored (nobody has them, or they may not see it)."""
    emails = mentioned_emails(body)
    if len(emails) > MAX_MENTIONS:
        raise ValidationError(
            details={
                "body": [str(_("Mention at most %(limit)d people.") % {"limit": MAX_MENTIONS})]
            }
        )
    if not emails:
        return [], []
    matches = Q()
    for email in emails:
        matches |= Q(email__iexact=email)
    people = list(get_user_model().objects.filter(matches, is_active=True))
    viewers = viewer_ids(target.node)
    seeing = {
        person.email.lower(): person
        for person in people
        if person.role == Role.ADMIN or person.pk in viewers
    }
    allowed = [seeing[email] for email in emails if email in seeing]
    return allowed, [email for email in emails if email not in seeing]


def target_payload(target: Target, comment: Comment, **extra: Any) -> dict[str, Any]:
    return {
        "comment": str(comment.pk),
        target.kind: str(target.obj.pk),
        "title": target.title,
        "author": str(comment.author_id) if comment.author_id else None,
        **extra,
    }


def announce(type: str, target: Target, comment: Comment, *, actor, told=(), **extra) -> None:
    """Publish ``type`` to the target's viewers and a ``mention`` to each of ``told``."""
    events = [
        event_of(
            type,
            target_payload(target, comment, **extra),
            node=str(target.node),
            actor=actor,
        )
    ]
    excerpt = comment.body[:EXCERPT_LENGTH]
    for person in told:
        if person.pk != actor.pk:
            events.append(
                event_of(
                    EventType.MENTION,
                    target_payload(target, comment, excerpt=excerpt),
                    user_ids=[person.pk],
                    actor=actor,
                )
            )
    publish_many(events)


def locked(target: Target, comment: Comment) -> Comment:
    current = (
        Comment.objects.select_for_update()
        .filter(pk=comment.pk, **target.filter(), deleted_at__isnull=True)
        .first()
    )
    if current is None:
        raise NotFoundError()
    return current


# --- writes ------------------------------------------------------------------------------


@transaction.atomic
def comment_create(
    *,
    actor,
    target: Target,
    body: str,
    reply_to: Any = None,
    attachments: list | tuple = (),
) -> Written:
    """Post a comment on ``target`` (``reply_to``: a comment of the same target)."""
    require_level(actor, target, Permission.COMMENT)
    files = clean_attachments(actor, attachments)
    body = clean_body(body, has_attachments=bool(files))
    root = thread_root(target, reply_to)
    mentioned, refused = resolve_mentions(body, target)
    comment = Comment(**target.filter(), author=actor, body=body, reply_to=root)
    comment.save(force_insert=True)
    search_index.entry_update(comment)
    if mentioned:
        comment.mentions.set(mentioned)
    if files:
        CommentAttachment.objects.bulk_create(
            CommentAttachment(comment=comment, file=file) for file in files
        )
    announce(
        EventType.COMMENT_CREATED,
        target,
        comment,
        actor=actor,
        told=mentioned,
        reply_to=str(root.pk) if root else None,
        mentions=[str(person.pk) for person in mentioned],
    )
    return Written(comment=comment, mentions_refused=refused)


@transaction.atomic
def comment_edit(*, actor, target: Target, comment: Comment, body: str) -> Written:
    """Change a comment's body, keeping the old one as a revision; newly mentioned people who
    may see the target are told."""
    current = locked(target, comment)
    require_author_or_manager(actor, target, current)
    body = clean_body(body, has_attachments=current.attachments.exists())
    mentioned, refused = resolve_mentions(body, target)
    if body == current.body:
        return Written(comment=current, mentions_refused=refused)
    before = set(current.mentions.values_list("pk", flat=True))
    now = timezone.now()
    CommentRevision.objects.create(
        comment=current, editor=actor, old_body=current.body, edited_at=now
    )
    current.body = body
    current.edited_at = now
    current.save(update_fields=["body", "edited_at"])
    search_index.entry_update(current)
    current.mentions.set(mentioned)
    announce(
        EventType.COMMENT_EDITED,
        target,
        current,
        actor=actor,
        told=[person for person in mentioned if person.pk not in before],
        mentions=[str(person.pk) for person in mentioned],
    )
    return Written(comment=current, mentions_refused=refused)


@transaction.atomic
def comment_delete(*, actor, target: Target, comment: Comment) -> Comment:
    """Delete a comment: its body, mentions, attachments and history go; a marker with
    ``deleted_at`` stays so its thread keeps its shape."""
    current = locked(target, comment)
    require_author_or_manager(actor, target, current)
    current.body = ""
    current.deleted_at = timezone.now()
    current.save(update_fields=["body", "deleted_at"])
    search_index.entry_update(current)
    current.mentions.clear()
    current.revisions.all().delete()
    CommentAttachment.objects.filter(comment=current).delete()
    announce(EventType.COMMENT_DELETED, target, current, actor=actor)
    return current
