"""The mail services: sending is all or nothing, notification e-mails follow the preference
and go out once after the commit, and the models refuse states that make no sense."""

from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from nexus_site.events.models import Event
from nexus_site.exceptions import NotFoundError, ValidationError
from relations.access import can
from relations.nodes import node_of
from workspace.mail import services, tasks
from workspace.mail.models import MailboxEntry, MailFolder, MailMessage, MailStatus
from workspace.tests.files.factories import upload_file
from workspace.tests.mail.factories import copy_of, write

pytestmark = pytest.mark.django_db


def wants_mail(*users, language="en"):
    for user in users:
        user.preferences = {"mail_notifications": True}
        user.language = language
        user.save()


# --- all or nothing -----------------------------------------------------------------------------


def test_a_failure_while_sending_delivers_to_nobody(alice, bob, carol):
    file = upload_file(alice, b"x", "x.txt")
    draft = write(alice, to=[bob, carol], attachments=[file], send=False)
    calls = []

    def fail(*args, **kwargs):
        calls.append(MailboxEntry.objects.count())  # the copies are written, then the send fails
        raise OSError("the database went away")

    with (
        mock.patch("workspace.mail.services.publish", fail),
        pytest.raises(OSError),
    ):
        services.mail_send(actor=alice, entry=draft)

    assert calls == [3]
    assert MailMessage.objects.get().status == MailStatus.DRAFT
    assert list(MailboxEntry.objects.values_list("user_id", "folder")) == [
        (alice.pk, MailFolder.DRAFTS)
    ]
    assert not Event.objects.filter(type="mail_received").exists()
    assert not can(bob, "view", node_of(file))


def test_compose_and_send_roll_back_together(alice):
    with pytest.raises(ValidationError):
        services.mail_draft_create(actor=alice, subject="No one to send to", send=True)

    assert not MailMessage.objects.exists()


def test_services_refuse_a_copy_that_is_not_the_actors(alice, bob):
    draft = write(alice, to=[bob], send=False)

    for write_on in (services.mail_send, services.mail_trash, services.mail_restore):
        with pytest.raises(NotFoundError):
            write_on(actor=bob, entry=draft)
    with pytest.raises(NotFoundError):
        services.mail_mark_read(actor=bob, entry=draft, is_read=False)


def test_addresses_typed_in_one_string_are_split():
    assert services.normalized_addresses(" A@x.org, b@x.org;c@x.org  a@x.org ") == [
        "a@x.org",
        "b@x.org",
        "c@x.org",
    ]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [("Plan", "Re: Plan"), ("Re: Plan", "Re: Plan"), ("RE: Plan", "RE: Plan"), ("", "Re:")],
)
def test_a_reply_subject_is_not_prefixed_twice(subject, expected):
    assert services.reply_subject(subject) == expected


def test_mailing_oneself_gives_a_sent_and_a_received_copy(alice):
    sent = write(alice, to=[alice])

    assert sorted(MailboxEntry.objects.values_list("folder", flat=True)) == ["inbox", "sent"]
    assert copy_of(alice, sent).status == "received"
    assert sent.status == MailStatus.SENT


# --- notification e-mails -----------------------------------------------------------------------


def test_no_email_unless_the_recipient_asked_for_it(
    alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    bob.preferences = {"mail_notifications": "yes"}  # only a real true turns it on
    bob.save()

    with django_capture_on_commit_callbacks(execute=True):
        write(alice, to=[bob])

    assert mailoutbox == []


@pytest.mark.parametrize(
    ("choice", "mailed"), [("immediately", True), ("daily_digest", False), ("never", False)]
)
def test_the_settings_choice_for_mail_received_decides_the_email(
    alice, bob, mailoutbox, django_capture_on_commit_callbacks, choice, mailed
):
    bob.preferences = {"mail_notifications": True, "notifications": {"mail_received": choice}}
    bob.save()

    with django_capture_on_commit_callbacks(execute=True):
        write(alice, to=[bob])

    assert [message.to for message in mailoutbox] == ([[bob.email]] if mailed else [])


def test_the_email_goes_out_after_the_commit_to_the_real_address(
    alice, bob, carol, mailoutbox, django_capture_on_commit_callbacks
):
    wants_mail(bob)

    with django_capture_on_commit_callbacks() as callbacks:
        sent = write(alice, to=[bob, carol], subject="Budget", body="Numbers inside.")
        assert mailoutbox == []
    for callback in callbacks:
        callback()

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["bob@example.com"]
    assert "Budget" in email.subject
    assert "Numbers inside." in email.body
    assert f"/mail/{copy_of(bob, sent).pk}/" in email.body
    assert copy_of(bob, sent).notified_at is not None


def test_the_email_is_in_the_recipients_language(
    alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    wants_mail(bob, language="de")

    with django_capture_on_commit_callbacks(execute=True):
        write(alice, to=[bob])

    with translation.override("de"):
        expected = translation.gettext("From")
    assert expected == "Von"
    assert f"{expected}: " in mailoutbox[0].body


def test_the_notification_task_is_idempotent(
    alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    wants_mail(bob)
    with django_capture_on_commit_callbacks(execute=True):
        sent = write(alice, to=[bob])

    assert tasks.notify_recipient.delay(str(copy_of(bob, sent).pk)).get() is False
    assert tasks.notify_recipient.delay(str(sent.pk)).get() is False  # the sender's copy
    assert len(mailoutbox) == 1


def test_a_recipient_who_turned_notifications_off_meanwhile_gets_none(alice, bob, mailoutbox):
    wants_mail(bob)
    sent = write(alice, to=[bob])  # the on-commit task does not run inside the test transaction
    bob.preferences = {}
    bob.save()

    assert tasks.notify_recipient.delay(str(copy_of(bob, sent).pk)).get() is False
    assert mailoutbox == []


# --- invariants ---------------------------------------------------------------------------------


def test_a_sender_copy_cannot_sit_in_the_inbox(alice, bob):
    draft = write(alice, to=[bob], send=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        MailboxEntry.objects.filter(pk=draft.pk).update(folder=MailFolder.INBOX)


def test_a_sent_message_has_its_time_and_a_draft_none(alice, bob):
    draft = write(alice, to=[bob], send=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        MailMessage.objects.filter(pk=draft.message_id).update(status=MailStatus.SENT)


def test_only_the_trash_remembers_a_previous_folder(alice, bob):
    sent = write(alice, to=[bob])

    with pytest.raises(IntegrityError), transaction.atomic():
        MailboxEntry.objects.filter(pk=sent.pk).update(previous_folder=MailFolder.INBOX)
