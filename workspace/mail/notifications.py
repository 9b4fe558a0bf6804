"""The notification e-mail a recipient may ask for (the "mail received" choice of their
notification settings, or the older ``preferences["mail_notifications"]`` switch): sent to their
real address, in their language, after the message is delivered.

It shows what the recipient's copy shows and nothing more: the sender, the to and cc
addresses (never bcc, read through ``recipients_visible_to``), the subject, the start of the
body and a link to the message.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.notification_kinds import NotificationDelivery, NotificationKind
from accounts.selectors import notification_preference
from workspace.mail.models import MailAttachment, MailboxEntry, RecipientKind
from workspace.mail.selectors import recipients_visible_to

EXCERPT_LENGTH = 1000
TEMPLATE = "workspace/mail/email/notification"


def wants_notification(user) -> bool:
    """Return whether ``user`` asked for an e-mail as soon as mail arrives (off unless set).

    A daily digest is not sent yet; until it is, that choice sends nothing.
    """
    delivery = notification_preference(user, NotificationKind.MAIL_RECEIVED)
    return delivery == NotificationDelivery.IMMEDIATELY


def excerpt(body: str) -> str:
    body = body.strip()
    return body if len(body) <= EXCERPT_LENGTH else body[:EXCERPT_LENGTH].rstrip() + " …"


def notification_context(entry: MailboxEntry) -> dict:
    message = entry.message
    rows = (
        recipients_visible_to(entry.user)
        .filter(message=message)
        .select_related("user")
        .order_by("position", "id")
    )
    addresses: dict[str, list[str]] = {kind: [] for kind in RecipientKind.values}
    for row in rows:
        addresses[row.kind].append(row.user.email)
    return {
        "user": entry.user,
        "sender": message.sender,
        "to": addresses[RecipientKind.TO],
        "cc": addresses[RecipientKind.CC],
        "subject": message.subject,
        "excerpt": excerpt(message.body),
        "attachments": list(
            MailAttachment.objects.filter(message=message)
            .order_by("position", "id")
            .values_list("file__name", flat=True)
        ),
        "url": settings.SITE_URL + reverse("mail:message", args=[entry.pk]),
    }


def notify_recipient(entry_id: str) -> bool:
    """E-mail the holder of the delivered copy ``entry_id`` once; return whether it was sent.

    Idempotent: a copy already notified, or whose holder no longer wants it, is skipped.
    """
    with transaction.atomic():
        entry = (
            MailboxEntry.objects.select_for_update(of=("self",))
            .filter(pk=entry_id, recipient__isnull=False, notified_at__isnull=True)
            .select_related("user", "message", "message__sender")
            .first()
        )
        if entry is None or not entry.user.is_active or not wants_notification(entry.user):
            return False
        with translation.override(entry.user.language or settings.LANGUAGE_CODE):
            context = notification_context(entry)
            subject = render_to_string(f"{TEMPLATE}_subject.txt", context).strip()
            body = render_to_string(f"{TEMPLATE}.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [entry.user.email])
        entry.notified_at = timezone.now()
        entry.save(update_fields=["notified_at"])
    return True
