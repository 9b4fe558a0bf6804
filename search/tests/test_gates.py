"""The gates an entry stores say who may find it; they must say what each kind's own rule says,
after every write that changes who may see the object, and must never outlive the object.

``world`` builds one of every shape access takes (a member, a sub-project, a share, a room of
its own, a trashed document's comments, a moved file, mail to several people and to oneself, a
deleted task's comments) through the write services, as users would.
"""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from comments.tests.factories import comment_on
from nexus_site.definitions.enums import Role
from projects import services as project_services
from projects.tests.factories import add_member
from search import registry
from search.models import SearchEntry
from search.selectors import gated_entries, search, visible_entries
from search.tests.helpers import project_of, task_in
from workspace.chat import services as chat_services
from workspace.documents import services as document_services
from workspace.files import services as file_services
from workspace.tests.chat.factories import make_room, post
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.files.factories import upload_file
from workspace.tests.mail.factories import write

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the gates are stored on PostgreSQL only"
)


def found(user, q, **kwargs):
    return {(hit.type, hit.id) for hit in search(user, q, **kwargs).hits}


@pytest.fixture
def world():
    w = SimpleNamespace()
    w.owner, w.member, w.reader, w.sub, w.chatter, w.stranger = (UserFactory() for _ in range(6))
    w.admin = UserFactory(role=Role.ADMIN)
    w.p1 = project_of(w.owner, name="Alpha zebra")
    w.parent = project_of(w.owner, name="Parent zebra")
    w.p2 = project_of(w.owner, name="Child zebra")
    w.p3 = project_of(w.owner, name="Other zebra")
    project_services.project_parent_set(actor=w.owner, project=w.p2, parent=w.parent)
    add_member(w.p1, user=w.member)
    add_member(w.parent, user=w.sub)
    w.task = task_in(w.p1, w.owner, title="Zebra task")
    w.task_comment = comment_on(w.task, w.owner, body="zebra remark")
    w.child_task = task_in(w.p2, w.owner, title="Zebra child task")
    comment_on(w.child_task, w.owner, body="zebra child remark")
    w.doc = DocumentFactory(owner=w.owner, title="Zebra doc", project=w.p1)
    comment_on(w.doc, w.owner, body="zebra doc remark")
    w.shared = DocumentFactory(owner=w.owner, title="Zebra shared")
    share(w.shared, w.reader)
    comment_on(w.shared, w.owner, body="zebra shared remark")
    w.trashed = DocumentFactory(owner=w.owner, title="Zebra trashed", project=w.p1)
    w.trashed_comment = comment_on(w.trashed, w.owner, body="zebra trashed remark")
    document_services.document_delete(actor=w.owner, document=w.trashed)
    w.file = upload_file(w.owner, name="zebra.txt", project=w.p1)
    file_services.file_update(actor=w.owner, file=w.file, project=w.p3)  # moved out of p1
    w.room = chat_services.room_create(
        actor=w.owner, kind="private", name="Zebra room", members=[], project=w.p1
    )
    post(w.owner, w.room, body="zebra in the room")
    w.own_room = make_room(w.owner, name="Zebra den", members=[w.chatter])
    post(w.chatter, w.own_room, body="zebra in the den")
    write(w.owner, to=[w.member, w.owner], subject="Zebra mail", body="zebra by mail")
    gone = task_in(w.p1, w.owner, title="Zebra gone")
    w.gone_comment = comment_on(gone, w.owner, body="zebra gone remark")
    project_services.task_delete(actor=w.owner, task=gone)
    w.people = [w.owner, w.member, w.reader, w.sub, w.chatter, w.stranger, w.admin]
    return w


def rule_entries(user, project=None) -> set:
    return set(
        SearchEntry.objects.filter(visible_entries(user, project=project)).values_list(
            "pk", flat=True
        )
    )


@postgres_only
def test_stored_gates_keep_exactly_what_each_kinds_rule_keeps(world):
    projects = [None, world.p1, world.p2, world.parent, world.p3]
    for user in world.people:
        for project in projects:
            pk = project.pk if project else None
            by_gates = set(
                SearchEntry.objects.filter(gated_entries(user, project=pk)).values_list(
                    "pk", flat=True
                )
            )
            assert by_gates == rule_entries(user, project=pk), (user.email, project)
    assert rule_entries(world.stranger) == set()  # the world has something hidden from someone


