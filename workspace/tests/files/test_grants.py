"""files_grant_view: many users on many files in one go, skipping what they already hold."""

import pytest

from accounts.tests.factories import UserFactory
from nexus_site.events.models import Event
from relations.access import can
from relations.models import Relationship
from relations.nodes import node_of
from workspace.files.services import file_grant_view, files_grant_view
from workspace.tests.files.factories import upload_file

pytestmark = pytest.mark.django_db


def test_every_user_gets_view_on_every_file_once(user):
    files = [upload_file(user, f"file {n}\n".encode(), f"f{n}.txt") for n in range(2)]
    readers = UserFactory.create_batch(3)
    before = Event.objects.filter(type="relationship_created").count()

    made = files_grant_view(files=files, users=[*readers, user], actor=user)
    again = files_grant_view(files=files, users=readers, actor=user)

    assert len(made) == 6  # the owner already holds everything
    assert again == []
    assert all(can(reader, "view", node_of(file)) for reader in readers for file in files)
    assert not any(can(reader, "edit", node_of(files[0])) for reader in readers)
    assert Event.objects.filter(type="relationship_created").count() - before == 6


def test_the_single_grant_is_the_same_rule(user, other_user):
    file = upload_file(user)

    first = file_grant_view(file=file, user=other_user, actor=user)
    second = file_grant_view(file=file, user=other_user, actor=user)

    assert first is not None
    assert first.metadata == {"permission": "view"}
    assert second is None
    assert Relationship.objects.filter(target_id=file.pk, type="member").count() == 1
