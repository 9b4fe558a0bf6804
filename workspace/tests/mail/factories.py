"""Mail made the way users make it: through the services."""

from workspace.mail import services
from workspace.mail.models import MailboxEntry


def emails(users) -> list[str]:
    return [user.email for user in users]


def write(
    sender,
    *,
    to=(),
    cc=(),
    bcc=(),
    subject="Hello",
    body="Hi there.",
    attachments=(),
    in_reply_to=None,
    send=True,
) -> MailboxEntry:
    """Return the sender's copy of a message from ``sender`` (sent unless ``send`` is False)."""
    return services.mail_draft_create(
        actor=sender,
        to=emails(to),
        cc=emails(cc),
        bcc=emails(bcc),
        subject=subject,
        body=body,
        attachments=[file.pk for file in attachments],
        in_reply_to=in_reply_to,
        send=send,
    )


def copy_of(user, entry: MailboxEntry) -> MailboxEntry:
    """Return ``user``'s received copy of the message of ``entry``."""
    return MailboxEntry.objects.get(user=user, message_id=entry.message_id, recipient__isnull=False)
