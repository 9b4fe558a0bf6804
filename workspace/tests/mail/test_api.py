"""/api/v1/mail/: drafts, sending, folders, search, read state, trash, threads, errors and
access (another user's message answers 404 on every endpoint)."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from relations.access import can
from relations.models import Relationship
from relations.nodes import node_of
from relations.services import relationship_record
from workspace.mail.models import MailboxEntry, MailMessage
from workspace.tests.files.factories import upload_file
from workspace.tests.mail.factories import copy_of, write

pytestmark = pytest.mark.django_db
LIST = "/api/v1/mail/messages/"


def detail(entry, suffix=""):
    entry_id = entry if isinstance(entry, str) else entry.pk
    return f"/api/v1/mail/messages/{entry_id}/{suffix}"


def thread_url(thread_id):
    return f"/api/v1/mail/threads/{thread_id}/"


def error(response):
    return response.json()["error"]


def client_of(user):
    return bearer_client(user)


def draft(client, **fields):
    response = client.post(LIST, {"subject": "Plan", "body": "Text", **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def ids(response) -> list[str]:
    return [row["id"] for row in response.json()["results"]]


# --- drafts ------------------------------------------------------------------------------------


def test_compose_writes_a_draft_in_the_senders_drafts(alice, bob, carol):
    client = client_of(alice)

    body = draft(client, to=["bob@example.com"], cc=["carol@example.com"], bcc=[])

    assert body["status"] == "draft"
    assert body["folder"] == "drafts"
    assert body["to"] == ["bob@example.com"]
    assert body["cc"] == ["carol@example.com"]
    assert body["sender"] == "alice@example.com"
    assert body["sent_at"] is None
    assert body["is_read"] is True
    assert not MailboxEntry.objects.filter(user=bob).exists()
    assert ids(client.get(LIST, {"folder": "drafts"})) == [body["id"]]


def test_addresses_are_matched_without_regard_to_case_and_kept_once(alice, bob):
    body = draft(client_of(alice), to=["Bob@Example.com", "bob@example.com"])

    assert body["to"] == ["bob@example.com"]


def test_patch_changes_a_draft(alice, bob, carol):
    client = client_of(alice)
    created = draft(client, to=["bob@example.com"], cc=["carol@example.com"])

    response = client.patch(
        detail(created["id"]),
        {"subject": "New plan", "to": ["carol@example.com"], "cc": []},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["subject"] == "New plan"
    assert response.json()["to"] == ["carol@example.com"]
    assert response.json()["cc"] == []
    assert response.json()["body"] == "Text"


def test_patch_of_one_list_keeps_the_others(alice, bob, carol):
    client = client_of(alice)
    created = draft(client, to=["bob@example.com"], bcc=["carol@example.com"])

    response = client.patch(detail(created["id"]), {"to": []}, format="json")

    assert response.json()["to"] == []
    assert response.json()["bcc"] == ["carol@example.com"]


def test_attachments_are_files_the_sender_may_see(alice, bob):
    file = upload_file(alice, b"report", "report.txt")
    client = client_of(alice)

    body = draft(client, to=["bob@example.com"], attachments=[str(file.pk)])

    assert body["attachments"] == [str(file.pk)]
    assert body["attachment_files"][0]["name"] == "report.txt"
    response = client.patch(detail(body["id"]), {"attachments": []}, format="json")
    assert response.json()["attachments"] == []


def test_attaching_a_file_the_sender_cannot_see_is_422_and_writes_nothing(alice, bob):
    hidden = upload_file(bob, b"secret", "secret.txt")

    response = client_of(alice).post(
        LIST, {"to": ["bob@example.com"], "attachments": [str(hidden.pk)]}, format="json"
    )

    assert response.status_code == 422
    assert error(response)["details"]["attachments"] == [str(hidden.pk)]
    assert not MailMessage.objects.exists()


def test_unknown_recipient_is_422_naming_the_address(alice, bob):
    response = client_of(alice).post(
        LIST, {"to": ["bob@example.com"], "cc": ["nobody@example.com"]}, format="json"
    )

    assert response.status_code == 422
    assert "nobody@example.com" in error(response)["message"]
    assert "nobody@example.com" in error(response)["details"]["cc"][0]
    assert not MailMessage.objects.exists()


def test_an_inactive_user_is_an_unknown_recipient(alice):
    UserFactory(email="gone@example.com", is_active=False)

    response = client_of(alice).post(LIST, {"to": ["gone@example.com"]}, format="json")

    assert response.status_code == 422
    assert "gone@example.com" in error(response)["details"]["to"][0]


def test_an_address_in_two_lists_is_422(alice, bob):
    response = client_of(alice).post(
        LIST, {"to": ["bob@example.com"], "bcc": ["bob@example.com"]}, format="json"
    )

    assert response.status_code == 422
    assert "bob@example.com" in error(response)["details"]["bcc"][0]


def test_a_malformed_address_is_422(alice):
    response = client_of(alice).post(LIST, {"to": ["not an address"]}, format="json")

    assert response.status_code == 422
    assert "to" in error(response)["details"]


def test_patch_with_an_unknown_recipient_changes_nothing(alice, bob):
    client = client_of(alice)
    created = draft(client, to=["bob@example.com"])

    response = client.patch(
        detail(created["id"]), {"subject": "X", "to": ["ghost@example.com"]}, format="json"
    )

    assert response.status_code == 422
    again = client.get(detail(created["id"])).json()
    assert again["to"] == ["bob@example.com"]
    assert again["subject"] == "Plan"


# --- sending -------------------------------------------------------------------------------------


def test_send_delivers_to_every_recipients_inbox(alice, bob, carol):
    client = client_of(alice)
    created = draft(client, to=["bob@example.com"], cc=["carol@example.com"])

    response = client.post(detail(created["id"], "send/"))

    assert response.status_code == 200
    assert response.json()["status"] == "sent"
    assert response.json()["folder"] == "sent"
    assert response.json()["sent_at"] is not None
    for reader in (bob, carol):
        inbox = client_of(reader).get(LIST, {"folder": "inbox"}).json()["results"]
        assert len(inbox) == 1
        assert inbox[0]["status"] == "received"
        assert inbox[0]["is_read"] is False
        assert inbox[0]["subject"] == "Plan"
        assert inbox[0]["thread"] == created["thread"]
    assert ids(client.get(LIST, {"folder": "sent"})) == [created["id"]]
    assert ids(client.get(LIST, {"folder": "drafts"})) == []


def test_sending_twice_is_409_and_delivers_once(alice, bob):
    client = client_of(alice)
    created = draft(client, to=["bob@example.com"])
    client.post(detail(created["id"], "send/"))

    response = client.post(detail(created["id"], "send/"))

    assert response.status_code == 409
    assert error(response)["code"] == "already_sent"
    assert MailboxEntry.objects.filter(user=bob).count() == 1


def test_sending_without_recipients_is_422_and_keeps_the_draft(alice):
    client = client_of(alice)
    created = draft(client)

    response = client.post(detail(created["id"], "send/"))

    assert response.status_code == 422
    assert "to" in error(response)["details"]
    assert client.get(detail(created["id"])).json()["status"] == "draft"


def test_a_recipient_deactivated_before_sending_is_422_and_nothing_is_sent(alice, bob, carol):
    client = client_of(alice)
    created = draft(client, to=["bob@example.com", "carol@example.com"])
    carol.is_active = False
    carol.save()

    response = client.post(detail(created["id"], "send/"))

    assert response.status_code == 422
    assert "carol@example.com" in error(response)["message"]
    assert not MailboxEntry.objects.filter(user=bob).exists()
    assert MailMessage.objects.get().status == "draft"


def test_editing_a_sent_message_is_409_and_changes_nothing(alice, bob):
    sent = write(alice, to=[bob], subject="Fixed")

    response = client_of(alice).patch(detail(sent), {"subject": "Changed"}, format="json")

    assert response.status_code == 409
    assert error(response)["code"] == "already_sent"
    assert MailMessage.objects.get().subject == "Fixed"


def test_a_recipient_cannot_edit_or_send_their_copy(alice, bob):
    received = copy_of(bob, write(alice, to=[bob], subject="Fixed"))
    client = client_of(bob)

    assert client.patch(detail(received), {"subject": "Mine"}, format="json").status_code == 403
    assert client.post(detail(received, "send/")).status_code == 403
    assert MailMessage.objects.get().subject == "Fixed"


def test_recipients_reach_attachments_through_their_copy_never_the_file(alice, bob, carol):
    """Sending re-shares nothing: a recipient downloads through the message they hold, and the
    file itself stays out of their reach (no grant, not in their files, its page 404)."""
    file = upload_file(alice, b"numbers", "numbers.csv")
    client = client_of(alice)
    created = draft(client, to=["bob@example.com"], cc=["carol@example.com"])
    client.patch(detail(created["id"]), {"attachments": [str(file.pk)]}, format="json")

    client.post(detail(created["id"], "send/"))

    for reader in (bob, carol):
        assert not can(reader, "view", node_of(file))
        received = client_of(reader).get(LIST).json()["results"][0]
        assert received["attachments"] == [str(file.pk)]
        download = client_of(reader).get(received["attachment_files"][0]["download"])
        assert download.status_code == 200
        assert client_of(reader).get(f"/api/v1/files/{file.pk}/download/").status_code == 404
        assert client_of(reader).get("/api/v1/files/").json()["count"] == 0


def test_a_guest_cannot_reshare_a_file_they_only_view_by_mailing_it(alice, bob, carol):
    """A viewer of a file may send it, but the recipient gains no lasting access to the file,
    and once the sender's own access ends, the recipient's copy is all that is left."""
    file = upload_file(alice, b"plans", "plans.txt")
    relationship_record(
        source=node_of(bob),
        target=node_of(file),
        type="member",
        metadata={"permission": "view"},
    )
    sent = write(bob, to=[carol], attachments=[file])

    assert not can(carol, "view", node_of(file))
    Relationship.objects.filter(source_id=bob.pk).delete()
    assert not can(carol, "view", node_of(file))
    body = client_of(carol).get(detail(copy_of(carol, sent))).json()
    assert body["attachments"] == [str(file.pk)]


def test_every_holder_of_a_copy_downloads_its_attachments(alice, bob, carol):
    file = upload_file(alice, b"numbers", "numbers.csv")
    sent = write(alice, to=[bob], bcc=[carol], attachments=[file])

    for reader, entry in ((alice, sent), (bob, copy_of(bob, sent)), (carol, copy_of(carol, sent))):
        body = client_of(reader).get(detail(entry)).json()
        download = client_of(reader).get(body["attachment_files"][0]["download"])
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == b"numbers"


def test_an_attachment_is_404_through_someone_elses_copy_or_another_message(alice, bob, carol):
    file = upload_file(alice, b"numbers", "numbers.csv")
    other = upload_file(carol, b"other", "other.txt")
    sent = write(alice, to=[bob], attachments=[file])

    assert client_of(carol).get(detail(sent, f"attachments/{file.pk}/download/")).status_code == 404
    assert (
        client_of(carol)
        .get(detail(copy_of(bob, sent), f"attachments/{file.pk}/download/"))
        .status_code
        == 404
    )
    assert (
        client_of(alice).get(detail(sent, f"attachments/{other.pk}/download/")).status_code == 404
    )


# --- folders, search, read state, trash ---------------------------------------------------------


def test_the_list_filters_by_folder_and_read_state_and_hides_the_trash_by_default(alice, bob):
    first = copy_of(bob, write(alice, to=[bob], subject="First"))
    second = copy_of(bob, write(alice, to=[bob], subject="Second"))
    client = client_of(bob)
    client.patch(detail(first), {"is_read": True}, format="json")

    assert ids(client.get(LIST, {"is_read": "false"})) == [str(second.pk)]
    assert ids(client.get(LIST, {"is_read": "true"})) == [str(first.pk)]
    client.delete(detail(second))
    assert ids(client.get(LIST)) == [str(first.pk)]
    assert ids(client.get(LIST, {"folder": "trash"})) == [str(second.pk)]


def test_an_unknown_folder_is_422(auth_client):
    response = auth_client.get(LIST, {"folder": "spam"})

    assert response.status_code == 422


def test_search_finds_subject_body_and_addresses(alice, bob, carol):
    write(alice, to=[bob], subject="Budget", body="numbers")
    write(alice, to=[bob], cc=[carol], subject="Lunch", body="pizza on friday")
    client = client_of(bob)

    def subjects(term):
        return [row["subject"] for row in client.get(LIST, {"search": term}).json()["results"]]

    assert subjects("budg") == ["Budget"]
    assert subjects("PIZZA") == ["Lunch"]
    assert subjects("carol@") == ["Lunch"]
    assert sorted(subjects("alice@example.com")) == ["Budget", "Lunch"]
    assert subjects("nothing like it") == []


def test_ordering_by_subject(alice, bob):
    write(alice, to=[bob], subject="B")
    write(alice, to=[bob], subject="A")

    response = client_of(bob).get(LIST, {"ordering": "subject"})

    assert [row["subject"] for row in response.json()["results"]] == ["A", "B"]


def test_reading_marks_only_the_readers_copy(alice, bob, carol):
    sent = write(alice, to=[bob, carol])
    bobs = copy_of(bob, sent)

    response = client_of(bob).patch(detail(bobs), {"is_read": True}, format="json")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert copy_of(carol, sent).is_read is False
    response = client_of(bob).patch(detail(bobs), {"is_read": False}, format="json")
    assert response.json()["is_read"] is False


def test_trash_and_restore_bring_the_copy_back_to_its_folder(alice, bob):
    sent = write(alice, to=[bob])
    received = copy_of(bob, sent)
    client = client_of(bob)

    assert client.delete(detail(received)).status_code == 204
    assert client.get(detail(received)).json()["folder"] == "trash"
    assert client.delete(detail(received)).status_code == 409
    response = client.post(detail(received, "restore/"))
    assert response.status_code == 200
    assert response.json()["folder"] == "inbox"
    assert client.post(detail(received, "restore/")).status_code == 409
    # the sender's copy was never touched
    assert client_of(alice).get(detail(sent)).json()["folder"] == "sent"


def test_a_trashed_draft_must_be_restored_before_it_is_sent(alice, bob):
    client = client_of(alice)
    created = draft(client, to=["bob@example.com"])
    client.delete(detail(created["id"]))

    assert client.post(detail(created["id"], "send/")).status_code == 409
    assert client.post(detail(created["id"], "restore/")).json()["folder"] == "drafts"
    assert client.post(detail(created["id"], "send/")).status_code == 200


def test_folders_count_messages_and_unread_ones(alice, bob):
    write(alice, to=[bob])
    write(alice, to=[bob])
    write(bob, to=[alice], send=False)

    response = client_of(bob).get("/api/v1/mail/folders/")

    counts = {row["folder"]: (row["total"], row["unread"]) for row in response.json()}
    assert counts == {"inbox": (2, 2), "sent": (0, 0), "drafts": (1, 0), "trash": (0, 0)}


# --- threads ------------------------------------------------------------------------------------


def test_a_reply_joins_the_thread_and_takes_the_subject(alice, bob):
    original = write(alice, to=[bob], subject="Plan")
    client = client_of(bob)

    body = draft(
        client, to=["alice@example.com"], subject="", in_reply_to=str(copy_of(bob, original).pk)
    )

    assert body["thread"] == str(original.message.thread_id)
    assert body["subject"] == "Re: Plan"
    assert body["in_reply_to"] == str(copy_of(bob, original).pk)


def test_a_new_message_starts_a_new_thread(alice, bob):
    first = write(alice, to=[bob])
    second = write(alice, to=[bob])

    assert first.message.thread_id != second.message.thread_id


def test_in_reply_to_must_be_a_sent_message_the_caller_holds(alice, bob, carol):
    theirs = write(alice, to=[carol])
    own_draft = write(bob, to=[alice], send=False)
    client = client_of(bob)

    for target in (theirs.pk, own_draft.pk, "01930000-0000-7000-8000-000000000000"):
        response = client.post(
            LIST, {"to": ["alice@example.com"], "in_reply_to": str(target)}, format="json"
        )
        assert response.status_code == 422
        assert "in_reply_to" in error(response)["details"]


def test_the_thread_shows_only_the_messages_the_caller_sent_or_received(alice, bob, carol):
    original = write(alice, to=[bob], subject="Plan")
    reply_to_carol = write(bob, to=[carol], in_reply_to=copy_of(bob, original), subject="")
    carols_answer = write(carol, to=[bob], in_reply_to=copy_of(carol, reply_to_carol))

    alices = client_of(alice).get(thread_url(original.message.thread_id)).json()
    bobs = client_of(bob).get(thread_url(original.message.thread_id)).json()
    carols = client_of(carol).get(thread_url(original.message.thread_id)).json()

    assert [m["id"] for m in alices["messages"]] == [str(original.pk)]
    assert [m["id"] for m in bobs["messages"]] == [
        str(copy_of(bob, original).pk),
        str(reply_to_carol.pk),
        str(copy_of(bob, carols_answer).pk),
    ]
    assert len(carols["messages"]) == 2
    # Carol never got the first message: she sees no link to it, nor its subject as the thread's
    assert carols["messages"][0]["in_reply_to"] is None
    assert carols["subject"] == "Re: Plan"


def test_a_message_sent_to_oneself_shows_once_in_the_thread(alice, bob):
    sent = write(alice, to=[alice], bcc=[bob])

    body = client_of(alice).get(thread_url(sent.message.thread_id)).json()

    assert [m["id"] for m in body["messages"]] == [str(sent.pk)]
    assert body["messages"][0]["bcc"] == ["bob@example.com"]
    inbox = client_of(alice).get(LIST, {"folder": "inbox"}).json()["results"]
    assert inbox[0]["status"] == "received"


# --- access -------------------------------------------------------------------------------------


def test_another_users_message_is_404_on_every_endpoint(alice, bob, carol):
    sent = write(alice, to=[bob], subject="Private")
    drafted = write(alice, to=[bob], send=False)
    client = client_of(carol)

    for entry in (sent, copy_of(bob, sent), drafted):
        assert client.get(detail(entry)).status_code == 404
        assert client.patch(detail(entry), {"is_read": True}, format="json").status_code == 404
        assert client.patch(detail(entry), {"subject": "x"}, format="json").status_code == 404
        assert client.delete(detail(entry)).status_code == 404
        assert client.post(detail(entry, "send/")).status_code == 404
        assert client.post(detail(entry, "restore/")).status_code == 404
    assert client.get(thread_url(sent.message.thread_id)).status_code == 404
    assert client.get(LIST, {"search": "Private"}).json()["count"] == 0
    assert MailMessage.objects.get(pk=drafted.message_id).status == "draft"


def test_the_sender_cannot_open_a_recipients_copy_and_vice_versa(alice, bob):
    sent = write(alice, to=[bob])

    assert client_of(alice).get(detail(copy_of(bob, sent))).status_code == 404
    assert client_of(bob).get(detail(sent)).status_code == 404


def test_an_administrator_reads_only_their_own_mail_through_the_api(alice, bob, staff_user):
    sent = write(alice, to=[bob])

    assert client_of(staff_user).get(detail(sent)).status_code == 404
    assert client_of(staff_user).get(LIST).json()["count"] == 0


def test_every_endpoint_needs_a_login(api_client, alice, bob):
    sent = write(alice, to=[bob])

    for response in (
        api_client.get(LIST),
        api_client.post(LIST, {}),
        api_client.get(detail(sent)),
        api_client.post(detail(sent, "send/")),
        api_client.get(thread_url(sent.message.thread_id)),
        api_client.get("/api/v1/mail/folders/"),
    ):
        assert response.status_code == 401


# --- performance and robustness -----------------------------------------------------------------


def test_the_list_runs_a_constant_number_of_queries(alice, bob, carol, django_assert_num_queries):
    file = upload_file(alice, b"x", "x.txt")
    client = client_of(bob)
    write(alice, to=[bob], cc=[carol], bcc=[], attachments=[file])
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for index in range(6):
        original = write(alice, to=[bob], cc=[carol], attachments=[file], subject=f"S{index}")
        write(carol, to=[bob], in_reply_to=copy_of(carol, original))

    with django_assert_num_queries(len(few)):
        response = client.get(LIST, {"search": "example.com"})

    assert response.json()["count"] == 13


def test_the_thread_runs_a_constant_number_of_queries(alice, bob, django_assert_num_queries):
    first = write(alice, to=[bob])
    url = thread_url(first.message.thread_id)
    client = client_of(bob)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    previous = first
    for _ in range(5):
        previous = write(alice, to=[bob], in_reply_to=previous)

    with django_assert_num_queries(len(few)):
        response = client.get(url)

    assert len(response.json()["messages"]) == 6


GARBAGE = [None, "", "x", -1, 10**30, [], {}, {"a": 1}, [1, 2], True, ["x"], [None]]


def test_wrong_shaped_input_never_answers_500(alice, bob):
    client = client_of(alice)
    created = draft(client, to=["bob@example.com"])
    fields = ["to", "cc", "bcc", "subject", "body", "attachments", "in_reply_to", "is_read"]
    bad = []
    for field, value in itertools.product(fields, GARBAGE):
        for response in (
            client.post(LIST, {field: value}, format="json"),
            client.patch(detail(created["id"]), {field: value}, format="json"),
        ):
            if response.status_code >= 500:
                bad.append((field, value, response.status_code))
    for query in [
        "folder=x",
        "is_read=maybe",
        "thread=x",
        "ordering=zzz",
        "limit=-1",
        "offset=x",
        "search=" + "x" * 500,
    ]:
        response = client.get(f"{LIST}?{query}")
        if response.status_code >= 500:
            bad.append((query, response.status_code))
    assert bad == []
