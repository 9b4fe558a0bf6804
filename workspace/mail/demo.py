"""Demo mail between the demo users: a few threads with replies, one with a bcc, one with an
attachment, and a draft. A thread whose first message already exists (by sender and subject)
is left as it is, so seeding again changes nothing. Written through the services, so copies,
file grants and events are what real use would make."""

from django.core.management.base import OutputWrapper
from django.db import transaction

from accounts.models import User
from workspace.files.models import File
from workspace.mail import services
from workspace.mail.models import MailboxEntry, MailMessage

ADMIN, MANAGER, USER, GUEST = (
    "admin@nexus.local",
    "manager@nexus.local",
    "user@nexus.local",
    "guest@nexus.local",
)

# Each thread: its subject and its messages in order; every message after the first replies
# to the one before it. A message: sender, recipients, body, attachments (names of files the
# sender owns).
DEMO_THREADS = (
    (
        "Launch checklist",
        (
            (
                MANAGER,
                {"to": [USER], "cc": [ADMIN]},
                "Hi Uma,\n\nCould you go through the launch checklist by Thursday?\n\nMax",
                (),
            ),
            (
                USER,
                {"to": [MANAGER], "cc": [ADMIN]},
                "Sure. Two items are still open: the press kit and the status page.",
                (),
            ),
            (MANAGER, {"to": [USER]}, "Thanks! I will take the status page.", ()),
        ),
    ),
    (
        "Budget numbers",
        (
            (
                MANAGER,
                {"to": [USER], "bcc": [ADMIN]},
                "Uma,\n\nThe launch budget is attached. Ads take the larger part.\n\nMax",
                ("launch-budget.csv",),
            ),
            (
                ADMIN,
                {"to": [MANAGER]},
                "Seen (I was in bcc). The event line looks low to me.",
                (),
            ),
        ),
    ),
    (
        "Welcome to Nexus",
        (
            (
                USER,
                {"to": [GUEST]},
                "Welcome! Our brand guide is attached; ask me anything.",
                ("brand-guide copy.txt",),
            ),
            (GUEST, {"to": [USER]}, "Thank you, that helps a lot.", ()),
        ),
    ),
)
DEMO_DRAFT = (USER, {"to": [MANAGER]}, "Notes for Friday", "Agenda:\n- launch\n- budget\n")


def seed(stdout: OutputWrapper) -> None:
    """Create demo data (idempotent)."""
    users = {user.email: user for user in User.objects.filter(email__endswith="@nexus.local")}
    created = 0
    with transaction.atomic():
        for subject, thread_messages in DEMO_THREADS:
            people = {message[0] for message in thread_messages} | {
                address
                for message in thread_messages
                for addresses in message[1].values()
                for address in addresses
            }
            if not people <= set(users):
                continue
            first_sender = users[thread_messages[0][0]]
            if MailMessage.objects.filter(
                sender=first_sender, subject=subject, in_reply_to__isnull=True
            ).exists():
                continue
            previous = None
            for sender_email, recipients, body, file_names in thread_messages:
                sender = users[sender_email]
                reply_to = (
                    MailboxEntry.objects.filter(user=sender, message=previous).first()
                    if previous
                    else None
                )
                files = File.objects.filter(owner=sender, name__in=file_names)
                entry = services.mail_draft_create(
                    actor=sender,
                    subject=subject if reply_to is None else "",
                    body=body,
                    attachments=[file.pk for file in files],
                    in_reply_to=reply_to,
                    send=True,
                    **recipients,
                )
                previous = entry.message
                created += 1
        sender_email, recipients, subject, body = DEMO_DRAFT
        sender = users.get(sender_email)
        if (
            sender is not None
            and set(recipients["to"]) <= set(users)
            and not MailMessage.objects.filter(sender=sender, subject=subject).exists()
        ):
            services.mail_draft_create(actor=sender, subject=subject, body=body, **recipients)
            created += 1
    stdout.write(f"Demo mail: {created} new message(s)")
