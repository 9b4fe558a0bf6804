"""Every read of mail on behalf of a user.

A user reads their own mailbox only: the copies (``MailboxEntry``) they hold. Anyone else's
copy answers 404, whatever the reader's role; staff audit mail in the admin.

Bcc rows are filtered in the query, never after it: ``recipients_visible_to`` loads the bcc
of a message only for the user who sent it, and every list, detail, thread, search and
notification reads recipients through it.
"""

from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import NotFoundError, ValidationError
from workspace.files.selectors import first_or_none
from workspace.mail.models import (
    MailAttachment,
    MailboxEntry,
    MailFolder,
    MailRecipient,
    MailStatus,
    RecipientKind,
)


def recipients_visible_to(user) -> QuerySet[MailRecipient]:
    """Return the recipient rows ``user`` may know of: to and cc of any message, bcc only of
    the messages ``user`` sent."""
    return MailRecipient.objects.filter(~Q(kind=RecipientKind.BCC) | Q(message__sender_id=user.pk))


def mailbox_of(user) -> QuerySet[MailboxEntry]:
    """Return ``user``'s copies, newest first, with everything a message view shows.

    Annotated: ``date`` (sent, else last edited), ``subject`` and ``in_reply_to_copy`` (the
    user's own copy of the message replied to, if they hold one). Recipients are prefetched
    into ``message.visible_recipients`` (bcc only on the sender's messages).
    """
    if not getattr(user, "is_authenticated", False):
        return MailboxEntry.objects.none()
    parent_copy = (
        MailboxEntry.objects.filter(user=user, message=OuterRef("message__in_reply_to"))
        .order_by(F("recipient").asc(nulls_first=True), "id")
        .values("id")[:1]
    )
    recipients = recipients_visible_to(user).select_related("user").order_by("position", "id")
    attachments = MailAttachment.objects.select_related("file").order_by("position", "id")
    return (
        MailboxEntry.objects.filter(user=user)
        .select_related("message", "message__sender")
        .prefetch_related(
            Prefetch("message__recipients", queryset=recipients, to_attr="visible_recipients"),
            Prefetch("message__attachments", queryset=attachments, to_attr="attachment_rows"),
        )
        .annotate(
            date=Coalesce("message__sent_at", "message__updated_at"),
            subject=F("message__subject"),
            in_reply_to_copy=Subquery(parent_copy),
        )
        .order_by("-date", "-id")
    )


def search_filter(user, text: str) -> Q:
    """Return the condition of copies whose subject, body, sender or a recipient ``user``
    may know of contains ``text`` (a bcc address finds only the sender's own copies)."""
    recipient_matches = recipients_visible_to(user).filter(
        message=OuterRef("message"), user__email__icontains=text
    )
    return (
        Q(message__subject__icontains=text)
        | Q(message__body__icontains=text)
        | Q(message__sender__email__icontains=text)
        | Q(Exists(recipient_matches))
    )


def entry_get(user, entry_id: UUID | str) -> MailboxEntry:
    """Return ``user``'s copy ``entry_id``; NotFoundError for anyone else's or none."""
    entry = first_or_none(mailbox_of(user), entry_id)
    if entry is None:
        raise NotFoundError()
    return entry


def entry_for_reply(user, entry_id: UUID | str) -> MailboxEntry:
    """Return ``user``'s copy of a sent message to reply to; ValidationError otherwise."""
    entry = first_or_none(
        MailboxEntry.objects.filter(user=user, message__status=MailStatus.SENT).select_related(
            "message"
        ),
        entry_id,
    )
    if entry is None:
        raise ValidationError(details={"in_reply_to": [str(_("No message of yours has this id."))]})
    return entry


@dataclass(frozen=True)
class ThreadView:
    """The part of a thread one user sees: their copies, oldest first, one per message."""

    id: UUID
    subject: str
    messages: list[MailboxEntry]


def thread_get(user, thread_id: UUID | str) -> ThreadView:
    """Return the messages of ``thread_id`` that ``user`` sent or received; NotFoundError
    when they hold none (so a thread is as private as its messages)."""
    try:
        copies = list(mailbox_of(user).filter(message__thread_id=thread_id).order_by("date", "id"))
    except (DjangoValidationError, ValueError):  # not a UUID: nothing has that id
        copies = []
    if not copies:
        raise NotFoundError()
    # Who mails themselves holds two copies of one message: show it once, as its sender.
    by_message: dict[UUID, MailboxEntry] = {}
    for copy in copies:
        if copy.message_id not in by_message or copy.is_sender_copy:
            by_message[copy.message_id] = copy
    messages = list(by_message.values())
    return ThreadView(
        id=copies[0].message.thread_id, subject=messages[0].subject, messages=messages
    )


@dataclass(frozen=True)
class FolderCount:
    folder: str
    label: str
    total: int
    unread: int


def folder_counts(user) -> list[FolderCount]:
    """Return how many copies ``user`` has in each folder, and how many are unread (1 query)."""
    rows = {
        row["folder"]: row
        for row in MailboxEntry.objects.filter(user=user)
        .values("folder")
        .annotate(total=Count("id"), unread=Count("id", filter=Q(is_read=False)))
        .order_by()
    }
    return [
        FolderCount(
            folder=folder.value,
            label=folder.label,
            total=rows.get(folder.value, {}).get("total", 0),
            unread=rows.get(folder.value, {}).get("unread", 0),
        )
        for folder in MailFolder
    ]


def attachment_get(user, entry_id: UUID | str, file_id: UUID | str):
    """Return a file attached to ``user``'s copy ``entry_id``; NotFoundError otherwise.

    Holding a copy is what lets a recipient download its attachments (bcc recipients get no
    graph edge on the files, see ``services.mail_send``).
    """
    if not getattr(user, "is_authenticated", False):
        raise NotFoundError()
    try:
        attachment = (
            MailAttachment.objects.filter(
                file_id=file_id, message__copies__pk=entry_id, message__copies__user=user
            )
            .select_related("file__blob")
            .first()
        )
    except (DjangoValidationError, ValueError):  # not a UUID: nothing has that id
        attachment = None
    if attachment is None:
        raise NotFoundError()
    return attachment.file


def recipient_emails(entry: MailboxEntry, kind: str) -> list[str]:
    """Return the addresses of ``kind`` on ``entry``'s message, as its reader may know them
    (needs ``mailbox_of``'s prefetch)."""
    return [row.user.email for row in entry.message.visible_recipients if row.kind == kind]


def attachment_files(entry: MailboxEntry) -> list:
    """Return the files attached to ``entry``'s message (needs ``mailbox_of``'s prefetch)."""
    return [row.file for row in entry.message.attachment_rows]
