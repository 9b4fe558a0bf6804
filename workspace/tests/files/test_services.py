"""The blob bookkeeping behind uploads and deletes."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from nexus_site.events.models import Event
from workspace.files import services
from workspace.files.content import blob_storage_name
from workspace.files.models import Blob
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


def test_bytes_of_a_released_blob_stay_when_the_content_came_back_before_the_purge(
    user, stored, django_capture_on_commit_callbacks
):
    file = upload_file(user, b"comes back")
    with django_capture_on_commit_callbacks() as pending:
        services.file_delete(actor=user, file=file)
    again = upload_file(user, b"comes back")

    for callback in pending:
        callback()

    assert Blob.objects.get().refcount == 1
    assert stored(again.sha256)


def test_bytes_left_by_a_rolled_back_upload_are_replaced_by_the_next_upload(user, stored):
    file = upload_file(user, b"real content")
    name = blob_storage_name(file.sha256)
    services.file_delete(actor=user, file=file)  # on-commit purge never runs here
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"half-written"))

    again = upload_file(user, b"real content")

    with default_storage.open(again.blob.storage_name) as stored_bytes:
        assert stored_bytes.read() == b"real content"
    assert again.blob.storage_name == name


def test_deleting_the_last_file_publishes_to_its_owner(staff_user, user):
    file = upload_file(user)

    services.file_delete(actor=staff_user, file=file)

    event = Event.objects.get(type="file_deleted")
    assert set(event.audience_users) == {str(staff_user.pk), str(user.pk)}
