"""The OpenAPI schema declares the errors each operation answers, in the error envelope, and
the shapes its answers really have (nullable fields, download content types)."""

import pytest
from django.test import Client

from conftest import bearer_client

pytestmark = pytest.mark.django_db

ENVELOPE = "#/components/schemas/ErrorEnvelope"
METHODS = ("get", "post", "put", "patch", "delete")
NO_SUCH_ID = "0193a0a0-0000-7000-8000-000000000000"


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict):
    for path, items in schema["paths"].items():
        for method, operation in items.items():
            if method in METHODS:
                yield path, method, operation


def declared(schema: dict, path: str, method: str) -> set[int]:
    return {int(code) for code in schema["paths"][path][method]["responses"]}


def test_every_operation_declares_400(schema):
    missing = [
        (method, path)
        for path, method, operation in operations(schema)
        if "400" not in operation["responses"]
    ]

    assert missing == []


def test_every_error_answer_declared_is_the_error_envelope(schema):
    for path, method, operation in operations(schema):
        for code, answer in operation["responses"].items():
            if int(code) >= 400:
                content = answer.get("content", {})
                assert content["application/json"]["schema"]["$ref"] == ENVELOPE, (
                    method,
                    path,
                    code,
                )


def test_every_operation_on_an_object_declares_404(schema):
    missing = [
        (method, path)
        for path, method, operation in operations(schema)
        if "{" in path and "404" not in operation["responses"]
    ]

    assert missing == []


def test_every_write_declares_403_409_and_422_when_it_takes_a_body(schema):
    for path, method, operation in operations(schema):
        if method == "get":
            continue
        codes = set(operation["responses"])
        assert {"403", "409"} <= codes, (method, path)
        if "requestBody" in operation:
            assert {"415", "422"} <= codes, (method, path)


def test_throttled_operations_declare_429_and_503(schema):
    for path in ("/api/v1/auth/token/", "/api/v1/auth/register/", "/api/v1/auth/password/reset/"):
        assert {429, 503} <= declared(schema, path, "post"), path


def test_an_operation_keeps_the_error_description_it_gives_itself(schema):
    answer = schema["paths"]["/api/v1/patterns/{key}/execute/"]["post"]["responses"]["422"]

    assert "definition problems" in answer["description"]


def test_a_shares_expiry_is_nullable(schema):
    expires_at = schema["components"]["schemas"]["ShareOutput"]["properties"]["expires_at"]

    assert expires_at["nullable"] is True


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/files/{file_id}/download/",
        "/api/v1/documents/{document_id}/attachments/{file_id}/download/",
        "/api/v1/mail/messages/{entry_id}/attachments/{file_id}/download/",
        "/api/v1/chat/rooms/{room_id}/messages/{message_id}/attachments/{file_id}/download/",
    ],
)
def test_downloads_declare_any_content_type_304_and_410(schema, path):
    responses = schema["paths"][path]["get"]["responses"]

    assert list(responses["200"]["content"]) == ["*/*"]
    assert {"304", "410", "404"} <= set(responses)


def test_document_export_declares_the_office_types(schema):
    content = schema["paths"]["/api/v1/documents/{document_id}/export/"]["get"]["responses"]["200"]

    assert (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        in content["content"]
    )


# --- answers given are answers declared -------------------------------------------------------


BAD_SOURCE = {"HTTP_X_SOURCE": "nowhere"}
JSON = {"content_type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path", "url", "body", "extra"),
    [
        ("get", "/api/v1/projects/", "/api/v1/projects/", None, BAD_SOURCE),
        ("post", "/api/v1/projects/", "/api/v1/projects/", "{broken", JSON),
        ("post", "/api/v1/projects/", "/api/v1/projects/", '{"name": ""}', JSON),
        ("get", "/api/v1/tasks/{task_id}/", f"/api/v1/tasks/{NO_SUCH_ID}/", None, {}),
        ("post", "/api/v1/ai/interactions/", "/api/v1/ai/interactions/", "{}", JSON),
        # A body without a Content-Type (DRF: no parser reads it) is a 415.
        ("post", "/api/v1/patterns/", "/api/v1/patterns/", "{}", {"content_type": ""}),
        (
            "post",
            "/api/v1/documents/{document_id}/shares/",
            f"/api/v1/documents/{NO_SUCH_ID}/shares/",
            "{}",
            JSON,
        ),
    ],
)
def test_an_error_answer_is_one_the_operation_declares(
    schema, user, method, path, url, body, extra
):
    response = bearer_client(user).generic(method.upper(), url, body or "", **extra)

    assert response.status_code >= 400
    assert response.status_code in declared(schema, path, method), response.status_code
