"""`manage.py seed_demo` as `make run` uses it: every demo object is distinct (no two projects,
documents or rooms with one name) and seeding again creates nothing."""

from collections import Counter
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from projects.models import Project
from workspace.chat.models import Room
from workspace.documents.models import Document

# Transactional: the onboarding of each new account runs on commit, as in `make run`.
pytestmark = pytest.mark.django_db(transaction=True)

# Rows a second run may add without creating any demo object twice: none today.
LOG_MODELS: set[str] = set()


@pytest.fixture(autouse=True)
def system_patterns():
    """The shipped patterns, which a transactional test's flush removes (their data migration
    ran once): the onboarding creates each new account's own project."""
    call_command("install_system_patterns", stdout=StringIO())


def seed() -> str:
    output = StringIO()
    call_command("seed_demo", "--force", stdout=output)
    return output.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label not in LOG_MODELS and model._meta.managed
    }


def repeated(names) -> list[str]:
    return sorted(name for name, count in Counter(names).items() if count > 1)


def test_seeding_twice_creates_nothing_the_second_time():
    seed()
    first = row_counts()

    seed()

    assert row_counts() == first


def test_demo_projects_documents_and_rooms_have_distinct_names():
    seed()

    assert repeated(Project.objects.values_list("name", flat=True)) == []
    assert repeated(Document.objects.values_list("title", flat=True)) == []
    assert repeated(Room.objects.exclude(name="").values_list("name", flat=True)) == []
