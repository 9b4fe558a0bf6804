"""/api/v1/documents/{id}/attachments/: attach files the caller may see, list, download, detach."""

import pytest

from conftest import bearer_client
from nexus_site.events.models import Event
from workspace.documents.models import DocumentAttachment
from workspace.files.models import Blob, File
from workspace.files.services import file_delete
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


def attachments_url(document, suffix=""):
    return f"/api/v1/documents/{document.pk}/attachments/{suffix}"


@pytest.fixture
def document(user):
    return DocumentFactory(owner=user, title="Plan", doc_type="word")


def test_an_editor_attaches_a_file_they_can_see_and_viewers_list_it(
    auth_client, user, other_user, document
):
    file = upload_file(user, b"minutes of the kickoff\n", "minutes.txt")
    share(document, other_user, "view")

    created = auth_client.post(attachments_url(document), {"file": str(file.pk)}, format="json")
    listed = bearer_client(other_user).get(attachments_url(document))

    assert created.status_code == 201, created.content
    assert created.json()["name"] == "minutes.txt"
    assert created.json()["attached_by"] == str(user.pk)
    assert listed.status_code == 200
    assert [row["file"] for row in listed.json()["results"]] == [str(file.pk)]
    assert Event.objects.filter(type="document_updated", payload__attached=str(file.pk)).exists()


def test_attaching_the_same_file_twice_keeps_one_attachment(auth_client, user, document):
    file = upload_file(user)

    for _attempt in range(2):
        response = auth_client.post(attachments_url(document), {"file": str(file.pk)})
        assert response.status_code == 201

    assert DocumentAttachment.objects.filter(document=document).count() == 1


def test_a_file_the_caller_cannot_see_is_refused_like_a_missing_one(
    auth_client, other_user, document
):
    hidden = upload_file(other_user, b"private\n", "private.txt")

    hidden_answer = auth_client.post(attachments_url(document), {"file": str(hidden.pk)})
    missing_answer = auth_client.post(
        attachments_url(document), {"file": "01930000-0000-7000-8000-000000000000"}
    )

    assert hidden_answer.status_code == 422
    assert missing_answer.status_code == 422
    assert hidden_answer.json()["error"]["code"] == missing_answer.json()["error"]["code"]
    assert hidden_answer.json()["error"]["details"]["file_ids"] == [str(hidden.pk)]
    assert not DocumentAttachment.objects.exists()


def test_bad_input_answers_422(auth_client, document):
    for body in ({}, {"file": "not-a-uuid"}, {"file": ""}):
        response = auth_client.post(attachments_url(document), body, format="json")
        assert response.status_code == 422, body


def test_a_viewer_may_not_attach_or_detach(user, other_user, document):
    share(document, other_user, "view")
    own_file = upload_file(other_user, b"mine\n", "mine.txt")
    attached = upload_file(user, b"attached\n", "attached.txt")
    DocumentAttachment.objects.create(document=document, file=attached, attached_by=user)
    viewer = bearer_client(other_user)

    attach = viewer.post(attachments_url(document), {"file": str(own_file.pk)})
    detach = viewer.delete(attachments_url(document, f"{attached.pk}/"))

    assert attach.status_code == 403
    assert detach.status_code == 403
    assert DocumentAttachment.objects.filter(document=document).count() == 1


def test_a_viewer_downloads_an_attachment_they_could_not_download_directly(
    auth_client, user, other_user, document
):
    file = upload_file(user, b"budget figures\n", "budget.txt")
    auth_client.post(attachments_url(document), {"file": str(file.pk)})
    share(document, other_user, "view")
    viewer = bearer_client(other_user)

    direct = viewer.get(f"/api/v1/files/{file.pk}/download/")
    through_document = viewer.get(attachments_url(document, f"{file.pk}/download/"))

    assert direct.status_code == 404
    assert through_document.status_code == 200
    assert b"".join(through_document.streaming_content) == b"budget figures\n"
    assert through_document["ETag"] == f'"{file.sha256}"'
    file.refresh_from_db()
    assert file.download_count == 1


def test_detaching_keeps_the_file(auth_client, user, document):
    file = upload_file(user)
    auth_client.post(attachments_url(document), {"file": str(file.pk)})

    response = auth_client.delete(attachments_url(document, f"{file.pk}/"))
    again = auth_client.delete(attachments_url(document, f"{file.pk}/"))

    assert response.status_code == 204
    assert again.status_code == 404
    assert File.objects.filter(pk=file.pk).exists()


def test_deleting_the_file_removes_the_attachment(auth_client, user, document):
    file = upload_file(user)
    auth_client.post(attachments_url(document), {"file": str(file.pk)})

    file_delete(actor=user, file=file)

    assert not DocumentAttachment.objects.exists()
    assert not Blob.objects.exists()


def test_another_users_document_answers_404_on_every_attachment_endpoint(
    user, other_user, document
):
    file = upload_file(user)
    DocumentAttachment.objects.create(document=document, file=file, attached_by=user)
    stranger = bearer_client(other_user)
    own = upload_file(other_user, b"theirs\n", "theirs.txt")

    answers = [
        stranger.get(attachments_url(document)),
        stranger.post(attachments_url(document), {"file": str(own.pk)}),
        stranger.delete(attachments_url(document, f"{file.pk}/")),
        stranger.get(attachments_url(document, f"{file.pk}/download/")),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]


def test_the_attachment_list_runs_a_constant_number_of_queries(
    auth_client, user, document, django_assert_max_num_queries
):
    def attach(count):
        for index in range(count):
            file = upload_file(user, f"file {index} of {count}\n".encode(), f"f{index}.txt")
            DocumentAttachment.objects.create(document=document, file=file, attached_by=user)

    attach(1)
    with django_assert_max_num_queries(50) as few:
        assert auth_client.get(attachments_url(document)).status_code == 200
    attach(5)
    with django_assert_max_num_queries(50) as many:
        response = auth_client.get(attachments_url(document))

    assert response.json()["count"] == 6
    assert len(many.captured_queries) == len(few.captured_queries)
