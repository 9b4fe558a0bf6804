"""Entries titled after another object (comments after their task or document, chat messages
after their room) follow a rename in the same transaction."""

import pytest
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from comments.tests.factories import comment_on
from projects import services as project_services
from search import index
from search.models import SearchEntry
from search.selectors import search
from search.tests.helpers import project_of, task_in
from workspace.documents import services as document_services
from workspace.tests.chat.factories import make_room, post
from workspace.tests.documents.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def entry_of(obj) -> SearchEntry:
    return SearchEntry.objects.get(object_id=obj.pk)


def test_renaming_a_task_retitles_its_comments_entries():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Old name")
    comment = comment_on(task, owner, body="see the walrus")

    project_services.task_update(actor=owner, task=task, title="Walrus plan")

    assert entry_of(comment).title == "Walrus plan"
    hits = search(owner, "walrus plan", titles=True).hits
    assert ("comment", comment.pk, "Walrus plan") in [(h.type, h.id, h.title) for h in hits]


def test_renaming_a_document_retitles_its_comments_entries():
    owner = UserFactory()
    document = DocumentFactory(owner=owner, title="Draft")
    comment = comment_on(document, owner, body="a note")

    document_services.document_update(
        actor=owner, document=document, version=document.version, title="Budget review"
    )

    assert entry_of(comment).title == "Budget review"


def test_a_rolled_back_rename_changes_no_entry():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Old name")
    comment = comment_on(task, owner, body="see the walrus")

    def rename_then_fail():
        with transaction.atomic():
            project_services.task_update(actor=owner, task=task, title="Walrus plan")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        rename_then_fail()

    assert entry_of(comment).title == "Old name"
    assert search(owner, "walrus plan", titles=True).total == 0


def test_a_renamed_room_retitles_its_messages_entries():
    owner = UserFactory()
    room = make_room(owner, name="General")
    message = post(owner, room, body="hello there")
    room.name = "Otters"
    room.save(update_fields=["name"])

    assert index.dependents_follow(room) == 1

    assert entry_of(message).title == "Otters"
    assert [h.id for h in search(owner, "otters", titles=True).hits] == [message.pk]


def test_an_unchanged_title_rewrites_nothing():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Same")
    comment_on(task, owner, body="a note")

    assert index.dependents_follow(task) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's tsvector")
def test_a_retitled_entry_has_the_vectors_a_fresh_write_would_give():
    owner = UserFactory()
    task = task_in(project_of(owner), owner, title="Old name")
    comment = comment_on(task, owner, body="see the walrus")
    project_services.task_update(actor=owner, task=task, title="Walrus plan")
    retitled = entry_of(comment)

    index.entry_update(type(comment).objects.get(pk=comment.pk))

    fresh = entry_of(comment)
    assert (fresh.vector, fresh.title_vector) == (retitled.vector, retitled.title_vector)
    assert "'plan':2 'walrus':1" in fresh.title_vector
    assert "'^walr'" in fresh.title_vector
    assert "'^pla'" in fresh.title_vector
