"""OPTIONS on every route of the URL configuration answers without a server error."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

SAMPLE_ARGUMENTS = {
    "uuid": "0193a0a0-0000-7000-8000-000000000000",
    "int": "1",
    "slug": "no-such-key",
    "str": "no-such-token",
    "path": "no/such/path",
}
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def routes(patterns=None, prefix: str = "") -> list[str]:
    """Return every path pattern of the URL configuration, as written, regex ones left out."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += routes(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern) and "^" not in text:
            found.append(text)
    return found


def sample_path(route: str) -> str:
    return "/" + PARAMETER.sub(
        lambda match: SAMPLE_ARGUMENTS[match.group("converter") or "str"], route
    )


def options_server_errors(client: APIClient, **headers) -> list[tuple[str, int]]:
    failures = []
    for route in routes():
        response = client.options(sample_path(route), **headers)
        if response.status_code >= 500:
            failures.append((route, response.status_code))
    return failures


def test_route_list_holds_the_routes_that_once_answered_500():
    found = set(routes())

    assert {
        "api/v1/documents/<uuid:document_id>/shares/",
        "api/v1/documents/<uuid:document_id>/attachments/",
        "api/v1/patterns/<slug:key>/versions/",
        "api/v1/projects/<uuid:project_id>/members/",
        "api/v1/tasks/<uuid:task_id>/dependencies/",
        "api/v1/admin/users/<uuid:user_id>/unlock/",
        "api/docs/",
    } <= found


def test_options_never_answers_500_to_staff_on_the_admin_platform(staff_user):
    client = APIClient(raise_request_exception=False)
    client.force_login(staff_user)

    assert options_server_errors(client, HTTP_X_SOURCE="admin") == []


def test_options_never_answers_500_to_a_user(user):
    client = APIClient(raise_request_exception=False)
    client.force_login(user)

    assert options_server_errors(client) == []


def test_options_never_answers_500_anonymously():
    assert options_server_errors(APIClient(raise_request_exception=False)) == []


def test_options_of_an_api_route_describes_the_view(auth_client, user):
    response = auth_client.options("/api/v1/patterns/no-such-key/versions/")

    assert response.status_code == 200
    assert response.json()["name"]
    assert "application/json" in response.json()["renders"]
