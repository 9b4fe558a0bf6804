"""Documents services: versions, trash purge, shares and the registry's nullable parent."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from nexus_site.celery import app as celery_app
from nexus_site.exceptions import (
    AuthorizationError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from projects.tests.factories import ProjectFactory, add_member
from relations.access import can, visible_filter
from relations.models import Relationship
from relations.nodes import node_of
from workspace.documents import services
from workspace.documents.models import Document, DocumentVersion
from workspace.documents.tasks import purge_document_trash
from workspace.tests.documents.factories import DocumentFactory, share

pytestmark = pytest.mark.django_db


def edges_naming(document) -> int:
    return (
        Relationship.objects.filter(target_id=document.pk).count()
        + Relationship.objects.filter(source_id=document.pk).count()
    )


def trash(document, *, days_ago: int) -> None:
    services.document_delete(actor=document.owner, document=document)
    Document.objects.filter(pk=document.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=days_ago)
    )


def test_every_change_writes_the_next_immutable_version():
    document = DocumentFactory(title="A")

    services.document_update(actor=document.owner, document=document, version=1, title="B")
    services.document_update(actor=document.owner, document=document, version=2, title="C")

    assert list(document.versions.order_by("number").values_list("number", "title")) == [
        (1, "A"),
        (2, "B"),
        (3, "C"),
    ]


def test_a_stale_update_names_the_current_version():
    document = DocumentFactory()
    services.document_update(actor=document.owner, document=document, version=1, title="B")

    with pytest.raises(ConflictError) as caught:
        services.document_update(actor=document.owner, document=document, version=1, title="C")

    assert caught.value.details == {"current_version": 2, "your_version": 1}


def test_two_writers_of_the_same_number_cannot_both_store_it():
    document = DocumentFactory()
    document.version = 1  # as a writer that skipped the version check would have it

    with pytest.raises(ConflictError):
        services.write_version(document, author=document.owner)

    assert document.versions.count() == 1


def test_restoring_an_unknown_version_is_not_found():
    document = DocumentFactory()

    with pytest.raises(NotFoundError):
        services.document_version_restore(actor=document.owner, document=document, number=5)


def test_sharing_with_the_owner_or_in_the_past_is_refused():
    document = DocumentFactory()

    with pytest.raises(ValidationError):
        share(document, document.owner)
    with pytest.raises(ValidationError):
        share(document, UserFactory(), expires_at=timezone.now() - datetime.timedelta(minutes=1))


def test_a_document_without_a_project_is_visible_only_through_its_own_edges():
    document = DocumentFactory()
    project = ProjectFactory()
    member = add_member(project)

    assert document.project_id is None
    assert not can(member, "view", node_of(document))
    assert not Document.objects.filter(visible_filter(member, Document)).exists()
    assert Document.objects.filter(visible_filter(document.owner, Document)).get() == document


def test_a_project_guest_reaches_the_projects_documents_read_only():
    project = ProjectFactory()
    guest = add_member(project, role="guest")
    document = DocumentFactory(owner=project.owner, project=project)

    assert can(guest, "view", node_of(document))
    assert not can(guest, "edit", node_of(document))


def test_deleting_the_project_leaves_its_documents_to_their_owners():
    project = ProjectFactory()
    document = DocumentFactory(owner=project.owner, project=project)

    from projects import services as project_services

    project_services.project_delete(actor=project.owner, project=project)

    document.refresh_from_db()
    assert document.project_id is None
    assert can(document.owner, "manage", node_of(document))


def test_purge_deletes_old_trash_with_versions_and_relationships():
    old = DocumentFactory()
    share(old, UserFactory())
    services.document_update(actor=old.owner, document=old, version=1, title="Two")
    trash(old, days_ago=31)
    recent = DocumentFactory()
    trash(recent, days_ago=29)
    live = DocumentFactory()
    assert edges_naming(old) == 2

    purged = services.document_trash_purge()

    assert purged == 1
    assert not Document.objects.filter(pk=old.pk).exists()
    assert not DocumentVersion.objects.filter(document_id=old.pk).exists()
    assert edges_naming(old) == 0
    assert set(Document.objects.values_list("pk", flat=True)) == {recent.pk, live.pk}


def test_document_purge_deletes_one_document_for_good_at_once():
    document = DocumentFactory()
    share(document, UserFactory())
    services.document_update(actor=document.owner, document=document, version=1, title="Two")

    services.document_purge(actor=document.owner, document=document)

    assert not Document.objects.filter(pk=document.pk).exists()
    assert not DocumentVersion.objects.filter(document_id=document.pk).exists()
    assert edges_naming(document) == 0


def test_document_purge_needs_manage_and_hides_what_the_actor_may_not_see():
    document = DocumentFactory()
    editor, stranger = UserFactory(), UserFactory()
    share(document, editor, permission="edit")

    with pytest.raises(AuthorizationError):
        services.document_purge(actor=editor, document=document)
    with pytest.raises(NotFoundError):
        services.document_purge(actor=stranger, document=document)

    assert Document.objects.filter(pk=document.pk).exists()


def test_purge_follows_the_retention_setting(settings):
    settings.DOCUMENT_TRASH_RETENTION_DAYS = 2
    document = DocumentFactory()
    trash(document, days_ago=3)

    assert services.document_trash_purge() == 1


def test_the_purge_task_is_registered_by_name_and_idempotent():
    document = DocumentFactory()
    trash(document, days_ago=40)

    task = celery_app.tasks["workspace.documents.tasks.purge_document_trash"]
    assert task.name == purge_document_trash.name
    assert task.delay().get() == 1
    assert task.delay().get() == 0


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_of_two_concurrent_saves_of_the_same_version_exactly_one_wins():
    import threading

    from django.db import connection

    document = DocumentFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(text: str) -> None:
        try:
            barrier.wait()
            services.document_update(
                actor=document.owner,
                document=document,
                version=1,
                content={"blocks": [{"type": "paragraph", "text": text}]},
            )
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(text,)) for text in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict", "saved"]
    assert list(document.versions.order_by("number").values_list("number", flat=True)) == [1, 2]
