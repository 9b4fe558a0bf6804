"""The error envelope of API.md for every status a client can cause, in the caller's language."""

import pytest
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return body["error"]


def test_malformed_json_is_400_bad_request(api_client):
    response = api_client.post(TOKEN_URL, data="{not json", content_type="application/json")

    assert_envelope(response, 400, "bad_request")


def test_missing_credentials_is_401(api_client):
    response = api_client.get("/api/v1/auth/me/")

    assert_envelope(response, 401, "authentication")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_garbage_bearer_token_is_401_invalid_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    response = api_client.get("/api/v1/auth/me/")

    assert_envelope(response, 401, "invalid_token")


def test_customer_on_admin_api_is_403(auth_client):
    response = auth_client.get("/api/v1/admin/users/", HTTP_X_SOURCE="admin")

    assert_envelope(response, 403, "authorization")


def test_unknown_api_path_is_404_envelope(api_client):
    response = api_client.get("/api/v1/no-such-thing/")

    assert_envelope(response, 404, "not_found")


def test_wrong_method_is_405(api_client):
    response = api_client.get(TOKEN_URL)

    assert_envelope(response, 405, "method_not_allowed")


def test_duplicate_user_by_staff_is_409(staff_client, user):
    response = staff_client.post(
        "/api/v1/admin/users/",
        {"email": user.email.upper(), "password": DEFAULT_PASSWORD},
        format="json",
    )

    assert_envelope(response, 409, "conflict")


def test_invalid_fields_are_422_with_field_details(api_client):
    response = api_client.post(
        "/api/v1/auth/register/", {"email": "not-an-email", "password": "1"}, format="json"
    )

    error = assert_envelope(response, 422, "validation")
    assert "email" in error["details"]


def test_throttled_login_is_429_with_retry_after(api_client):
    credentials = {"email": "nobody@example.com", "password": "wrong"}
    statuses = [
        api_client.post(TOKEN_URL, credentials, format="json").status_code for _ in range(11)
    ]
    response = api_client.post(TOKEN_URL, credentials, format="json")

    assert 429 not in statuses[:10]  # settings allow 10 a minute per e-mail address
    error = assert_envelope(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    assert error["details"]["retry_after_seconds"] > 0


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Falsche E-Mail-Adresse oder falsches Passwort."),
        ("ar", "البريد الإلكتروني أو كلمة المرور غير صحيحة."),
    ],
)
def test_error_message_follows_accept_language(api_client, language, expected):
    UserFactory(email="someone@example.com")

    response = api_client.post(
        TOKEN_URL,
        {"email": "someone@example.com", "password": "wrong"},
        format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )

    error = assert_envelope(response, 401, "authentication")
    assert error["message"] == expected


def test_validation_details_are_translated(api_client):
    response = api_client.post(
        "/api/v1/auth/register/",
        {"email": "x@example.com", "password": "1"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )

    error = assert_envelope(response, 422, "validation")
    assert error["message"] == "Die Daten sind ungültig."


def test_unknown_x_source_is_400(api_client):
    response = api_client.get("/healthz", HTTP_X_SOURCE="mobile")

    error = assert_envelope(response, 400, "bad_request")
    assert "X-Source" in error["details"]


def test_x_source_admin_is_kept_in_request_context(staff_client):
    response = staff_client.get("/api/v1/admin/users/")

    assert response.status_code == 200


def test_x_source_defaults_to_customer_so_staff_need_the_header(staff_user):
    from conftest import bearer_client

    client = bearer_client(staff_user)

    response = client.get("/api/v1/admin/users/")

    assert_envelope(response, 403, "authorization")


def test_page_404_is_html_not_json():
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_user_saved_language_applies_without_accept_language(user):
    from conftest import bearer_client

    user.language = "de"
    user.save()
    client = bearer_client(user)

    response = client.post("/api/v1/auth/password/change/", {}, format="json")

    error = assert_envelope(response, 422, "validation")
    assert error["message"] == "Die Daten sind ungültig."


@pytest.mark.parametrize("content_type", ["application/json", "form"])
def test_a_body_over_the_upload_limit_is_413_and_writes_nothing(
    auth_client, settings, content_type
):
    from projects.models import Project

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    data = {"name": "x" * 5000}
    if content_type == "form":
        response = auth_client.post("/api/v1/projects/", data=data)
    else:
        response = auth_client.post("/api/v1/projects/", data=data, format="json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Project.objects.exists()


def test_a_page_form_over_the_upload_limit_is_a_413_page(settings):
    from django.urls import reverse

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = Client().post(
        reverse("accounts:login"), data={"username": "x" * 5000, "password": "x"}
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
