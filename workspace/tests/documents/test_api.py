"""/api/v1/documents/: list, create, read, change (409 when stale), versions, diff, shares,
trash, export and import."""

import datetime
import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole, Role
from nexus_site.events.models import Event
from nexus_site.exceptions import AuthorizationError, NotFoundError
from projects.tests.factories import ProjectFactory, add_member
from relations.access import can, explain
from relations.nodes import node_of
from workspace.documents import services
from workspace.documents.models import Document, DocumentVersion
from workspace.documents.office import export_docx, export_pptx, export_xlsx
from workspace.tests.documents.factories import CONTENT, DocumentFactory, share

pytestmark = pytest.mark.django_db
LIST = "/api/v1/documents/"
IMPORT = "/api/v1/documents/import/"


def detail(document, suffix=""):
    return f"/api/v1/documents/{document.pk}/{suffix}"


def error_code(response):
    return response.json()["error"]["code"]


@pytest.fixture
def document(user):
    return DocumentFactory(owner=user, title="Plan", doc_type="word")


def edit(client, document, version, **fields):
    return client.patch(detail(document), {"version": version, **fields}, format="json")


def new_word(text):
    return {"blocks": [{"type": "paragraph", "text": text}]}


# --- list ------------------------------------------------------------------------------------


def test_list_shows_own_shared_and_project_documents_but_not_others(auth_client, user, document):
    shared = DocumentFactory(title="Shared")
    share(shared, user)
    project = ProjectFactory()
    add_member(project, user=user)
    DocumentFactory(title="In project", owner=project.owner, project=project)
    DocumentFactory(title="Hidden")

    response = auth_client.get(LIST)

    assert response.status_code == 200
    assert {row["title"] for row in response.json()["results"]} == {
        "Plan",
        "Shared",
        "In project",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"doc_type": "excel"}, ["Budget"]),
        ({"search": "deck"}, ["Sales deck"]),
        ({"ordering": "title"}, ["Budget", "Notes", "Sales deck"]),
        ({"ordering": "-title", "limit": 1, "offset": 1}, ["Notes"]),
    ],
)
def test_list_filters_searches_orders_and_paginates(auth_client, user, query, expected):
    DocumentFactory(owner=user, title="Notes")
    DocumentFactory(owner=user, title="Budget", doc_type="excel")
    DocumentFactory(owner=user, title="Sales deck", doc_type="powerpoint")

    response = auth_client.get(LIST, query)

    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == expected


def test_list_filters_by_project(auth_client, user):
    project = ProjectFactory(owner=user)
    DocumentFactory(owner=user, title="Inside", project=project)
    DocumentFactory(owner=user, title="Outside")

    response = auth_client.get(LIST, {"project": str(project.pk)})

    assert [row["title"] for row in response.json()["results"]] == ["Inside"]


@pytest.mark.parametrize("query", [{"doc_type": "pdf"}, {"project": "nope"}, {"deleted": "x"}])
def test_list_refuses_a_bad_filter_with_422(auth_client, document, query):
    response = auth_client.get(LIST, query)

    assert response.status_code == 422
    assert error_code(response) == "validation"


def test_list_runs_the_same_number_of_queries_for_2_and_20_documents(auth_client, user):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(LIST, {"limit": 100})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    project = ProjectFactory(owner=user)
    for index in range(2):
        DocumentFactory(owner=user, project=project if index else None)
    few = count_queries()
    colleague = add_member(project)
    for index in range(18):
        if index % 2:
            DocumentFactory(owner=colleague, project=project)
        else:
            share(DocumentFactory(), user)
    many = count_queries()

    assert (few[1], many[1]) == (2, 20)
    assert few[0] == many[0]


def test_list_needs_authentication(api_client):
    response = api_client.get(LIST)

    assert response.status_code == 401


# --- create ----------------------------------------------------------------------------------


def test_create_makes_version_1_and_the_owner_edge(auth_client, user):
    response = auth_client.post(
        LIST, {"title": "Memo", "doc_type": "word", "content": new_word("Hi")}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["owner"], body["permission"]) == (1, str(user.pk), "manage")
    document = Document.objects.get(pk=body["id"])
    assert list(document.versions.values_list("number", "title")) == [(1, "Memo")]
    assert explain(user, "manage", node_of(document)).reason == "owner"


