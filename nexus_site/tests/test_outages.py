"""Redis down: the throttled account endpoints answer 503 service_unavailable (throttles fail
closed), in the API and on the pages, never 500."""

import pytest
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from nexus_site.tests.outages import cache_unreachable

pytestmark = pytest.mark.django_db


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.json()["error"]["message"]


def test_login_answers_503_when_the_cache_is_down(api_client):
    user = UserFactory()

    with cache_unreachable():
        response = api_client.post(
            "/api/v1/auth/token/", {"email": user.email, "password": DEFAULT_PASSWORD}
        )

    assert_unavailable(response)


def test_registration_answers_503_when_the_cache_is_down(api_client):
    body = {"email": "new@example.com", "password": "a-Long-passw0rd", "first_name": "N"}

    with cache_unreachable():
        response = api_client.post("/api/v1/auth/register/", body, format="json")

    assert_unavailable(response)


def test_no_account_is_created_while_registration_is_unavailable(api_client):
    from accounts.models import User

    body = {"email": "new@example.com", "password": "a-Long-passw0rd", "first_name": "N"}

    with cache_unreachable():
        api_client.post("/api/v1/auth/register/", body, format="json")

    assert not User.objects.filter(email="new@example.com").exists()


def test_password_reset_answers_503_when_the_cache_is_down(api_client):
    user = UserFactory()

    with cache_unreachable():
        response = api_client.post("/api/v1/auth/password/reset/", {"email": user.email})

    assert_unavailable(response)


def test_the_login_page_answers_a_503_page_when_the_cache_is_down():
    user = UserFactory()

    with cache_unreachable():
        response = Client().post(
            "/accounts/login/", {"username": user.email, "password": DEFAULT_PASSWORD}
        )

    assert response.status_code == 503
    assert "text/html" in response["Content-Type"]


def test_an_authenticated_call_that_needs_no_cache_still_works(auth_client):
    with cache_unreachable():
        response = auth_client.get("/api/v1/auth/me/")

    assert response.status_code == 200
