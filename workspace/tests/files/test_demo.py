"""The demo files: created once, whatever the number of runs."""

from io import StringIO

import pytest
from django.core.management import call_command

from workspace.files.models import Blob, File, PublicLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_twice(settings) -> str:
    settings.DEBUG = True
    output = StringIO()
    for _ in range(2):
        call_command("seed_demo", stdout=output)
    return output.getvalue()


def test_seed_demo_creates_the_files_once(seeded_twice):
    assert File.objects.count() == 6
    assert PublicLink.objects.count() == 1
    assert "Demo files: 6 new file(s)" in seeded_twice
    assert "Demo files: 0 new file(s)" in seeded_twice


def test_the_shared_content_is_one_blob_used_twice(seeded_twice):
    shared = File.objects.get(name="brand-guide.txt").blob

    assert shared.refcount == 2
    assert Blob.objects.count() == 5


def test_the_demo_project_file_is_in_the_project(seeded_twice):
    assert File.objects.get(name="launch-plan.md").project.name == "Nexus launch"