@pytest.mark.parametrize("doc_type", ["word", "excel", "powerpoint"])
def test_create_without_content_starts_empty(auth_client, doc_type):
    response = auth_client.post(LIST, {"title": "Blank", "doc_type": doc_type}, format="json")

    assert response.status_code == 201
    assert response.json()["content"] == services.empty_content(doc_type)


def test_create_refuses_content_that_breaks_the_schema(auth_client):
    response = auth_client.post(
        LIST,
        {"title": "Bad", "doc_type": "word", "content": {"blocks": [{"type": "poem"}]}},
        format="json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"]["content"]
    assert not Document.objects.exists()


def test_create_in_a_project_reaches_its_members(auth_client, user):
    project = ProjectFactory(owner=user)
    colleague = add_member(project, role=MemberRole.MEMBER)

    response = auth_client.post(
        LIST, {"title": "Spec", "doc_type": "word", "project": str(project.pk)}, format="json"
    )

    assert response.status_code == 201
    document = Document.objects.get(pk=response.json()["id"])
    assert can(colleague, "edit", node_of(document))
    assert bearer_client(colleague).get(detail(document)).status_code == 200


def test_create_in_an_invisible_project_is_422(auth_client):
    project = ProjectFactory()

    response = auth_client.post(
        LIST, {"title": "Spec", "doc_type": "word", "project": str(project.pk)}, format="json"
    )

    assert response.status_code == 422
    assert "project" in response.json()["error"]["details"]


def test_guests_cannot_create_documents():
    guest = UserFactory(role=Role.GUEST)

    response = bearer_client(guest).post(LIST, {"title": "X", "doc_type": "word"}, format="json")

    assert response.status_code == 403


# --- detail and update -------------------------------------------------------------------------


def test_detail_answers_the_document_with_its_content(auth_client, document):
    response = auth_client.get(detail(document))

    assert response.status_code == 200
    assert response.json()["content"] == CONTENT["word"]


def test_patch_makes_a_new_version(auth_client, user, document):
    response = edit(auth_client, document, 1, title="Plan B", content=new_word("Second"))

    assert response.status_code == 200
    assert response.json()["version"] == 2
    versions = list(document.versions.order_by("number").values_list("number", "title"))
    assert versions == [(1, "Plan"), (2, "Plan B")]
    assert DocumentVersion.objects.get(document=document, number=2).author == user


def test_patch_with_a_stale_version_is_a_409_and_keeps_the_newer_change(auth_client, document):
    assert edit(auth_client, document, 1, content=new_word("Mine")).status_code == 200

    response = edit(auth_client, document, 1, content=new_word("Theirs"))

    assert response.status_code == 409
    assert error_code(response) == "conflict"
    assert response.json()["error"]["details"]["current_version"] == 2
    document.refresh_from_db()
    assert (document.version, document.content) == (2, new_word("Mine"))
    assert document.versions.count() == 2


def test_patch_without_a_version_is_422(auth_client, document):
    response = auth_client.patch(detail(document), {"title": "X"}, format="json")

    assert response.status_code == 422
    assert "version" in response.json()["error"]["details"]


def test_patch_with_invalid_content_changes_nothing(auth_client, document):
    response = edit(auth_client, document, 1, content={"slides": []})

    assert response.status_code == 422
    document.refresh_from_db()
    assert document.version == 1


def test_patch_without_a_change_keeps_the_version(auth_client, document):
    response = edit(auth_client, document, 1, title="Plan")

    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_a_view_share_reads_but_may_not_edit(document):
    reader = UserFactory()
    share(document, reader, "view")
    client = bearer_client(reader)

    assert client.get(detail(document)).json()["permission"] == "view"
    response = edit(client, document, 1, title="Mine now")

    assert response.status_code == 403


def test_an_edit_share_may_edit_but_not_delete_or_share(document):
    editor = UserFactory()
    share(document, editor, "edit")
    client = bearer_client(editor)

    assert edit(client, document, 1, title="Edited").status_code == 200
    assert client.delete(detail(document)).status_code == 403
    response = client.post(
        detail(document, "shares/"), {"user": str(UserFactory().pk), "permission": "view"}
    )
    assert response.status_code == 403


