"""Every write on mail: compose and edit drafts, send, read state, trash and restore.

Each function is one transaction, takes keyword arguments and raises only BaseAppException
subclasses. Callers load copies through ``workspace.mail.selectors`` (another user's copy is
404 there); a write on a copy the actor holds but may not change answers 403 (a recipient's
copy is not theirs to edit) or 409 (a sent message never changes, a trashed draft must be
restored first).

Sending is one transaction: the message turns sent, every recipient's copy is written, every
recipient gets a ``mail_received`` event, and the notification e-mails are enqueued for after
the commit. Either all of it happens or none. Every recipient downloads the attachments through
their own copy (``selectors.attachment_get``): sending a file never grants anyone the file
itself, so a message cannot re-share what its sender may only view, and what a recipient can
reach ends with their copy.
"""

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType
from nexus_site.events.services import publish
from nexus_site.exceptions import (
    AuthorizationError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from search import index as search_index
from workspace.files.models import File
from workspace.files.selectors import files_for_attachment
from workspace.mail import notifications, tasks
from workspace.mail.models import (
    BODY_MAX_LENGTH,
    MAX_ATTACHMENTS,
    MAX_RECIPIENTS,
    SUBJECT_MAX_LENGTH,
    MailAttachment,
    MailboxEntry,
    MailFolder,
    MailMessage,
    MailRecipient,
    MailStatus,
    MailThread,
    RecipientKind,
)

RECIPIENT_FIELDS = ("to", "cc", "bcc")
ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")
CONTENT_FIELDS = frozenset({*RECIPIENT_FIELDS, "subject", "body", "attachments"})


# --- checks ------------------------------------------------------------------------------------


def normalized_addresses(addresses: Iterable[str] | str) -> list[str]:
    """Return the addresses trimmed and lower-cased, each once, in the order given; a string
    is a list separated by commas, semicolons or white space (as typed in a form)."""
    if isinstance(addresses, str):
        addresses = ADDRESS_SEPARATORS.split(addresses)
    seen: dict[str, None] = {}
    for address in addresses:
        address = str(address).strip().lower()
        if address:
            seen.setdefault(address, None)
    return list(seen)


def resolve_recipients(
    *, to: Iterable[str] = (), cc: Iterable[str] = (), bcc: Iterable[str] = ()
) -> list[tuple[str, Any]]:
    """Return ``(kind, user)`` for every address, in order; ValidationError naming each
    address that no active user has, or that stands in more than one of to, cc and bcc."""
    lists = {
        RecipientKind.TO.value: normalized_addresses(to),
        RecipientKind.CC.value: normalized_addresses(cc),
        RecipientKind.BCC.value: normalized_addresses(bcc),
    }
    errors: dict[str, list[str]] = {}
    kind_of: dict[str, str] = {}
    for kind, addresses in lists.items():
        for address in addresses:
            if address in kind_of:
                errors.setdefault(kind, []).append(
                    str(
                        _("%(address)s is already in %(field)s.")
                        % {"address": address, "field": kind_of[address]}
                    )
                )
            else:
                kind_of[address] = kind
    if len(kind_of) > MAX_RECIPIENTS:
        raise ValidationError(
            details={"to": [str(_("At most %(limit)d recipients.") % {"limit": MAX_RECIPIENTS})]}
        )
    users = {
        user.email_lower: user
        for user in get_user_model()
        .objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=list(kind_of), is_active=True)
    }
    unknown = [address for address in kind_of if address not in users]
    for address in unknown:
        errors.setdefault(kind_of[address], []).append(
            str(_("No user has the address %(address)s.") % {"address": address})
        )
    if errors:
        message = (
            _("Unknown recipients: %(addresses)s.") % {"addresses": ", ".join(unknown)}
            if unknown
            else None
        )
        raise ValidationError(message, details=errors)
    return [(kind, users[address]) for address, kind in kind_of.items()]


def clean_text(field: str, value: Any, limit: int) -> str:
    value = "" if value is None else str(value)
    if len(value) > limit:
        raise ValidationError(
            details={field: [str(_("At most %(limit)d characters.") % {"limit": limit})]}
        )
    return value


def attachable_files(actor, file_ids: Sequence[Any]) -> list[File]:
    """Return the files ``actor`` may attach, in order; ValidationError naming the others."""
    if len(file_ids) > MAX_ATTACHMENTS:
        raise ValidationError(
            details={
                "attachments": [
                    str(_("At most %(limit)d attachments.") % {"limit": MAX_ATTACHMENTS})
                ]
            }
        )
    try:
        return files_for_attachment(actor, file_ids)
    except ValidationError as exc:
        raise ValidationError(
            exc.message, details={"attachments": exc.details.get("file_ids", [])}
        ) from exc


