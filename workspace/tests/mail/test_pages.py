"""The mail pages: mailbox with folders and unread counts, message with reply, compose and
draft forms, thread. Another user's message answers 404 on every page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from workspace.mail.models import MailboxEntry, MailMessage, MailStatus
from workspace.tests.files.factories import upload_file
from workspace.tests.mail.factories import copy_of, write

pytestmark = pytest.mark.django_db
SECRET = "hidden@example.com"


@pytest.fixture
def hidden(db):
    return UserFactory(email=SECRET)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def main(response) -> str:
    """Return the page's main content (the header names the signed-in user's own address)."""
    page = html(response)
    return page[page.index("<main") : page.index("</main>")]


def entry_pages(entry):
    return [
        reverse("mail:message", args=[entry.pk]),
        reverse("mail:edit", args=[entry.pk]),
        reverse("mail:thread", args=[entry.message.thread_id]),
    ]


def entry_actions(entry):
    return [reverse(f"mail:{name}", args=[entry.pk]) for name in ("send", "trash", "restore")] + [
        reverse("mail:unread", args=[entry.pk]),
        reverse("mail:edit", args=[entry.pk]),
    ]


def test_pages_need_login(client, alice, bob):
    sent = write(alice, to=[bob])

    for url in [reverse("mail:inbox"), reverse("mail:compose"), *entry_pages(sent)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_the_inbox_lists_received_mail_with_folder_links_and_unread_counts(alice, bob):
    write(alice, to=[bob], subject="First news")
    write(alice, to=[bob], subject="Second news")
    write(bob, to=[alice], subject="Mine", send=False)

    page = html(signed_in(bob).get(reverse("mail:inbox")))

    assert "First news" in page
    assert "Second news" in page
    assert "Mine" not in page  # a draft, not in the inbox
    for folder in ("inbox", "sent", "drafts", "trash"):
        assert f'href="/mail/?folder={folder}"' in page
    assert '<span class="badge" title="Unread">2' in page


def test_the_folders_and_search_filter_the_mailbox(alice, bob):
    write(alice, to=[bob], subject="Budget")
    write(alice, to=[bob], subject="Lunch")
    write(bob, to=[alice], subject="Reply sent")

    client = signed_in(bob)
    sent_page = html(client.get(reverse("mail:inbox"), {"folder": "sent"}))
    search_page = html(client.get(reverse("mail:inbox"), {"search": "lunch"}))

    assert "Reply sent" in sent_page
    assert "Budget" not in sent_page
    assert "Lunch" in search_page
    assert "Budget" not in search_page


def test_the_mailbox_page_runs_a_constant_number_of_queries(alice, bob, django_assert_num_queries):
    client = signed_in(bob)
    file = upload_file(alice, b"x", "x.txt")
    write(alice, to=[bob], attachments=[file])
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("mail:inbox")).status_code == 200
    for index in range(6):
        write(alice, to=[bob], attachments=[file], subject=f"S{index}")

    with django_assert_num_queries(len(few)):
        assert client.get(reverse("mail:inbox")).status_code == 200


def test_opening_a_message_shows_it_marks_it_read_and_offers_a_reply(alice, bob):
    received = copy_of(bob, write(alice, to=[bob], subject="Plan", body="Read me"))

    page = html(signed_in(bob).get(reverse("mail:message", args=[received.pk])))

    assert "Plan" in page
    assert "Read me" in page
    assert 'id="reply-form"' in page
    assert 'value="Re: Plan"' in page
    assert 'value="alice@example.com"' in page
    assert "csrfmiddlewaretoken" in page
    received.refresh_from_db()
    assert received.is_read


def test_the_reply_form_sends_a_reply_in_the_thread(alice, bob):
    original = write(alice, to=[bob], subject="Plan")
    received = copy_of(bob, original)

    response = signed_in(bob).post(
        reverse("mail:compose"),
        {
            "to": "alice@example.com",
            "subject": "Re: Plan",
            "body": "Agreed.",
            "in_reply_to": str(received.pk),
            "send": "1",
        },
    )

    reply = MailMessage.objects.get(sender=bob)
    assert response.status_code == 302
    assert reply.status == MailStatus.SENT
    assert reply.thread_id == original.message.thread_id
    assert reply.in_reply_to_id == original.message_id
    assert MailboxEntry.objects.filter(user=alice, message=reply, folder="inbox").exists()


def test_compose_sends_to_comma_separated_addresses_with_an_attachment(alice, bob, hidden):
    file = upload_file(alice, b"plan", "plan.txt")
    client = signed_in(alice)
    form_page = html(client.get(reverse("mail:compose")))
    assert "plan.txt" in form_page

    response = client.post(
        reverse("mail:compose"),
        {
            "to": "bob@example.com",
            "bcc": f" {SECRET} ",
            "subject": "Plan",
            "body": "Attached.",
            "attachments": [str(file.pk)],
            "send": "1",
        },
    )

    sent = MailboxEntry.objects.get(user=alice)
    assert response.status_code == 302
    assert response.url == reverse("mail:message", args=[sent.pk])
    assert sent.folder == "sent"
    assert MailboxEntry.objects.filter(user=bob).exists()
    assert MailboxEntry.objects.filter(user=hidden).exists()
    assert SECRET in html(client.get(response.url))  # the sender sees the bcc


def test_compose_with_an_unknown_address_shows_the_error_and_keeps_nothing(alice):
    response = signed_in(alice).post(
        reverse("mail:compose"),
        {"to": "ghost@example.com", "subject": "Hi", "body": "...", "send": "1"},
    )

    assert response.status_code == 422
    assert "ghost@example.com" in html(response)
    assert 'value="Hi"' in html(response)
    assert not MailMessage.objects.exists()


def test_save_draft_then_edit_and_send_it(alice, bob):
    client = signed_in(alice)
    response = client.post(
        reverse("mail:compose"), {"to": "bob@example.com", "subject": "Draft", "save": "1"}
    )
    draft = MailboxEntry.objects.get(user=alice)
    assert response.url == reverse("mail:edit", args=[draft.pk])
    edit_page = html(client.get(response.url))
    assert 'value="Draft"' in edit_page
    assert 'value="bob@example.com"' in edit_page

    response = client.post(
        reverse("mail:edit", args=[draft.pk]),
        {"to": "bob@example.com", "subject": "Final", "body": "Done.", "send": "1"},
    )

    assert response.status_code == 302
    message = MailMessage.objects.get()
    assert (message.subject, message.status) == ("Final", MailStatus.SENT)
    assert MailboxEntry.objects.filter(user=bob).exists()


def test_editing_a_sent_message_goes_back_to_it(alice, bob):
    sent = write(alice, to=[bob], subject="Fixed")

    client = signed_in(alice)
    assert client.get(reverse("mail:edit", args=[sent.pk])).status_code == 302
    client.post(reverse("mail:edit", args=[sent.pk]), {"to": "bob@example.com", "subject": "X"})

    assert MailMessage.objects.get().subject == "Fixed"


def test_trash_restore_and_unread_buttons(alice, bob):
    received = copy_of(bob, write(alice, to=[bob]))
    client = signed_in(bob)

    client.post(reverse("mail:trash", args=[received.pk]))
    received.refresh_from_db()
    assert received.folder == "trash"
    client.post(reverse("mail:restore", args=[received.pk]))
    received.refresh_from_db()
    assert received.folder == "inbox"
    client.get(reverse("mail:message", args=[received.pk]))
    client.post(reverse("mail:unread", args=[received.pk]))
    received.refresh_from_db()
    assert not received.is_read


def test_the_thread_page_shows_the_users_messages_of_the_thread(alice, bob):
    original = write(alice, to=[bob], subject="Plan", body="First words")
    write(bob, to=[alice], in_reply_to=copy_of(bob, original), body="Second words")

    page = html(signed_in(bob).get(reverse("mail:thread", args=[original.message.thread_id])))

    assert "First words" in page
    assert "Second words" in page


def test_a_recipient_never_sees_the_bcc_on_any_page(alice, bob, hidden):
    file = upload_file(alice, b"plan", "plan.txt")
    sent = write(alice, to=[bob], bcc=[hidden], subject="Plan", attachments=[file])
    for user in (bob, hidden):
        client = signed_in(user)
        entry = copy_of(user, sent)
        for url in (
            reverse("mail:inbox"),
            reverse("mail:message", args=[entry.pk]),
            reverse("mail:thread", args=[sent.message.thread_id]),
            reverse("mail:compose") + f"?reply_to={entry.pk}",
            reverse("mail:inbox") + "?search=hidden",
        ):
            response = client.get(url)
            assert response.status_code == 200
            assert SECRET not in main(response), (user, url)
        download = client.get(reverse("mail:attachment", args=[entry.pk, file.pk]))
        assert download.status_code == 200


def test_another_users_message_is_404_on_every_page(alice, bob):
    sent = write(alice, to=[bob], subject="Private")
    draft = write(alice, to=[bob], send=False)
    file = upload_file(alice, b"x", "x.txt")
    with_file = write(alice, to=[bob], attachments=[file])
    stranger = signed_in(UserFactory())

    for entry in (sent, copy_of(bob, sent), draft):
        for url in entry_pages(entry):
            assert stranger.get(url).status_code == 404, url
        for url in entry_actions(entry):
            assert stranger.post(url, {"to": "x@example.com"}).status_code == 404, url
    assert stranger.get(reverse("mail:compose") + f"?reply_to={sent.pk}").status_code == 404
    assert stranger.get(reverse("mail:attachment", args=[with_file.pk, file.pk])).status_code == 404
    found = stranger.get(reverse("mail:inbox") + "?search=Private")
    assert 'id="mail-table"' not in html(found)
    assert MailMessage.objects.get(pk=draft.message_id).status == MailStatus.DRAFT


def test_forms_are_csrf_protected(alice, bob):
    received = copy_of(bob, write(alice, to=[bob]))
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)

    assert client.post(reverse("mail:compose"), {"to": "alice@example.com"}).status_code == 403
    assert client.post(reverse("mail:trash", args=[received.pk])).status_code == 403
    received.refresh_from_db()
    assert received.folder == "inbox"