# --- versions, restore and diff ------------------------------------------------------------------


def test_versions_list_newest_first(auth_client, document):
    edit(auth_client, document, 1, content=new_word("Two"))

    response = auth_client.get(detail(document, "versions/"))

    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [2, 1]


def test_versions_list_runs_constant_queries(auth_client, user, document):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(detail(document, "versions/"), {"limit": 100})
        assert response.status_code == 200
        return len(queries)

    few = count_queries()
    for number in range(1, 11):
        author = user if number % 2 else UserFactory()
        if author != user:
            share(document, author, "edit")
        services.document_update(
            actor=author, document=document, version=number, content=new_word(f"v{number}")
        )
    assert count_queries() == few


def test_version_detail_holds_that_versions_content(auth_client, document):
    edit(auth_client, document, 1, content=new_word("Two"))

    response = auth_client.get(detail(document, "versions/1/"))

    assert response.status_code == 200
    assert response.json()["content"] == CONTENT["word"]
    assert auth_client.get(detail(document, "versions/9/")).status_code == 404


def test_restoring_a_version_makes_a_new_one(auth_client, document):
    edit(auth_client, document, 1, title="Changed", content=new_word("Two"))

    response = auth_client.post(detail(document, "versions/1/restore/"))

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["title"], body["content"]) == (3, "Plan", CONTENT["word"])
    assert document.versions.count() == 3


def test_restoring_needs_edit(document):
    reader = UserFactory()
    share(document, reader, "view")

    response = bearer_client(reader).post(detail(document, "versions/1/restore/"))

    assert response.status_code == 403


