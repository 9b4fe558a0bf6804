"""Blob reference counting under concurrent uploads and deletes (PostgreSQL, real threads)."""

import threading

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from workspace.files import services
from workspace.files.models import Blob, File
from workspace.tests.files.factories import upload_file

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite serialises writers: no race to test"
    ),
]


def run_together(*actions) -> list[BaseException]:
    """Run each action in its own thread and connection, started at the same moment."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def runner(action):
        try:
            barrier.wait()
            action()
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_two_uploads_of_the_same_content_share_one_blob(stored):
    first, second = UserFactory(), UserFactory()

    errors = run_together(
        lambda: upload_file(first, b"same content at once"),
        lambda: upload_file(second, b"same content at once"),
    )

    assert errors == []
    blob = Blob.objects.get()
    assert blob.refcount == 2
    assert File.objects.filter(blob=blob).count() == 2
    assert stored(blob.sha256)


@pytest.mark.parametrize("attempt", range(5))
def test_a_delete_racing_an_upload_never_loses_a_referenced_blob(stored, attempt):
    owner, uploader = UserFactory(), UserFactory()
    content = f"raced content {attempt}".encode()
    doomed = upload_file(owner, content)

    errors = run_together(
        lambda: services.file_delete(actor=owner, file=doomed),
        lambda: upload_file(uploader, content),
    )

    assert errors == []
    survivor = File.objects.get()
    assert survivor.owner == uploader
    blob = Blob.objects.get()
    assert blob.refcount == 1
    assert stored(blob.sha256)
    assert survivor.blob.storage_name == blob.storage_name


def test_parallel_uploads_of_one_user_cannot_both_pass_the_quota(settings):
    settings.FILE_USER_QUOTA_BYTES = 15
    owner = UserFactory()

    errors = run_together(
        lambda: upload_file(owner, b"first ten!"),
        lambda: upload_file(owner, b"other ten!"),
    )

    assert [error.code for error in errors] == ["quota_exceeded"]
    assert File.objects.filter(owner=owner).count() == 1


def test_racing_public_downloads_never_pass_the_limit():
    owner = UserFactory()
    file = upload_file(owner)
    token = services.public_link_create(actor=owner, file=file, max_downloads=1).token

    errors = run_together(*[lambda: services.public_link_download(token=token)] * 4)

    assert sorted(error.code for error in errors) == ["gone"] * 3
    assert File.objects.get(pk=file.pk).download_count == 1
