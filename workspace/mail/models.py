"""Internal mail: threads, messages with their recipients and attachments, and mailboxes.

A ``MailMessage`` is written once by its sender: a draft while it is edited, then sent and
never changed again. ``MailRecipient`` rows say who it goes to (to, cc, bcc) and
``MailAttachment`` rows which files go with it. Every user who has the message holds their
own ``MailboxEntry`` (their copy): the sender's copy (``recipient`` empty) sits in drafts or
sent, each recipient's copy (``recipient`` set) in the inbox; either may be moved to the trash
and back. Folder and read state belong to the copy, so one user's reading or deleting never
touches anyone else's mailbox. A copy's id is the message id the API and the pages use.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nexus_site.ids import uuid7

__all__ = [
    "MailAttachment",
    "MailFolder",
    "MailMessage",
    "MailRecipient",
    "MailStatus",
    "MailThread",
    "MailboxEntry",
    "RecipientKind",
]

SUBJECT_MAX_LENGTH = 255
BODY_MAX_LENGTH = 100_000
MAX_RECIPIENTS = 100
MAX_ATTACHMENTS = 20


class MailStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", pgettext_lazy("mail status", "Sent")


class MailFolder(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    SENT = "sent", _("Sent")
    DRAFTS = "drafts", _("Drafts")
    TRASH = "trash", _("Trash")


class RecipientKind(models.TextChoices):
    TO = "to", pgettext_lazy("mail recipients", "To")
    CC = "cc", _("Cc")
    BCC = "bcc", _("Bcc")


SENDER_FOLDERS = (MailFolder.DRAFTS, MailFolder.SENT)


class MailThread(models.Model):
    """A conversation: a first message and every reply to a message in it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("mail thread")
        verbose_name_plural = _("mail threads")
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return str(self.id)


class MailMessage(models.Model):
    """One message as its sender wrote it: a draft, or sent and unchangeable."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender"),
        on_delete=models.PROTECT,
        related_name="mail_written",
    )
    thread = models.ForeignKey(
        MailThread, verbose_name=_("thread"), on_delete=models.PROTECT, related_name="messages"
    )
    in_reply_to = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
    )
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX_LENGTH, blank=True)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=MailStatus.choices, default=MailStatus.DRAFT
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("mail message")
        verbose_name_plural = _("mail messages")
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MailStatus.values), name="mail_message_status_valid"
            ),
            # A sent message has its time; a draft has none.
            models.CheckConstraint(
                condition=Q(status=MailStatus.SENT, sent_at__isnull=False)
                | Q(status=MailStatus.DRAFT, sent_at__isnull=True),
                name="mail_message_sent_at_iff_sent",
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="mail_message_thread_idx"),
            models.Index(fields=["sender", "-created_at"], name="mail_message_sender_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or str(_("(no subject)"))

    @property
    def is_draft(self) -> bool:
        return self.status == MailStatus.DRAFT


class MailRecipient(models.Model):
    """Who a message goes to, and how (to, cc or bcc); ``position`` keeps the typed order."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    message = models.ForeignKey(
        MailMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="recipients",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=3, choices=RecipientKind.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("mail recipient")
        verbose_name_plural = _("mail recipients")
        ordering = ["message", "position", "id"]
        constraints = [
            # One address appears once per message, in exactly one of to, cc and bcc.
            models.UniqueConstraint(fields=["message", "user"], name="mail_recipient_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=RecipientKind.values), name="mail_recipient_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.user_id}"


class MailAttachment(models.Model):
    """A file sent with a message; recipients get view access to it when it is sent."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    message = models.ForeignKey(
        MailMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.ForeignKey(
        "workspace.File",
        verbose_name=_("file"),
        on_delete=models.CASCADE,
        related_name="mail_attachments",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("mail attachment")
        verbose_name_plural = _("mail attachments")
        ordering = ["message", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "file"], name="mail_attachment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} + {self.file_id}"


class MailboxEntry(models.Model):
    """One user's copy of a message: where it is filed for them and whether they read it.

    The sender's copy has no ``recipient``; a recipient's copy points at the recipient row
    it was delivered for (so a user who mails themselves holds two copies).
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="mailbox",
    )
    message = models.ForeignKey(
        MailMessage, verbose_name=_("message"), on_delete=models.CASCADE, related_name="copies"
    )
    recipient = models.OneToOneField(
        MailRecipient,
        verbose_name=_("delivered as"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="delivered_copy",
    )
    folder = models.CharField(_("folder"), max_length=8, choices=MailFolder.choices)
    # Where a trashed copy goes back to on restore; empty outside the trash.
    previous_folder = models.CharField(
        _("folder before the trash"), max_length=8, choices=MailFolder.choices, blank=True
    )
    is_read = models.BooleanField(_("read"), default=False)
    notified_at = models.DateTimeField(
        _("notification e-mail sent at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("mailbox entry")
        verbose_name_plural = _("mailbox entries")
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message"],
                condition=Q(recipient__isnull=True),
                name="mail_entry_one_sender_copy",
            ),
            # The sender's copy lives in drafts or sent, a recipient's in the inbox; both may
            # be in the trash.
            models.CheckConstraint(
                condition=Q(
                    recipient__isnull=True,
                    folder__in=[MailFolder.DRAFTS, MailFolder.SENT, MailFolder.TRASH],
                )
                | Q(recipient__isnull=False, folder__in=[MailFolder.INBOX, MailFolder.TRASH]),
                name="mail_entry_folder_fits_copy",
            ),
            models.CheckConstraint(
                condition=(
                    Q(folder=MailFolder.TRASH)
                    & Q(
                        previous_folder__in=[
                            MailFolder.INBOX,
                            MailFolder.SENT,
                            MailFolder.DRAFTS,
                        ]
                    )
                )
                | (~Q(folder=MailFolder.TRASH) & Q(previous_folder="")),
                name="mail_entry_previous_folder_in_trash_only",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "folder", "is_read"], name="mail_entry_user_folder_idx"),
            models.Index(fields=["message", "user"], name="mail_entry_message_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.message_id} ({self.folder})"

    @property
    def is_sender_copy(self) -> bool:
        return self.recipient_id is None

    @property
    def status(self) -> str:
        """Return draft or sent for the sender's copy, received for a recipient's."""
        return self.message.status if self.is_sender_copy else "received"
