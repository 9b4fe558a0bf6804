"""The attachment contract for documents, mail and chat: files_for_attachment, file_grant_view."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.exceptions import ValidationError
from workspace.files import services
from workspace.files.selectors import files_for_attachment
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


def test_returns_the_files_in_the_order_asked(user):
    first, second, third = (upload_file(user, f"{n}".encode()) for n in range(3))

    files = files_for_attachment(user, [third.pk, str(first.pk), second.pk, third.pk])

    assert files == [third, first, second]


def test_refuses_with_every_bad_id_and_no_hint_of_existence(user):
    mine = upload_file(user)
    hidden = upload_file(UserFactory())
    missing = uuid.uuid4()

    with pytest.raises(ValidationError) as raised:
        files_for_attachment(user, [mine.pk, hidden.pk, missing, "junk"])

    assert raised.value.status == 422
    assert raised.value.details == {"file_ids": ["junk", str(hidden.pk), str(missing)]}


def test_an_empty_list_is_fine(user):
    assert files_for_attachment(user, []) == []


def test_grant_view_lets_a_recipient_view_but_not_change(user):
    file = upload_file(user)
    recipient = UserFactory()

    edge = services.file_grant_view(file=file, user=recipient)

    assert edge.metadata == {"permission": "view"}
    assert files_for_attachment(recipient, [file.pk]) == [file]
    client = bearer_client(recipient)
    assert client.get(f"/api/v1/files/{file.pk}/").status_code == 200
    assert client.delete(f"/api/v1/files/{file.pk}/").status_code == 403
    assert (
        client.patch(f"/api/v1/files/{file.pk}/", {"name": "x"}, format="json").status_code == 403
    )


def test_grant_view_twice_changes_nothing(user):
    file = upload_file(user)
    recipient = UserFactory()
    services.file_grant_view(file=file, user=recipient)

    assert services.file_grant_view(file=file, user=recipient) is None
    assert services.file_grant_view(file=file, user=user) is None
