"""The OpenAPI schema describes the mail endpoints and their bodies."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_schema_lists_the_mail_endpoints(schema):
    paths = schema["paths"]

    assert set(paths["/api/v1/mail/messages/"]) >= {"get", "post"}
    assert set(paths["/api/v1/mail/messages/{entry_id}/"]) >= {"get", "patch", "delete"}
    assert "post" in paths["/api/v1/mail/messages/{entry_id}/send/"]
    assert "post" in paths["/api/v1/mail/messages/{entry_id}/restore/"]
    assert "get" in paths["/api/v1/mail/threads/{thread_id}/"]
    assert "get" in paths["/api/v1/mail/folders/"]


def test_schema_describes_the_message_and_its_filters(schema):
    message = schema["components"]["schemas"]["MessageOutput"]["properties"]
    listing = schema["paths"]["/api/v1/mail/messages/"]["get"]

    assert {"to", "cc", "bcc", "thread", "in_reply_to", "status", "is_read", "attachments"} <= set(
        message
    )
    assert {p["name"] for p in listing["parameters"]} >= {"folder", "search", "is_read"}
    assert set(schema["paths"]["/api/v1/mail/messages/{entry_id}/send/"]["post"]["responses"]) >= {
        "200",
        "404",
        "409",
        "422",
    }