def test_diff_between_two_versions(auth_client, document):
    edit(auth_client, document, 1, title="Plan 2", content=new_word("Only this"))

    response = auth_client.get(detail(document, "diff/"), {"from": 1, "to": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == {"old": "Plan", "new": "Plan 2"}
    assert body["diff"]["summary"]["removed"] + body["diff"]["summary"]["changed"] >= 1


@pytest.mark.parametrize(
    "query", [{}, {"from": 1}, {"from": "a", "to": 1}, {"from": 0, "to": 1}, {"from": -1, "to": 1}]
)
def test_diff_refuses_bad_or_missing_numbers_with_422(auth_client, document, query):
    response = auth_client.get(detail(document, "diff/"), query)

    assert response.status_code == 422


def test_diff_with_an_unknown_version_is_404(auth_client, document):
    response = auth_client.get(detail(document, "diff/"), {"from": 1, "to": 7})

    assert response.status_code == 404


# --- shares ----------------------------------------------------------------------------------


def test_share_grants_access_through_a_member_edge(auth_client, document):
    friend = UserFactory()

    response = auth_client.post(
        detail(document, "shares/"),
        {"user": str(friend.pk), "permission": "comment"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["permission"] == "comment"
    assert can(friend, "comment", node_of(document))
    assert not can(friend, "edit", node_of(document))
    assert explain(friend, "view", node_of(document)).reason == "member"


def test_sharing_again_updates_the_share(auth_client, document):
    friend = UserFactory()
    for permission in ("view", "edit"):
        auth_client.post(
            detail(document, "shares/"),
            {"user": str(friend.pk), "permission": permission},
            format="json",
        )

    rows = auth_client.get(detail(document, "shares/")).json()["results"]

    assert [(row["user"], row["permission"]) for row in rows] == [(str(friend.pk), "edit")]
    assert can(friend, "edit", node_of(document))


def test_share_with_an_unknown_user_or_bad_permission_is_422(auth_client, document):
    unknown = auth_client.post(
        detail(document, "shares/"),
        {"user": "0193a000-0000-7000-8000-000000000000", "permission": "view"},
        format="json",
    )
    bad = auth_client.post(
        detail(document, "shares/"),
        {"user": str(UserFactory().pk), "permission": "own"},
        format="json",
    )

    assert (unknown.status_code, bad.status_code) == (422, 422)


def test_an_expired_share_stops_granting_at_once(document):
    friend = UserFactory()
    edge = share(document, friend, "edit", expires_at=timezone.now() + datetime.timedelta(hours=1))
    client = bearer_client(friend)
    assert client.get(detail(document)).status_code == 200

    # The clock moves past the expiry: rewrite it into the past, as time would.
    edge.metadata["expires_at"] = (timezone.now() - datetime.timedelta(seconds=1)).isoformat()
    edge.save(update_fields=["metadata"])

    assert client.get(detail(document)).status_code == 404
    assert client.get(LIST).json()["count"] == 0
    assert not can(friend, "view", node_of(document))
    rows = bearer_client(document.owner).get(detail(document, "shares/")).json()["results"]
    assert rows[0]["active"] is False


def test_share_list_runs_constant_queries(auth_client, document):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(detail(document, "shares/"), {"limit": 100})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    share(document, UserFactory())
    few = count_queries()
    for _ in range(8):
        share(document, UserFactory())
    many = count_queries()

    assert (few[1], many[1]) == (1, 9)
    assert few[0] == many[0]


def test_unshare_removes_access(auth_client, document):
    friend = UserFactory()
    share(document, friend)

    response = auth_client.delete(detail(document, f"shares/{friend.pk}/"))

    assert response.status_code == 204
    assert not can(friend, "view", node_of(document))
    assert auth_client.delete(detail(document, f"shares/{friend.pk}/")).status_code == 404


def test_a_manage_share_may_share_and_delete(document):
    manager = UserFactory()
    share(document, manager, "manage")
    client = bearer_client(manager)

    response = client.post(
        detail(document, "shares/"), {"user": str(UserFactory().pk), "permission": "view"}
    )

    assert response.status_code == 201
    assert client.delete(detail(document)).status_code == 204


def test_an_admin_may_manage_any_document(document):
    admin = UserFactory(role=Role.ADMIN)

    assert bearer_client(admin).delete(detail(document)).status_code == 204


# --- trash -----------------------------------------------------------------------------------


def test_delete_moves_to_the_trash_and_restore_brings_it_back(auth_client, document):
    assert auth_client.delete(detail(document)).status_code == 204

    assert auth_client.get(detail(document)).status_code == 404
    assert auth_client.get(LIST).json()["count"] == 0
    trash = auth_client.get(LIST, {"deleted": "true"}).json()["results"]
    assert [row["id"] for row in trash] == [str(document.pk)]
    assert trash[0]["deleted_at"] is not None

    response = auth_client.post(detail(document, "restore/"))

    assert response.status_code == 200
    assert response.json()["deleted_at"] is None
    assert auth_client.get(detail(document)).status_code == 200


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("get", "versions/"),
        ("get", "versions/1/"),
        ("post", "versions/1/restore/"),
        ("get", "diff/?from=1&to=1"),
        ("get", "shares/"),
        ("post", "shares/"),
        ("get", "export/"),
    ],
)
def test_a_trashed_document_answers_404_on_the_normal_endpoints(
    auth_client, document, method, suffix
):
    services.document_delete(actor=document.owner, document=document)

    response = getattr(auth_client, method)(detail(document, suffix), {}, format="json")

    assert response.status_code == 404


def test_restoring_a_live_document_is_404(auth_client, document):
    assert auth_client.post(detail(document, "restore/")).status_code == 404


def test_a_viewer_may_not_delete_or_restore(document):
    reader = UserFactory()
    share(document, reader, "view")
    client = bearer_client(reader)

    assert client.delete(detail(document)).status_code == 403
    services.document_delete(actor=document.owner, document=document)
    assert client.post(detail(document, "restore/")).status_code == 403


# --- access: another user's document answers 404 everywhere ----------------------------------


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "restore/"),
        ("get", "versions/"),
        ("get", "versions/1/"),
        ("post", "versions/1/restore/"),
        ("get", "diff/?from=1&to=1"),
        ("get", "shares/"),
        ("post", "shares/"),
        ("delete", "shares/{user}/"),
        ("get", "export/"),
    ],
)
def test_another_users_document_is_404_on_every_endpoint(auth_client, user, method, suffix):
    theirs = DocumentFactory()
    share(theirs, UserFactory())
    if method == "post" and suffix == "restore/":
        services.document_delete(actor=theirs.owner, document=theirs)
    url = detail(theirs, suffix.format(user=user.pk))

    response = getattr(auth_client, method)(
        url, {"version": 1, "user": str(user.pk), "permission": "view"}, format="json"
    )

    assert response.status_code == 404
    assert error_code(response) == "not_found"


