"""/api/v1/files/: upload, list, read, change, delete, download, usage."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole
from nexus_site.events.models import Event
from projects.tests.factories import ProjectFactory, add_member
from workspace.files.models import Blob, File
from workspace.tests.files.factories import PDF, PNG, upload_file, uploaded, zip_bytes

pytestmark = pytest.mark.django_db
LIST = "/api/v1/files/"
USAGE = "/api/v1/files/usage/"


def detail(file, suffix=""):
    return f"/api/v1/files/{file.pk}/{suffix}"


def error_code(response):
    return response.json()["error"]["code"]


def post_file(client, content=b"hello world\n", name="hello.txt", **extra):
    return client.post(LIST, {"file": uploaded(content, name), **extra}, format="multipart")


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


# --- upload ------------------------------------------------------------------------------------


def test_upload_stores_the_file_with_its_hash_size_and_owner(auth_client, user, stored):
    response = post_file(auth_client, b"hello world\n", "notes.txt")

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "notes.txt"
    assert body["size"] == 12
    assert body["sha256"] == hashlib.sha256(b"hello world\n").hexdigest()
    assert body["mime_type"] == "text/plain"
    assert body["owner"] == str(user.pk)
    assert body["is_public"] is False
    assert body["download_count"] == 0
    assert stored(body["sha256"])


def test_upload_writes_the_owner_edge_and_an_event(auth_client, user):
    body = post_file(auth_client).json()

    file = File.objects.get(pk=body["id"])
    assert auth_client.get(detail(file)).status_code == 200
    event = Event.objects.get(type="file_uploaded")
    assert event.audience_node == f"workspace.file:{file.pk}"
    assert event.payload["file"] == str(file.pk)


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (PNG, "report.txt", "image/png"),
        (PDF, "photo.jpg", "application/pdf"),
        (zip_bytes(), "notes.txt", "application/zip"),
        ("grüße\n".encode(), "data.bin", "text/plain"),
        (b"\x00\x01\x02\xff\xfe", "readme.txt", "application/octet-stream"),
        (b"", "empty.png", "text/plain"),
    ],
)
def test_upload_detects_the_type_from_the_bytes_not_the_name(auth_client, content, name, expected):
    response = auth_client.post(
        LIST, {"file": uploaded(content, name, content_type="image/gif")}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["mime_type"] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
    ],
)
def test_upload_keeps_only_the_last_part_of_the_name(auth_client, raw, expected):
    response = post_file(auth_client, name=raw)

    assert response.status_code == 201
    assert response.json()["name"] == expected


def test_upload_into_a_project_the_uploader_may_edit(auth_client, user):
    project = ProjectFactory(owner=user)

    response = post_file(auth_client, project=str(project.pk))

    assert response.status_code == 201
    assert response.json()["project"] == str(project.pk)


def test_project_members_see_the_projects_files(user):
    project = ProjectFactory(owner=user)
    member = add_member(project)
    file = upload_file(user, project=project)

    response = bearer_client(member).get(detail(file))

    assert response.status_code == 200


def test_upload_into_a_hidden_project_is_422(auth_client):
    response = post_file(auth_client, project=str(ProjectFactory().pk))

    assert response.status_code == 422
    assert "project" in response.json()["error"]["details"]
    assert not File.objects.exists()


def test_upload_into_a_project_the_uploader_only_views_is_403(auth_client, user):
    project = ProjectFactory()
    add_member(project, role=MemberRole.GUEST, user=user)

    response = post_file(auth_client, project=str(project.pk))

    assert response.status_code == 403
    assert not File.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"file": "not a file"},
        {"file": uploaded(), "project": "not-a-uuid"},
    ],
)
def test_upload_with_bad_fields_is_422_not_500(auth_client, data):
    response = auth_client.post(LIST, data, format="multipart")

    assert response.status_code == 422
    assert error_code(response) == "validation"


def test_upload_as_json_is_refused_cleanly(auth_client):
    response = auth_client.post(LIST, {"file": "x"}, format="json")

    assert response.status_code == 415


def test_upload_needs_login(api_client):
    response = post_file(api_client)

    assert response.status_code == 401
    assert not File.objects.exists()


# --- limits and quota --------------------------------------------------------------------------


def test_upload_past_the_size_limit_is_413_and_keeps_nothing(auth_client, settings, stored):
    settings.FILE_UPLOAD_MAX_BYTES = 10

    response = post_file(auth_client, b"eleven byte")

    assert response.status_code == 413
    assert error_code(response) == "file_too_large"
    assert not File.objects.exists()
    assert not Blob.objects.exists()
    assert not stored(hashlib.sha256(b"eleven byte").hexdigest())


def test_upload_at_the_size_limit_is_accepted(auth_client, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 10

    assert post_file(auth_client, b"ten bytes!").status_code == 201


def test_upload_announced_larger_than_the_limit_is_refused_before_reading(auth_client, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 10

    response = auth_client.generic(
        "POST",
        LIST,
        b"tiny",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10 * 1024**2),
    )

    assert response.status_code == 413
    assert error_code(response) == "file_too_large"


def test_upload_past_the_quota_is_413_and_keeps_nothing(auth_client, user, settings):
    settings.FILE_USER_QUOTA_BYTES = 20
    upload_file(user, b"0123456789abcdef")  # 16 bytes

    response = post_file(auth_client, b"12345")

    assert response.status_code == 413
    assert error_code(response) == "quota_exceeded"
    assert File.objects.count() == 1
    assert Blob.objects.count() == 1


def test_quota_counts_duplicates_of_ones_own_files(auth_client, user, settings):
    settings.FILE_USER_QUOTA_BYTES = 20
    upload_file(user, b"0123456789")

    assert post_file(auth_client, b"0123456789").status_code == 201
    response = post_file(auth_client, b"0123456789")

    assert response.status_code == 413
    assert error_code(response) == "quota_exceeded"


def test_usage_shows_logical_and_physical_bytes(auth_client, user, settings):
    settings.FILE_USER_QUOTA_BYTES = 1000
    upload_file(user, b"0123456789")
    upload_file(user, b"0123456789", name="copy.txt")
    upload_file(user, b"abc")
    upload_file(UserFactory(), b"not mine at all")

    body = auth_client.get(USAGE).json()

    assert body == {
        "file_count": 3,
        "logical_bytes": 23,
        "physical_bytes": 13,
        "quota_bytes": 1000,
        "available_bytes": 977,
    }


# --- dedup and deletion ------------------------------------------------------------------------


def test_identical_content_is_stored_once_with_a_reference_count(auth_client, user, stored):
    other = UserFactory()
    first = upload_file(user, b"same bytes", name="a.txt")
    second = upload_file(other, b"same bytes", name="b.txt")

    assert first.blob_id == second.blob_id
    blob = Blob.objects.get()
    assert blob.refcount == 2
    assert blob.storage_name == f"blobs/{blob.sha256[:2]}/{blob.sha256[2:4]}/{blob.sha256}"
    assert stored(blob.sha256)


def test_blob_bytes_go_only_with_the_last_file(
    auth_client, user, stored, django_capture_on_commit_callbacks
):
    first = upload_file(user, b"same bytes", name="a.txt")
    second = upload_file(user, b"same bytes", name="b.txt")
    sha = first.sha256

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(detail(first)).status_code == 204
    assert Blob.objects.get().refcount == 1
    assert stored(sha)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(detail(second)).status_code == 204
    assert not Blob.objects.exists()
    assert not stored(sha)


def test_delete_removes_the_file_its_edges_and_publishes(auth_client, user):
    file = upload_file(user)

    response = auth_client.delete(detail(file))

    assert response.status_code == 204
    assert not File.objects.exists()
    assert auth_client.get(detail(file)).status_code == 404
    assert Event.objects.filter(type="file_deleted", payload__file=str(file.pk)).exists()


def test_a_project_member_may_not_delete_someone_elses_file(user):
    project = ProjectFactory(owner=user)
    member = add_member(project)
    file = upload_file(user, project=project)

    response = bearer_client(member).delete(detail(file))

    assert response.status_code == 403
    assert File.objects.filter(pk=file.pk).exists()


# --- list and detail ---------------------------------------------------------------------------


def test_list_shows_visible_files_only(auth_client, user):
    upload_file(user, name="mine.txt")
    upload_file(UserFactory(), name="theirs.txt")

    response = auth_client.get(LIST)

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["mine.txt"]


def test_list_searches_filters_and_orders(auth_client, user):
    project = ProjectFactory(owner=user)
    upload_file(user, b"a" * 5, name="alpha.txt")
    upload_file(user, PNG, name="beta.png", project=project)
    upload_file(user, PDF, name="gamma.pdf")

    def names(query):
        response = auth_client.get(LIST, query)
        assert response.status_code == 200
        return [row["name"] for row in response.json()["results"]]

    assert names({"search": "amm"}) == ["gamma.pdf"]
    assert names({"project": str(project.pk)}) == ["beta.png"]
    assert names({"mime_type": "application/pdf"}) == ["gamma.pdf"]
    assert names({"ordering": "name"}) == ["alpha.txt", "beta.png", "gamma.pdf"]
    assert names({"ordering": "-size", "limit": 1}) == ["beta.png"]


def test_list_refuses_a_malformed_project_filter_with_422(auth_client, user):
    upload_file(user)

    response = auth_client.get(LIST, {"project": "nope"})

    assert response.status_code == 422
    assert error_code(response) == "validation"


@pytest.mark.parametrize("query", [{"ordering": "owner__password"}, {"limit": "x"}])
def test_list_ignores_orderings_and_limits_it_does_not_know(auth_client, user, query):
    upload_file(user)

    response = auth_client.get(LIST, query)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_list_runs_a_constant_number_of_queries(auth_client, user, django_assert_num_queries):
    upload_file(user, b"one", project=ProjectFactory(owner=user))
    with CaptureQueriesContext(connection) as few:
        assert auth_client.get(LIST).status_code == 200
    for index in range(6):
        upload_file(user, f"file {index}".encode(), project=ProjectFactory(owner=user))

    with django_assert_num_queries(len(few)):
        response = auth_client.get(LIST)

    assert response.json()["count"] == 7


def test_patch_renames_and_moves_a_file(auth_client, user):
    file = upload_file(user)
    project = ProjectFactory(owner=user)

    response = auth_client.patch(
        detail(file), {"name": "sub/renamed.txt", "project": str(project.pk)}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "renamed.txt"
    assert response.json()["project"] == str(project.pk)


def test_patch_with_a_hidden_project_is_422(auth_client, user):
    file = upload_file(user)

    response = auth_client.patch(detail(file), {"project": str(ProjectFactory().pk)}, format="json")

    assert response.status_code == 422


@pytest.mark.parametrize("body", [{"name": ""}, {"project": "x"}, {"name": None}, []])
def test_patch_with_bad_input_is_422_not_500(auth_client, user, body):
    file = upload_file(user)

    response = auth_client.patch(detail(file), body, format="json")

    assert response.status_code == 422
    assert error_code(response) == "validation"
    assert File.objects.get(pk=file.pk).name == file.name


# --- download ---------------------------------------------------------------------------------


def test_download_streams_the_bytes_with_safe_headers(auth_client, user):
    file = upload_file(user, PNG, name="résumé report.txt")

    response = auth_client.get(detail(file, "download/"), HTTP_ACCEPT="application/octet-stream")

    assert response.status_code == 200
    assert streamed(response) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(PNG))
    assert response["ETag"] == f'"{file.sha256}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''r%C3%A9sum%C3%A9%20report.txt" in disposition


def test_download_counts_each_download(auth_client, user):
    file = upload_file(user)

    for _ in range(3):
        streamed(auth_client.get(detail(file, "download/")))

    assert auth_client.get(detail(file)).json()["download_count"] == 3


# --- access: another user's file is 404 everywhere --------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"name": "x"}),
        ("delete", "", None),
        ("get", "download/", None),
        ("get", "public-link/", None),
        ("post", "public-link/", {}),
        ("delete", "public-link/", None),
    ],
)
def test_another_users_file_is_404_on_every_endpoint(auth_client, method, suffix, body):
    file = upload_file(UserFactory())

    response = getattr(auth_client, method)(detail(file, suffix), body, format="json")

    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert File.objects.get(pk=file.pk).download_count == 0
