"""The attachment contract for documents, mail and chat: files_for_attachment."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from nexus_site.exceptions import ValidationError
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
