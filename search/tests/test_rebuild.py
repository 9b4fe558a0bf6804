from io import StringIO
from uuid import uuid4

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from projects.tests.factories import ProjectFactory, TaskFactory
from search.models import SearchEntry
from search.selectors import search
from workspace.tests.documents.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def rebuild(*args) -> str:
    out = StringIO()
    call_command("rebuild_search_index", *args, stdout=out)
    return out.getvalue()


def test_the_rebuild_indexes_objects_written_around_the_services():
    owner = UserFactory()
    task = TaskFactory(project=ProjectFactory(owner=owner), title="Imported aardvark")
    assert search(owner, "aardvark").hits == []

    output = rebuild("--batch-size", "1")

    assert [(hit.type, hit.id) for hit in search(owner, "aardvark").hits] == [("task", task.pk)]
    assert "task" in output
    assert "100%" in output


def test_the_rebuild_removes_entries_of_objects_that_are_gone():
    # An entry left from before (objects deleted in raw SQL, a restored backup of the index).
    gone = SearchEntry.objects.create(kind="task", object_id=uuid4(), title="Gone", path="/")

    output = rebuild("--kind", "task")

    assert not SearchEntry.objects.filter(pk=gone.pk).exists()
    assert "task: 0 indexed, 1 stale removed" in output


def test_the_rebuild_keeps_what_is_already_right():
    owner = UserFactory()
    document = DocumentFactory(owner=owner, title="Steady bison")

    rebuild()

    assert SearchEntry.objects.filter(kind="document", object_id=document.pk).count() == 1
    assert search(owner, "bison").total == 1


def test_an_unknown_kind_is_refused():
    with pytest.raises(CommandError):
        rebuild("--kind", "nonsense")