@postgres_only
def test_stored_gates_are_those_a_fresh_write_would_store(world):
    for entry in SearchEntry.objects.all():
        kind = registry.kinds()[entry.kind]
        obj = kind.model._default_manager.get(pk=entry.object_id)
        assert entry.gates == list(kind.gates(obj)), (entry.kind, entry.title)


def test_each_kinds_gates_say_what_its_rule_says(world):
    """On both databases: a user may see an object exactly when one of its gates is a container
    they reach or their own id (an administrator: when it has a gate, but for others' mail)."""
    from relations.access import reachable_containers

    for user in world.people:
        reach = {node.id for node in reachable_containers(user)} | {user.pk}
        for name, kind in registry.kinds().items():
            visible = set(kind.visible(user).values_list("pk", flat=True))
            objects = kind.model._default_manager.all()
            if user.role == Role.ADMIN and not kind.personal:
                gated = {obj.pk for obj in objects if list(kind.gates(obj))}
            else:
                gated = {obj.pk for obj in objects if reach & set(kind.gates(obj))}
            indexed = set(SearchEntry.objects.filter(kind=name).values_list("object_id", flat=True))
            assert gated & indexed == visible & indexed, (user.email, name)


def test_a_moved_file_is_found_from_its_new_project_only(world):
    newcomer = UserFactory()
    add_member(world.p3, user=newcomer)

    assert ("file", world.file.pk) not in found(world.member, "zebra", type="file")
    assert found(newcomer, "zebra", type="file") == {("file", world.file.pk)}
    assert found(world.owner, "zebra", type="file", project=world.p3.pk) == {
        ("file", world.file.pk)
    }
    assert found(world.owner, "zebra", type="file", project=world.p1.pk) == set()


def test_a_trashed_documents_comments_hide_and_come_back_with_it(world):
    assert ("comment", world.trashed_comment.pk) not in found(world.owner, "trashed")
    assert ("comment", world.trashed_comment.pk) not in found(world.admin, "trashed")

    document_services.document_restore(actor=world.owner, document=world.trashed)

    assert ("comment", world.trashed_comment.pk) in found(world.member, "trashed")


def test_sub_project_members_find_its_entries_and_lose_them_with_the_parent_link(world):
    assert ("task", world.child_task.pk) in found(world.sub, "child")

    project_services.project_parent_set(actor=world.owner, project=world.p2, parent=None)

    assert found(world.sub, "child") == set()


def test_whatever_deletes_an_object_takes_its_entry_with_it(world):
    """Services, cascades and the admin's bulk deletes alike: nothing is left to be found."""
    assert not SearchEntry.objects.filter(object_id=world.gone_comment.pk).exists()
    room_messages = list(world.own_room.messages.values_list("pk", flat=True))

    world.own_room.delete()  # a cascade: its messages go with it
    project_services.project_delete(actor=world.owner, project=world.p1)  # tasks and comments

    assert not SearchEntry.objects.filter(object_id__in=room_messages).exists()
    assert not SearchEntry.objects.filter(object_id=world.task_comment.pk).exists()
    assert not SearchEntry.objects.filter(object_id=world.task.pk).exists()
    assert {kind for kind, _id in found(world.member, "zebra")} == {"mail"}
    assert ("document", world.doc.pk) in found(world.owner, "zebra doc")  # kept, out of p1


def test_mail_is_found_by_each_holder_once(world):
    hits = search(world.owner, "zebra mail").hits
    assert [hit.type for hit in hits] == ["mail"]
    assert {hit.type for hit in search(world.member, "zebra mail").hits} == {"mail"}
    assert search(world.reader, "zebra mail").hits == []


@postgres_only
def test_the_migration_computes_the_titles_vectors_the_code_writes(world):
    migration = importlib.import_module("search.migrations.0004_searchentry_gates")
    written = dict(SearchEntry.objects.values_list("pk", "title_vector"))

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT e.id, {migration.TITLE_VECTOR} FROM search_searchentry e")
        computed = dict(cursor.fetchall())

    assert computed == written
    assert any("'^zeb'" in vector for vector in written.values())


@postgres_only
def test_the_migration_computes_the_gates_the_code_writes(world):
    migration = importlib.import_module("search.migrations.0004_searchentry_gates")
    written = dict(SearchEntry.objects.values_list("pk", "gates"))
    assert set(registry.kinds()) == set(migration.GATES)

    computed = {}
    with connection.cursor() as cursor:
        for kind in migration.GATES:
            cursor.execute(migration.gates_select(kind))
            computed.update(cursor.fetchall())

    assert computed == written
