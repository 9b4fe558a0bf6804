"""The document pages: list with new-document and import forms, editor, history with a diff,
trash, sharing. Another user's document answers 404 on every page."""

import io

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.tests.factories import UserFactory
from workspace.documents import services
from workspace.documents.models import Document
from workspace.documents.office import export_xlsx
from workspace.tests.documents.factories import CONTENT, DocumentFactory, share

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def document(user):
    return DocumentFactory(owner=user, title="Plan")


def document_pages(document):
    return [
        reverse("documents:editor", args=[document.pk]),
        reverse("documents:history", args=[document.pk]),
        reverse("documents:shares", args=[document.pk]),
    ]


def test_pages_need_login(client, document):
    for url in [reverse("documents:list"), reverse("documents:trash"), *document_pages(document)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


def test_list_shows_visible_documents_only(signed_in, document):
    DocumentFactory(title="Hidden")

    html = signed_in.get(reverse("documents:list")).content.decode()

    assert "Plan" in html
    assert "Hidden" not in html
    assert f"/api/v1/documents/{document.pk}/export/" in html


def test_another_users_document_is_404_on_every_page(signed_in):
    theirs = DocumentFactory()

    for url in document_pages(theirs):
        assert signed_in.get(url).status_code == 404
    for name, args in (
        ("documents:version-restore", [theirs.pk, 1]),
        ("documents:delete", [theirs.pk]),
        ("documents:restore", [theirs.pk]),
        ("documents:shares", [theirs.pk]),
    ):
        assert signed_in.post(reverse(name, args=args)).status_code == 404
    assert Document.objects.get(pk=theirs.pk).version == 1


def test_the_new_document_form_creates_and_opens_the_editor(signed_in, user):
    response = signed_in.post(
        reverse("documents:create"), {"title": "Deck", "doc_type": "powerpoint"}
    )

    document = Document.objects.get(title="Deck")
    assert response.status_code == 302
    assert response.url == reverse("documents:editor", args=[document.pk])
    assert (document.owner, document.content) == (user, {"slides": []})


@pytest.mark.parametrize("doc_type", ["word", "excel", "powerpoint"])
def test_the_editor_carries_the_content_version_and_save_button(signed_in, user, doc_type):
    document = DocumentFactory(owner=user, doc_type=doc_type)

    html = signed_in.get(reverse("documents:editor", args=[document.pk])).content.decode()

    assert 'id="document-content"' in html
    assert f'data-doc-type="{doc_type}"' in html
    assert 'data-version="1"' in html
    assert 'id="save"' in html


def test_a_viewer_gets_a_read_only_editor(client, document):
    reader = UserFactory()
    share(document, reader, "view")
    client.force_login(reader)

    html = client.get(reverse("documents:editor", args=[document.pk])).content.decode()

    assert 'data-can-edit="false"' in html
    assert 'id="save"' not in html


def test_import_upload_creates_a_document(signed_in):
    upload = io.BytesIO(export_xlsx(CONTENT["excel"], "Budget"))
    upload.name = "budget.xlsx"

    response = signed_in.post(reverse("documents:import"), {"file": upload})

    document = Document.objects.get()
    assert response.url == reverse("documents:editor", args=[document.pk])
    assert (document.doc_type, document.title) == ("excel", "Budget")


def test_a_corrupt_import_shows_the_error_on_the_list(signed_in):
    upload = io.BytesIO(b"not office at all")
    upload.name = "x.docx"

    response = signed_in.post(reverse("documents:import"), {"file": upload}, follow=True)

    assert response.status_code == 200
    assert not Document.objects.exists()
    assert "alert" in response.content.decode()


def test_history_lists_versions_and_shows_the_latest_diff(signed_in, document):
    services.document_update(
        actor=document.owner,
        document=document,
        version=1,
        title="Plan 2",
        content={"blocks": [{"type": "paragraph", "text": "Brand new words"}]},
    )

    html = signed_in.get(reverse("documents:history", args=[document.pk])).content.decode()

    assert 'data-version="2"' in html
    assert 'data-version="1"' in html
    assert 'id="diff"' in html
    assert "Brand new words" in html
    assert "Restore version 1" in html


def test_restore_version_from_the_history_page(signed_in, document):
    services.document_update(actor=document.owner, document=document, version=1, title="B")

    response = signed_in.post(reverse("documents:version-restore", args=[document.pk, 1]))

    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.version, document.title) == (3, "Plan")


def test_trash_and_restore_through_the_pages(signed_in, document):
    signed_in.post(reverse("documents:delete", args=[document.pk]))
    assert signed_in.get(reverse("documents:editor", args=[document.pk])).status_code == 404

    html = signed_in.get(reverse("documents:trash")).content.decode()
    assert f'id="trashed-{document.pk}"' in html

    signed_in.post(reverse("documents:restore", args=[document.pk]))
    document.refresh_from_db()
    assert document.deleted_at is None


def test_a_manager_shares_and_unshares_by_email(signed_in, document):
    friend = UserFactory(email="friend@example.com")
    url = reverse("documents:shares", args=[document.pk])

    signed_in.post(url, {"email": "Friend@example.com", "permission": "edit"})
    assert "friend@example.com" in signed_in.get(url).content.decode()
    assert services.share_edges(document).get().metadata == {"permission": "edit"}

    signed_in.post(url, {"remove": str(friend.pk)})
    assert not services.share_edges(document).exists()


def test_a_viewer_sees_shares_without_the_form(client, document):
    reader = UserFactory()
    share(document, reader, "view")
    client.force_login(reader)
    url = reverse("documents:shares", args=[document.pk])

    html = client.get(url).content.decode()
    client.post(url, {"email": reader.email, "permission": "manage"})

    assert 'id="share-form"' not in html
    assert services.share_edges(document).get().metadata == {"permission": "view"}


def test_each_row_links_its_editor_with_its_type_label_in_the_callers_language(signed_in, user):
    from projects.tests.factories import ProjectFactory, add_member

    project = ProjectFactory(name="Apollo")
    add_member(project, user=user)
    rows = [
        DocumentFactory(owner=user, title="Sheet", doc_type="excel"),
        DocumentFactory(owner=project.owner, title="Deck", doc_type="powerpoint", project=project),
    ]

    signed_in.cookies["django_language"] = "de"
    html = signed_in.get(reverse("documents:list")).content.decode()

    assert 'lang="de"' in html

    for document in rows:
        editor = reverse("documents:editor", args=[document.pk])
        assert f'<td><a href="{editor}">{document.title}</a></td>' in html
        with translation.override("de"):
            assert f'<span class="badge">{document.get_doc_type_display()}</span>' in html
    assert "Apollo" in html  # the project's documents, and the project offered in the form
    assert f'<option value="{project.pk}">Apollo</option>' in html


def test_the_list_runs_a_constant_number_of_queries(signed_in, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(reverse("documents:list")).status_code == 200
        return len(captured)

    DocumentFactory(owner=user)
    few = count()
    for _ in range(5):
        DocumentFactory(owner=user)
    assert count() == few
