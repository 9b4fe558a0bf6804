"""A client that already holds the bytes (If-None-Match with the ETag) gets 304, uncounted."""

import pytest

from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


def test_a_matching_etag_answers_304_and_counts_nothing(auth_client, user):
    file = upload_file(user, b"cached bytes\n", "cached.txt")
    url = f"/api/v1/files/{file.pk}/download/"

    first = auth_client.get(url)
    again = auth_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    changed = auth_client.get(url, HTTP_IF_NONE_MATCH='"0000"')

    assert first.status_code == 200
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert changed.status_code == 200
    assert b"".join(changed.streaming_content) == b"cached bytes\n"
    file.refresh_from_db()
    assert file.download_count == 2


def test_the_page_download_answers_304_too(client, user):
    file = upload_file(user, b"cached bytes\n", "cached.txt")
    client.force_login(user)

    page = client.get(f"/files/{file.pk}/download/", HTTP_IF_NONE_MATCH=f'"{file.sha256}"')

    assert page.status_code == 304