# --- export and import -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc_type", "extension", "mime"),
    [
        ("word", ".docx", "wordprocessingml.document"),
        ("excel", ".xlsx", "spreadsheetml.sheet"),
        ("powerpoint", ".pptx", "presentationml.presentation"),
    ],
)
def test_export_then_import_round_trips_each_type(auth_client, user, doc_type, extension, mime):
    document = DocumentFactory(owner=user, title="Round trip", doc_type=doc_type)

    response = auth_client.get(detail(document, "export/"))

    assert response.status_code == 200
    assert response["Content-Type"].endswith(mime)
    assert response["Content-Disposition"] == f'attachment; filename="Round trip{extension}"'
    data = response.content
    assert zipfile.is_zipfile(io.BytesIO(data))

    upload = io.BytesIO(data)
    upload.name = f"copy{extension}"
    imported = auth_client.post(IMPORT, {"file": upload, "title": "Copy"}, format="multipart")

    assert imported.status_code == 201
    body = imported.json()
    assert (body["doc_type"], body["title"], body["version"]) == (doc_type, "Copy", 1)
    assert body["content"] == document.content


def test_import_into_a_project(auth_client, user):
    project = ProjectFactory(owner=user)
    upload = io.BytesIO(export_pptx(CONTENT["powerpoint"], "Deck"))
    upload.name = "deck.pptx"

    response = auth_client.post(
        IMPORT, {"file": upload, "project": str(project.pk)}, format="multipart"
    )

    assert response.status_code == 201
    assert (response.json()["project"], response.json()["title"]) == (str(project.pk), "Deck")


def test_import_refuses_a_file_over_the_limit_with_413(auth_client, settings):
    settings.DOCUMENT_IMPORT_MAX_BYTES = 1000
    upload = io.BytesIO(export_xlsx(CONTENT["excel"], "Big"))
    upload.name = "big.xlsx"

    response = auth_client.post(IMPORT, {"file": upload}, format="multipart")

    assert response.status_code == 413
    assert error_code(response) == "file_too_large"
    assert "file" in response.json()["error"]["details"]
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.docx", b"just some text, not a zip"),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 200),
        ("sheet.xlsx", None),  # a real .docx named as a workbook
    ],
)
def test_import_refuses_what_is_not_a_readable_office_file_with_422(auth_client, name, data):
    upload = io.BytesIO(data if data is not None else export_docx(CONTENT["word"], "W"))
    upload.name = name

    response = auth_client.post(IMPORT, {"file": upload}, format="multipart")

    assert response.status_code == 422
    assert "file" in response.json()["error"]["details"]
    assert not Document.objects.exists()


def test_import_without_a_file_is_422(auth_client):
    response = auth_client.post(IMPORT, {}, format="multipart")

    assert response.status_code == 422


# --- events ----------------------------------------------------------------------------------


def test_writes_publish_document_events_with_the_document_as_node(auth_client, user):
    body = auth_client.post(LIST, {"title": "E", "doc_type": "word"}, format="json").json()
    document = Document.objects.get(pk=body["id"])
    friend = UserFactory()
    edit(auth_client, document, 1, title="E2")
    auth_client.post(
        detail(document, "shares/"), {"user": str(friend.pk), "permission": "view"}, format="json"
    )
    auth_client.delete(detail(document))
    auth_client.post(detail(document, "restore/"))

    events = Event.objects.filter(type__startswith="document_").order_by("id")

    assert [event.type for event in events] == [
        "document_created",
        "document_updated",
        "document_shared",
        "document_deleted",
        "document_restored",
    ]
    assert {event.audience_node for event in events} == {str(node_of(document))}
    shared = events.get(type="document_shared")
    assert str(friend.pk) in shared.audience_users
    assert shared.payload["permission"] == "view"


# --- schema ----------------------------------------------------------------------------------


