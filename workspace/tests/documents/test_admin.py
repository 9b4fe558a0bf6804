"""The staff screens for documents and their versions at /admin/."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from nexus_site.events.models import Event
from workspace.documents import services
from workspace.documents.models import Document, DocumentVersion
from workspace.tests.documents.factories import DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def test_the_document_list_runs_constant_queries(admin_client):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse("admin:workspace_document_changelist"))
        assert response.status_code == 200
        return len(queries)

    DocumentFactory()
    few = list_queries()
    for _ in range(6):
        DocumentFactory()
    assert list_queries() == few


def test_the_change_page_shows_the_versions_read_only(admin_client):
    document = DocumentFactory(title="First")
    services.document_update(actor=document.owner, document=document, version=1, title="Second")

    response = admin_client.get(reverse("admin:workspace_document_change", args=[document.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "First" in html
    assert "Second" in html


def test_restore_action_takes_documents_out_of_the_trash_through_the_service(admin_client):
    document = DocumentFactory()
    services.document_delete(actor=document.owner, document=document)

    response = admin_client.post(
        reverse("admin:workspace_document_changelist"),
        {"action": "restore_from_trash", "_selected_action": [str(document.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    document.refresh_from_db()
    assert document.deleted_at is None
    assert Event.objects.filter(type="document_restored").count() == 1
    assert "1 document restored." in [str(m) for m in get_messages(response.wsgi_request)]


def test_trash_action_moves_documents_to_the_trash(admin_client):
    document = DocumentFactory()

    admin_client.post(
        reverse("admin:workspace_document_changelist"),
        {"action": "move_to_trash", "_selected_action": [str(document.pk)]},
    )

    document.refresh_from_db()
    assert document.deleted_at is not None


def test_restore_version_action_makes_a_new_version(admin_client):
    document = DocumentFactory(title="Old")
    services.document_update(actor=document.owner, document=document, version=1, title="New")
    first = DocumentVersion.objects.get(document=document, number=1)

    admin_client.post(
        reverse("admin:workspace_documentversion_changelist"),
        {"action": "restore_version", "_selected_action": [str(first.pk)]},
    )

    document.refresh_from_db()
    assert (document.version, document.title) == (3, "Old")


def test_a_staff_member_without_access_is_refused_with_a_message(client):
    from accounts.tests.factories import UserFactory
    from nexus_site.definitions.enums import Role

    manager = UserFactory(role=Role.MANAGER)
    client.force_login(manager)
    document = DocumentFactory()

    response = client.post(
        reverse("admin:workspace_document_changelist"),
        {"action": "move_to_trash", "_selected_action": [str(document.pk)]},
        follow=True,
    )

    assert Document.objects.get(pk=document.pk).deleted_at is None
    assert any("Not found" in str(m) for m in get_messages(response.wsgi_request))