def reply_subject(subject: str) -> str:
    subject = subject.strip()
    if subject.lower().startswith("re:"):
        return subject
    return f"Re: {subject}"[:SUBJECT_MAX_LENGTH].strip()


def own(actor, entry: MailboxEntry) -> None:
    """Refuse (404) a copy that is not ``actor``'s: selectors never hand one out, but a
    service must not trust its caller for that."""
    if not getattr(actor, "is_authenticated", False) or entry.user_id != actor.pk:
        raise NotFoundError()


def editable_draft(actor, entry: MailboxEntry) -> tuple[MailboxEntry, MailMessage]:
    """Return the sender's copy and its message, both re-read under a row lock, while the
    message is a draft in the drafts folder; refuse otherwise."""
    own(actor, entry)
    if not entry.is_sender_copy:
        raise AuthorizationError(_("Only the sender can change or send a message."))
    message = MailMessage.objects.select_for_update().get(pk=entry.message_id)
    if message.status != MailStatus.DRAFT:
        raise ConflictError(
            _("This message has been sent; sent mail cannot be changed or sent again."),
            code="already_sent",
        )
    entry = MailboxEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.folder == MailFolder.TRASH:
        raise ConflictError(_("This draft is in the trash; restore it first."))
    return entry, message


# --- rows ---------------------------------------------------------------------------------------


def write_recipients(message: MailMessage, recipients: list[tuple[str, Any]]) -> None:
    MailRecipient.objects.filter(message=message).delete()
    MailRecipient.objects.bulk_create(
        MailRecipient(message=message, user=user, kind=kind, position=position)
        for position, (kind, user) in enumerate(recipients)
    )


def write_attachments(message: MailMessage, files: list[File]) -> None:
    MailAttachment.objects.filter(message=message).delete()
    MailAttachment.objects.bulk_create(
        MailAttachment(message=message, file=file, position=position)
        for position, file in enumerate(files)
    )


def current_addresses(message: MailMessage) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {kind: [] for kind in RECIPIENT_FIELDS}
    for kind, email in (
        MailRecipient.objects.filter(message=message)
        .order_by("position", "id")
        .values_list("kind", "user__email")
    ):
        lists[kind].append(email)
    return lists


# --- drafts -------------------------------------------------------------------------------------


@transaction.atomic
def mail_draft_create(
    *,
    actor,
    to: Iterable[str] = (),
    cc: Iterable[str] = (),
    bcc: Iterable[str] = (),
    subject: str = "",
    body: str = "",
    attachments: Sequence[Any] = (),
    in_reply_to: MailboxEntry | None = None,
    send: bool = False,
) -> MailboxEntry:
    """Write a draft from ``actor`` and return their copy (in drafts); with ``send``, send it
    in the same transaction.

    A reply (``in_reply_to``: a copy of a sent message ``actor`` holds) joins that message's
    thread and, without a subject, takes "Re: " and the original's; any other message starts
    a new thread.
    """
    if not getattr(actor, "is_authenticated", False):
        raise NotFoundError()
    subject = clean_text("subject", subject, SUBJECT_MAX_LENGTH)
    body = clean_text("body", body, BODY_MAX_LENGTH)
    recipients = resolve_recipients(to=to, cc=cc, bcc=bcc)
    files = attachable_files(actor, list(attachments))
    parent = None
    if in_reply_to is not None:
        own(actor, in_reply_to)
        parent = in_reply_to.message
        if parent.status != MailStatus.SENT:
            raise ValidationError(details={"in_reply_to": [str(_("Reply to a sent message."))]})
        if not subject.strip():
            subject = reply_subject(parent.subject)
    message = MailMessage.objects.create(
        sender=actor,
        thread=parent.thread if parent else MailThread.objects.create(),
        in_reply_to=parent,
        subject=subject,
        body=body,
    )
    write_recipients(message, recipients)
    write_attachments(message, files)
    entry = MailboxEntry.objects.create(
        user=actor, message=message, folder=MailFolder.DRAFTS, is_read=True
    )
    if send:
        return mail_send(actor=actor, entry=entry)
    return entry


@transaction.atomic
def mail_draft_update(
    *, actor, entry: MailboxEntry, send: bool = False, **fields: Any
) -> MailboxEntry:
    """Change a draft: any of to, cc, bcc (each replaces that list), subject, body and
    attachments (replaces the list); with ``send``, send it in the same transaction."""
    unknown = sorted(set(fields) - CONTENT_FIELDS)
    if unknown:
        raise ValidationError(
            details={name: [str(_("This field cannot be changed."))] for name in unknown}
        )
    entry, message = editable_draft(actor, entry)
    if any(name in fields for name in RECIPIENT_FIELDS):
        lists = current_addresses(message)
        lists.update({name: fields[name] for name in RECIPIENT_FIELDS if name in fields})
        write_recipients(message, resolve_recipients(**lists))
    if "subject" in fields:
        message.subject = clean_text("subject", fields["subject"], SUBJECT_MAX_LENGTH)
    if "body" in fields:
        message.body = clean_text("body", fields["body"], BODY_MAX_LENGTH)
    if "attachments" in fields:
        write_attachments(message, attachable_files(actor, list(fields["attachments"])))
    message.save(update_fields=["subject", "body", "updated_at"])
    if send:
        return mail_send(actor=actor, entry=entry)
    return entry


