"""Bcc is the sender's alone: it never reaches a recipient's copy, a thread, a search, an
event or a notification e-mail, whoever the recipient (to, cc or a bcc recipient)."""

import json

import pytest

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.events.models import Event
from workspace.tests.files.factories import upload_file
from workspace.tests.mail.factories import copy_of, write

pytestmark = pytest.mark.django_db
LIST = "/api/v1/mail/messages/"
SECRET = "hidden@example.com"


@pytest.fixture
def people(db):
    return {
        "sender": UserFactory(email="sender@example.com"),
        "to": UserFactory(email="to@example.com"),
        "cc": UserFactory(email="cc@example.com"),
        "bcc": UserFactory(email=SECRET),
        "bystander": UserFactory(email="bystander@example.com"),
    }


@pytest.fixture
def sent(people):
    file = upload_file(people["sender"], b"plan", "plan.txt")
    return write(
        people["sender"],
        to=[people["to"]],
        cc=[people["cc"]],
        bcc=[people["bcc"]],
        subject="Quarterly plan",
        body="See the attachment.",
        attachments=[file],
    )


def leaks(body, bcc_user) -> bool:
    """Return whether a JSON body names the bcc recipient (address or id)."""
    text = json.dumps(body)
    return SECRET in text or str(bcc_user.pk) in text


def recipient_copies(people, sent):
    return {name: copy_of(people[name], sent) for name in ("to", "cc", "bcc")}


def test_the_sender_sees_the_bcc(people, sent):
    body = bearer_client(people["sender"]).get(f"{LIST}{sent.pk}/").json()

    assert body["bcc"] == [SECRET]
    assert body["to"] == ["to@example.com"]
    assert body["cc"] == ["cc@example.com"]


def test_no_recipients_copy_shows_the_bcc_in_detail_or_list(people, sent):
    for name, entry in recipient_copies(people, sent).items():
        client = bearer_client(people[name])
        detail = client.get(f"{LIST}{entry.pk}/").json()
        listing = client.get(LIST).json()

        assert detail["bcc"] == []
        assert detail["to"] == ["to@example.com"]
        assert detail["cc"] == ["cc@example.com"]
        assert not leaks(detail, people["bcc"])
        assert not leaks(listing, people["bcc"])


def test_no_recipients_thread_view_shows_the_bcc(people, sent):
    reply = write(people["to"], to=[people["sender"]], in_reply_to=copy_of(people["to"], sent))
    url = f"/api/v1/mail/threads/{sent.message.thread_id}/"

    for name in ("to", "cc", "bcc"):
        body = bearer_client(people[name]).get(url).json()
        assert body["messages"]
        assert not leaks(body, people["bcc"])
    senders_view = bearer_client(people["sender"]).get(url).json()
    assert senders_view["messages"][0]["bcc"] == [SECRET]
    assert str(copy_of(people["sender"], reply).pk) in json.dumps(senders_view)


def test_searching_the_bcc_address_finds_nothing_for_recipients(people, sent):
    for name in ("to", "cc", "bcc"):
        response = bearer_client(people[name]).get(LIST, {"search": SECRET})
        assert response.json()["count"] == 0
        response = bearer_client(people[name]).get(LIST, {"search": "hidden"})
        assert response.json()["count"] == 0
    senders = bearer_client(people["sender"]).get(LIST, {"folder": "sent", "search": "hidden"})
    assert [row["id"] for row in senders.json()["results"]] == [str(sent.pk)]


def test_each_recipient_gets_one_mail_received_event_without_the_bcc(people, sent):
    events = Event.objects.filter(type="mail_received").order_by("id")

    assert sorted(event.audience_users[0] for event in events) == sorted(
        str(people[name].pk) for name in ("to", "cc", "bcc")
    )
    for event in events:
        assert len(event.audience_users) == 1
        assert not leaks(event.payload, people["bcc"])
        holder = event.audience_users[0]
        assert event.payload["message"] == str(
            sent.message.copies.get(user_id=holder, recipient__isnull=False).pk
        )


def test_no_event_another_user_may_read_names_the_bcc_recipient(people, sent):
    """Attachments included: a bcc recipient gets no graph edge on the files, whose creation
    every user could read in the event log and the relations API."""
    for name in ("to", "cc", "bystander"):
        client = bearer_client(people[name])
        events = client.get("/api/v1/events/").json()["results"]
        # Recipients hear of their mail; a bystander hears of nobody's grants or mail at all.
        assert bool(events) == (name != "bystander")
        assert not leaks(events, people["bcc"])
        file_id = sent.message.attachments.get().file_id
        relations = client.get("/api/v1/relations/", {"target": f"workspace.file:{file_id}"})
        assert not leaks(relations.json(), people["bcc"])


def test_events_are_published_only_once_the_send_commits(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        write(people["sender"], to=[people["to"]], bcc=[people["bcc"]])

    assert Event.objects.filter(type="mail_received").count() == 2
    assert callbacks  # the broadcast waits for the commit


def test_notification_emails_never_reveal_the_bcc(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    for name in ("to", "cc", "bcc"):
        people[name].preferences = {"mail_notifications": True}
        people[name].save()
    file = upload_file(people["sender"], b"plan", "plan.txt")

    with django_capture_on_commit_callbacks(execute=True):
        write(
            people["sender"],
            to=[people["to"]],
            cc=[people["cc"]],
            bcc=[people["bcc"]],
            subject="Quarterly plan",
            attachments=[file],
        )

    assert sorted(email.to[0] for email in mailoutbox) == sorted(
        ["to@example.com", "cc@example.com", SECRET]
    )
    for email in mailoutbox:
        assert len(email.to) == 1
        assert email.cc == []
        assert email.bcc == []
        assert SECRET not in email.subject + email.body + json.dumps(email.extra_headers)
        assert "to@example.com" in email.body
        assert "cc@example.com" in email.body
        assert "plan.txt" in email.body
