"""The demo documents: created once, whatever the number of runs."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from relations.access import can
from relations.nodes import node_of
from workspace.documents.models import Document, DocumentVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_twice(settings) -> None:
    settings.DEBUG = True
    for _ in range(2):
        call_command("seed_demo", stdout=StringIO())


def test_seed_demo_creates_each_document_type_once_with_history(seeded_twice):
    assert sorted(Document.objects.values_list("doc_type", flat=True)) == [
        "excel",
        "powerpoint",
        "word",
    ]
    assert DocumentVersion.objects.count() == 3 + 2 + 2


def test_the_demo_shares_and_project_reach_other_users(seeded_twice):
    user = User.objects.get(email="user@nexus.local")
    guest = User.objects.get(email="guest@nexus.local")
    budget = Document.objects.get(title="Launch budget")
    announcement = Document.objects.get(title="Launch announcement")

    assert announcement.project is not None
    assert can(user, "edit", node_of(budget))
    assert can(guest, "view", node_of(announcement))
    assert not can(guest, "edit", node_of(announcement))
