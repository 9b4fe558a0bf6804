"""Sending under concurrency (PostgreSQL, real threads): a draft is delivered once, and an
edit racing the send never mixes into what was delivered."""

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from nexus_site.exceptions import ConflictError
from workspace.mail import services
from workspace.mail.models import MailboxEntry, MailMessage
from workspace.tests.files.test_concurrency import run_together
from workspace.tests.mail.factories import write

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises writers: no race to test"
    ),
]


@pytest.mark.parametrize("attempt", range(3))
def test_two_sends_of_one_draft_deliver_it_once(attempt):
    sender, reader = UserFactory(), UserFactory()
    draft = write(sender, to=[reader], send=False)

    errors = run_together(
        lambda: services.mail_send(actor=sender, entry=draft),
        lambda: services.mail_send(actor=sender, entry=draft),
    )

    assert len(errors) == 1
    assert isinstance(errors[0], ConflictError)
    assert MailboxEntry.objects.filter(user=reader).count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_an_edit_racing_the_send_is_either_sent_or_refused(attempt):
    sender, first, second = UserFactory(), UserFactory(), UserFactory()
    draft = write(sender, to=[first], subject="Before", send=False)

    errors = run_together(
        lambda: services.mail_send(actor=sender, entry=draft),
        lambda: services.mail_draft_update(
            actor=sender, entry=draft, to=[second.email], subject="After"
        ),
    )

    message = MailMessage.objects.get()
    delivered = set(
        MailboxEntry.objects.filter(recipient__isnull=False).values_list("user", flat=True)
    )
    if errors:  # the send won: the edit came too late
        assert isinstance(errors[0], ConflictError)
        assert (message.subject, delivered) == ("Before", {first.pk})
    else:  # the edit won and was sent as edited
        assert (message.subject, delivered) == ("After", {second.pk})