def test_the_schema_describes_the_document_endpoints(auth_client):
    response = auth_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/documents/",
        "/api/v1/documents/import/",
        "/api/v1/documents/{document_id}/diff/",
        "/api/v1/documents/{document_id}/shares/{user_id}/",
        "/api/v1/documents/{document_id}/versions/{number}/restore/",
    ):
        assert path in paths


@pytest.mark.parametrize(
    "content",
    [
        '{"blocks": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"blocks": [{"type": "paragraph", "text": "a\\u0000b"}]}',
    ],
    ids=["nested past the parser", "NUL character"],
)
def test_create_refuses_json_text_the_parser_or_database_cannot_take(auth_client, content):
    # A form field carries the content as JSON text: json itself would recurse too deep, and
    # PostgreSQL's jsonb refuses NUL; either is a 422 on the field, never a 500.
    response = auth_client.post(LIST, {"title": "Bad", "doc_type": "word", "content": content})

    assert response.status_code == 422
    assert response.json()["error"]["details"]["content"]
    assert not Document.objects.exists()


# --- cost per request ----------------------------------------------------------------------------


def access_statements(captured) -> list[str]:
    """Return the statements that decide access (the recursive hierarchy and grants read)."""
    return [query["sql"] for query in captured if "RECURSIVE" in query["sql"].upper()]


def test_detail_decides_access_once_on_the_document(auth_client, document):
    with CaptureQueriesContext(connection) as captured:
        response = auth_client.get(detail(document))

    assert response.status_code == 200
    assert response.json()["permission"] == "manage"
    assert len(access_statements(captured)) == 1
    statements = [query for query in captured if "django_content_type" not in query["sql"]]
    assert len(statements) == 3  # the user, the document, the access decision (types: cached)


def test_patch_decides_access_once_and_reads_nothing_back(document):
    editor = UserFactory()
    share(document, editor, "edit")
    client = bearer_client(editor)

    with CaptureQueriesContext(connection) as captured:
        response = edit(client, document, 1, title="Plan B")

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["version"], body["permission"]) == ("Plan B", 2, "edit")
    assert body["owner_name"] == document.owner.full_name
    assert len(access_statements(captured)) == 1
    document_reads = [
        query["sql"]
        for query in captured
        if query["sql"].startswith("SELECT") and '"workspace_document"' in query["sql"]
    ]
    assert len(document_reads) == 2  # the selector's read and the locked one, no read-back


def test_the_patch_answer_is_the_detail_answer(auth_client, document):
    patched = edit(auth_client, document, 1, title="Plan B", content=new_word("Two")).json()

    assert patched == auth_client.get(detail(document)).json()


def test_a_decision_made_for_one_user_is_not_taken_for_another(user, document):
    from workspace.documents import selectors

    loaded = selectors.document_get(user, document.pk)
    reader = UserFactory()
    share(document, reader, "view")

    with pytest.raises(AuthorizationError):
        services.document_update(actor=reader, document=loaded, version=1, title="Mine")
    stranger = UserFactory()
    with pytest.raises(NotFoundError):
        services.document_update(actor=stranger, document=loaded, version=1, title="Mine")


def test_detail_is_written_as_the_detail_serializer_writes_it(auth_client, user):
    from rest_framework.utils.encoders import JSONEncoder

    from workspace.documents.api.serializers import DocumentDetailOutputSerializer

    project = ProjectFactory(owner=user)
    for document in (
        DocumentFactory(owner=user, title="Plan", doc_type="word"),
        DocumentFactory(owner=user, title="Sheet", doc_type="excel", project=project),
    ):
        body = auth_client.get(detail(document)).json()

        document.refresh_from_db()
        document.permission = "manage"
        expected = DocumentDetailOutputSerializer(document).data
        assert body == json.loads(json.dumps(expected, cls=JSONEncoder))
    trashed = DocumentFactory(owner=user, title="Old")
    services.document_delete(actor=user, document=trashed)
    restored = auth_client.post(detail(trashed, "restore/")).json()
    trashed.refresh_from_db()
    trashed.permission = "manage"
    expected = DocumentDetailOutputSerializer(trashed).data
    assert restored == json.loads(json.dumps(expected, cls=JSONEncoder))