# --- sending ------------------------------------------------------------------------------------


@transaction.atomic
def mail_send(*, actor, entry: MailboxEntry) -> MailboxEntry:
    """Send the draft of ``entry`` to every recipient, all or none; return the sender's copy.

    Recipients must still be active users and the attachments still visible to the sender
    (422 otherwise); a message sent already is a 409 ``already_sent``. Each recipient gets
    an inbox copy, a ``mail_received`` event (without bcc) and, if their preference asks for
    it, a notification e-mail after the commit.
    """
    entry, message = editable_draft(actor, entry)
    rows = list(MailRecipient.objects.filter(message=message).select_related("user"))
    if not rows:
        raise ValidationError(
            _("Add at least one recipient."),
            details={"to": [str(_("Add at least one recipient."))]},
        )
    gone = [row for row in rows if not row.user.is_active]
    if gone:
        details: dict[str, list[str]] = {}
        for row in gone:
            details.setdefault(row.kind, []).append(
                str(_("No user has the address %(address)s.") % {"address": row.user.email})
            )
        raise ValidationError(
            _("Unknown recipients: %(addresses)s.")
            % {"addresses": ", ".join(row.user.email for row in gone)},
            details=details,
        )
    attached = message.attachments.order_by("position", "id").values_list("file_id", flat=True)
    attachable_files(actor, list(attached))  # still visible to the sender, or a 422

    message.status = MailStatus.SENT
    message.sent_at = timezone.now()
    message.save(update_fields=["status", "sent_at", "updated_at"])
    entry.folder = MailFolder.SENT
    entry.save(update_fields=["folder"])
    copies = MailboxEntry.objects.bulk_create(
        MailboxEntry(user=row.user, message=message, recipient=row, folder=MailFolder.INBOX)
        for row in rows
    )
    search_index.entry_update(message)  # once every copy exists: its holders may find it
    for row, copy in zip(rows, copies, strict=True):
        publish(
            EventType.MAIL_RECEIVED,
            {
                "message": str(copy.pk),
                "thread": str(message.thread_id),
                "sender": actor.email,
                "subject": message.subject,
            },
            user_ids=[row.user_id],
            actor=actor,
        )
        if notifications.wants_notification(row.user):
            copy_id = str(copy.pk)
            transaction.on_commit(lambda copy_id=copy_id: tasks.notify_recipient.delay(copy_id))
    return entry


# --- the reader's copy --------------------------------------------------------------------------


@transaction.atomic
def mail_mark_read(*, actor, entry: MailboxEntry, is_read: bool) -> MailboxEntry:
    """Mark ``actor``'s copy read or unread (nobody else's copy changes)."""
    own(actor, entry)
    MailboxEntry.objects.filter(pk=entry.pk).update(is_read=bool(is_read))
    entry.is_read = bool(is_read)
    return entry


@transaction.atomic
def mail_update(
    *, actor, entry: MailboxEntry, is_read: bool | None = None, **content: Any
) -> MailboxEntry:
    """Apply a PATCH: content changes (drafts only) and/or the read flag, together or not."""
    if content:
        entry = mail_draft_update(actor=actor, entry=entry, **content)
    if is_read is not None:
        entry = mail_mark_read(actor=actor, entry=entry, is_read=is_read)
    return entry


@transaction.atomic
def mail_trash(*, actor, entry: MailboxEntry) -> MailboxEntry:
    """Move ``actor``'s copy to the trash, remembering its folder for a restore."""
    own(actor, entry)
    entry = MailboxEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.folder == MailFolder.TRASH:
        raise ConflictError(_("This message is already in the trash."))
    entry.previous_folder, entry.folder = entry.folder, MailFolder.TRASH
    entry.save(update_fields=["folder", "previous_folder"])
    return entry


@transaction.atomic
def mail_restore(*, actor, entry: MailboxEntry) -> MailboxEntry:
    """Take ``actor``'s copy out of the trash, back to the folder it came from."""
    own(actor, entry)
    entry = MailboxEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.folder != MailFolder.TRASH:
        raise ConflictError(_("This message is not in the trash."))
    entry.folder, entry.previous_folder = entry.previous_folder, ""
    entry.save(update_fields=["folder", "previous_folder"])
    return entry
