"""The demo mail: threads between the demo users, one with a bcc and one with an attachment,
created once whatever the number of runs."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from workspace.mail.models import MailAttachment, MailboxEntry, MailMessage, MailRecipient

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_twice(settings) -> None:
    settings.DEBUG = True
    for _ in range(2):
        call_command("seed_demo", stdout=StringIO())


def test_seed_demo_writes_the_threads_once(seeded_twice):
    assert MailMessage.objects.count() == 3 + 2 + 2 + 1
    assert MailMessage.objects.filter(status="draft").count() == 1
    assert MailMessage.objects.values("thread").distinct().count() == 4


def test_the_demo_has_a_bcc_and_an_attachment_the_recipients_can_open(seeded_twice):
    admin = User.objects.get(email="admin@nexus.local")
    bcc = MailRecipient.objects.get(kind="bcc")
    assert bcc.user == admin
    assert MailboxEntry.objects.filter(user=admin, message=bcc.message, folder="inbox").exists()
    assert MailAttachment.objects.count() == 2
    for attachment in MailAttachment.objects.all():
        for row in attachment.message.recipients.all():
            assert MailboxEntry.objects.filter(user=row.user, message=attachment.message).exists()


def test_the_demo_mail_is_in_the_demo_users_inboxes(seeded_twice):
    user = User.objects.get(email="user@nexus.local")

    assert MailboxEntry.objects.filter(user=user, folder="inbox").count() == 4
    assert MailboxEntry.objects.filter(user=user, folder="drafts").count() == 1
