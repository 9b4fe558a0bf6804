"""A file whose stored bytes went missing answers 410 gone, never a 500."""

import pytest
from django.core.files.storage import default_storage

from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


def test_a_download_whose_bytes_are_missing_answers_410(auth_client, user):
    file = upload_file(user, b"soon lost\n", "lost.txt")
    default_storage.delete(file.blob.storage_name)

    api = auth_client.get(f"/api/v1/files/{file.pk}/download/")

    assert api.status_code == 410
    assert api.json()["error"]["code"] == "gone"
    file.refresh_from_db()
    assert file.download_count == 0


def test_the_page_download_of_missing_bytes_answers_410(client, user):
    file = upload_file(user, b"soon lost\n", "lost.txt")
    default_storage.delete(file.blob.storage_name)
    client.force_login(user)

    page = client.get(f"/files/{file.pk}/download/")

    assert page.status_code == 410
