"""Personal access tokens: /api/v1/auth/tokens/ and ``Authorization: Bearer nxp_...``."""

import hashlib
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient, APIRequestFactory

from accounts import services, tokens
from accounts.authentication import PersonalTokenAuthentication
from accounts.models import PersonalAccessToken
from accounts.permissions import TokenScopePermission
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.token_scopes import API_NAMESPACE_APPS, all_scopes
from conftest import access_token, bearer_client
from nexus_site.definitions.enums import MemberRole
from nexus_site.websocket_auth import user_for_token
from projects.models import Project
from projects.tests.factories import ProjectFactory, add_member

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/auth/tokens/"
ME = "/api/v1/auth/me/"
PROJECTS = "/api/v1/projects/"


def detail(token_id) -> str:
    return f"{TOKENS}{token_id}/"


def in_days(days: int):
    return timezone.now() + timedelta(days=days)


def make_token(user, *, scopes=("projects:read",), days=30, name=None):
    """Return (row, secret) of a new token of ``user``, made through the service."""
    created = services.personal_token_create(
        owner=user,
        name=name or f"token {PersonalAccessToken.objects.count()}",
        scopes=list(scopes),
        expires_at=in_days(days),
    )
    return created.token, created.secret


def token_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    return body["error"]


def create_payload(**overrides) -> dict:
    return {
        "name": "CI deploy",
        "scopes": ["projects:read", "projects:write"],
        "expires_at": in_days(30).isoformat(),
        **overrides,
    }


# --- Making tokens ----------------------------------------------------------------------------


def test_create_answers_201_with_the_token_once(auth_client, user):
    response = auth_client.post(TOKENS, create_payload(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith(body["prefix"] + "_")
    assert body["name"] == "CI deploy"
    assert body["scopes"] == ["projects:read", "projects:write"]
    assert body["last_used_at"] is None
    assert response["Cache-Control"] == "no-store"
    row = PersonalAccessToken.objects.get(pk=body["id"])
    assert row.owner == user
    listed = auth_client.get(TOKENS).json()["results"]
    shown = auth_client.get(detail(body["id"])).json()
    for answer in (listed[0], shown):
        assert "token" not in answer
        assert body["token"] not in str(answer)


def test_create_stores_only_a_hash_of_the_token(auth_client):
    secret = auth_client.post(TOKENS, create_payload(), format="json").json()["token"]

    row = PersonalAccessToken.objects.get()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    # "nxp_<8 public characters>_<40 secret ones>"; the secret may itself hold "_".
    secret_part = secret.split("_", 2)[2]
    assert len(secret_part) == 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_personalaccesstoken")
        stored = " ".join(str(value) for row_values in cursor.fetchall() for value in row_values)
    assert secret_part not in stored
    assert secret not in stored


def test_create_sorts_and_deduplicates_scopes(auth_client):
    payload = create_payload(scopes=["search:read", "projects:write", "search:read"])

    body = auth_client.post(TOKENS, payload, format="json").json()

    assert body["scopes"] == ["projects:write", "search:read"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["projects:admin"]}, "scopes"),
        ({"scopes": "projects:read"}, "scopes"),
        ({"expires_at": None}, "expires_at"),
        ({"expires_at": "soon"}, "expires_at"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": (timezone.now() + timedelta(minutes=5)).isoformat()}, "expires_at"),
        ({"expires_at": in_days(400).isoformat()}, "expires_at"),
    ],
)
def test_create_refuses_bad_input_with_422_and_keeps_nothing(auth_client, overrides, field):
    response = auth_client.post(TOKENS, create_payload(**overrides), format="json")

    error = assert_envelope(response, 422, "validation")
    assert field in error["details"]
    assert not PersonalAccessToken.objects.exists()


def test_create_refuses_a_name_the_owner_already_uses(auth_client, user, other_user):
    make_token(other_user, name="CI deploy")  # someone else's name is free
    assert auth_client.post(TOKENS, create_payload(), format="json").status_code == 201

    response = auth_client.post(TOKENS, create_payload(), format="json")

    assert "name" in assert_envelope(response, 422, "validation")["details"]
    assert PersonalAccessToken.objects.filter(owner=user).count() == 1


def test_a_revoked_token_frees_its_name(user):
    token, _secret = make_token(user, name="nightly")
    services.personal_token_revoke(token=token)

    again, _secret = make_token(user, name="nightly")

    assert again.pk != token.pk


def test_anonymous_callers_cannot_list_or_create():
    client = APIClient()

    assert_envelope(client.get(TOKENS), 401, "authentication")
    assert_envelope(client.post(TOKENS, create_payload(), format="json"), 401, "authentication")


# --- Reading, renaming, revoking --------------------------------------------------------------


def test_list_shows_only_the_callers_unrevoked_tokens_newest_first(auth_client, user, other_user):
    older, _ = make_token(user, name="older")
    newer, _ = make_token(user, name="newer")
    revoked, _ = make_token(user, name="revoked")
    services.personal_token_revoke(token=revoked)
    make_token(other_user, name="theirs")

    body = auth_client.get(TOKENS).json()

    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [str(newer.pk), str(older.pk)]


def test_list_shows_expired_tokens_as_expired(auth_client, user):
    token, _ = make_token(user)
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        created_at=in_days(-10), expires_at=in_days(-1)
    )

    (item,) = auth_client.get(TOKENS).json()["results"]

    assert item["is_expired"] is True


def test_list_runs_a_constant_number_of_queries(auth_client, user, django_assert_num_queries):
    make_token(user)
    auth_client.get(TOKENS)  # warm up: content types, session, language
    with django_assert_num_queries(3) as few:
        auth_client.get(TOKENS)
    for _ in range(5):
        make_token(user)
    with django_assert_num_queries(len(few.captured_queries)):
        response = auth_client.get(TOKENS)
    assert response.json()["count"] == 6


def test_rename_changes_only_the_name(auth_client, user):
    token, secret = make_token(user, name="old")

    response = auth_client.patch(detail(token.pk), {"name": "new"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "new"
    token.refresh_from_db()
    assert token.name == "new"
    assert token_client(secret).get(PROJECTS).status_code == 200


def test_rename_to_a_taken_name_answers_422(auth_client, user):
    make_token(user, name="one")
    token, _ = make_token(user, name="two")

    response = auth_client.patch(detail(token.pk), {"name": "one"}, format="json")

    assert_envelope(response, 422, "validation")
    token.refresh_from_db()
    assert token.name == "two"


def test_delete_revokes_the_token(auth_client, user):
    token, secret = make_token(user)
    assert token_client(secret).get(PROJECTS).status_code == 200

    response = auth_client.delete(detail(token.pk))

    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_envelope(token_client(secret).get(PROJECTS), 401, "invalid_token")
    assert_envelope(auth_client.get(detail(token.pk)), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "body"),
    [("get", None), ("patch", {"name": "mine now"}), ("delete", None)],
)
def test_another_users_token_answers_404(auth_client, other_user, method, body):
    token, secret = make_token(other_user, name="theirs")

    response = getattr(auth_client, method)(detail(token.pk), body, format="json")

    assert_envelope(response, 404, "not_found")
    token.refresh_from_db()
    assert token.name == "theirs"
    assert token.revoked_at is None
    assert token_client(secret).get(PROJECTS).status_code == 200


def test_staff_cannot_reach_other_peoples_tokens_through_the_api(staff_client, other_user):
    token, _ = make_token(other_user)

    assert_envelope(staff_client.get(detail(token.pk)), 404, "not_found")
    assert staff_client.get(TOKENS).json()["count"] == 0


def test_an_unknown_id_answers_404(auth_client):
    missing = "0193a7f0-0000-7000-8000-000000000000"
    assert_envelope(auth_client.get(detail(missing)), 404, "not_found")
    assert auth_client.get(f"{TOKENS}not-a-uuid/").status_code == 404


# --- Authenticating with a token --------------------------------------------------------------


def test_a_token_authenticates_as_its_owner(user):
    _token, secret = make_token(user, scopes=["accounts:read"])

    response = token_client(secret).get(ME)

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(user.pk)


def test_a_token_sees_only_what_its_owner_sees(user, other_user):
    mine = ProjectFactory(owner=user)
    ProjectFactory(owner=other_user)
    _token, secret = make_token(user)

    body = token_client(secret).get(PROJECTS).json()

    assert [item["id"] for item in body["results"]] == [str(mine.pk)]


def test_jwts_and_sessions_still_work_beside_tokens(auth_client, user, client):
    make_token(user)
    assert auth_client.get(PROJECTS).status_code == 200
    client.login(email=user.email, password=DEFAULT_PASSWORD)
    assert client.get(PROJECTS).status_code == 200
    assert client.post(TOKENS, create_payload(), content_type="application/json").status_code == 201


@pytest.mark.parametrize(
    "credential",
    [
        "nxp_abcdefgh_" + "A" * 40,  # well formed, no such token
        "nxp_short",
        "nxp_" + "x" * 500,
        "nxp_abcdefgh_" + "A" * 39 + "!",
    ],
)
def test_an_unknown_or_malformed_token_answers_401(credential):
    response = token_client(credential).get(PROJECTS)

    assert_envelope(response, 401, "invalid_token")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_with_a_wrong_secret_answers_401(user):
    _token, secret = make_token(user)
    forged = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    assert_envelope(token_client(forged).get(PROJECTS), 401, "invalid_token")


def test_an_expired_token_answers_401_token_expired(user):
    token, secret = make_token(user)
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        created_at=in_days(-10), expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert_envelope(token_client(secret).get(PROJECTS), 401, "token_expired")


def test_a_deactivated_users_tokens_stop_working(user, staff_user):
    _token, secret = make_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])  # even without the service's revocation

    assert_envelope(token_client(secret).get(PROJECTS), 401, "invalid_token")


def test_deactivation_by_staff_revokes_the_tokens(user, staff_user):
    token, secret = make_token(user)

    services.user_update_by_staff(user=user, actor=staff_user, is_active=False)
    services.user_update_by_staff(user=user, actor=staff_user, is_active=True)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_envelope(token_client(secret).get(PROJECTS), 401, "invalid_token")


def test_logout_everywhere_revokes_personal_tokens(auth_client, user):
    token, secret = make_token(user)

    assert auth_client.post("/api/v1/auth/logout-all/").status_code == 204

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_envelope(token_client(secret).get(PROJECTS), 401, "invalid_token")


def test_a_password_change_revokes_personal_tokens(user):
    _token, secret = make_token(user)

    services.user_password_change(
        user=user, old_password=DEFAULT_PASSWORD, new_password="another-long-passphrase-9"
    )

    assert_envelope(token_client(secret).get(PROJECTS), 401, "invalid_token")


def test_a_jwt_is_left_to_the_jwt_authentication(user):
    jwt = bearer_client(user)._credentials["HTTP_AUTHORIZATION"]
    request = APIRequestFactory().get(ME, HTTP_AUTHORIZATION=jwt)

    assert PersonalTokenAuthentication().authenticate(request) is None


# --- Scopes -----------------------------------------------------------------------------------


def test_read_scope_allows_safe_methods_only(user):
    _token, secret = make_token(user, scopes=["projects:read"])
    client = token_client(secret)

    assert client.get(PROJECTS).status_code == 200
    response = client.post(PROJECTS, {"name": "Apollo"}, format="json")

    error = assert_envelope(response, 403, "insufficient_scope")
    assert error["details"]["required_scope"] == "projects:write"
    assert not Project.objects.exists()


def test_write_scope_allows_writes_and_reads(user):
    _token, secret = make_token(user, scopes=["projects:write"])
    client = token_client(secret)

    response = client.post(PROJECTS, {"name": "Apollo"}, format="json")

    assert response.status_code == 201, response.content
    assert Project.objects.get().owner == user
    assert client.get(PROJECTS).json()["count"] == 1


def test_a_write_scope_never_reaches_beyond_the_owners_rights(user):
    """Scopes only narrow: a guest's token with projects:write is still a guest's."""
    project = ProjectFactory()
    add_member(project, role=MemberRole.GUEST, user=user)
    _token, secret = make_token(user, scopes=["projects:write"])
    client = token_client(secret)

    assert client.get(f"{PROJECTS}{project.pk}/").status_code == 200
    response = client.patch(f"{PROJECTS}{project.pk}/", {"name": "Mine"}, format="json")

    assert_envelope(response, 403, "authorization")
    project.refresh_from_db()
    assert project.name != "Mine"


def test_what_a_token_creates_gives_it_no_other_apps(user):
    """A project made with projects:write is the owner's; its documents still need workspace."""
    _token, secret = make_token(user, scopes=["projects:write"])
    client = token_client(secret)
    project_id = client.post(PROJECTS, {"name": "Apollo"}, format="json").json()["id"]

    response = client.get("/api/v1/documents/", {"project": project_id})

    assert_envelope(response, 403, "insufficient_scope")
    assert bearer_client(user).get(f"{PROJECTS}{project_id}/").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/api/v1/documents/", "/api/v1/executions/", "/api/v1/events/", "/api/v1/relations/"],
)
def test_a_token_answers_403_outside_its_apps(user, path):
    _token, secret = make_token(user, scopes=["projects:write"])

    response = token_client(secret).get(path)

    assert_envelope(response, 403, "insufficient_scope")


def test_the_profile_needs_the_accounts_scope(user):
    _token, secret = make_token(user, scopes=["projects:write"])
    assert_envelope(token_client(secret).get(ME), 403, "insufficient_scope")

    _token, secret = make_token(user, scopes=["accounts:read"])
    client = token_client(secret)
    assert client.get(ME).status_code == 200
    response = client.patch(ME, {"first_name": "Eve"}, format="json")
    assert_envelope(response, 403, "insufficient_scope")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", TOKENS, None),
        ("post", TOKENS, "create"),
        ("post", "/api/v1/auth/logout-all/", None),
        ("post", "/api/v1/auth/logout/", {"refresh": "x"}),
        ("post", "/api/v1/auth/password/change/", {"old_password": "a", "new_password": "b"}),
    ],
)
def test_a_token_cannot_use_the_credential_endpoints(user, method, path, body):
    _token, secret = make_token(user, scopes=all_scopes())
    if body == "create":
        body = create_payload()

    response = getattr(token_client(secret), method)(path, body, format="json")

    assert_envelope(response, 403, "personal_token_refused")
    assert PersonalAccessToken.objects.count() == 1
    user.refresh_from_db()
    assert user.token_version == 0


def test_a_token_cannot_rename_or_revoke_tokens(user):
    token, secret = make_token(user, scopes=all_scopes())
    client = token_client(secret)

    assert_envelope(
        client.patch(detail(token.pk), {"name": "x"}, format="json"), 403, "personal_token_refused"
    )
    assert_envelope(client.delete(detail(token.pk)), 403, "personal_token_refused")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_staff_token_cannot_use_the_staff_api(staff_user):
    _token, secret = make_token(staff_user, scopes=all_scopes())
    client = token_client(secret)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_X_SOURCE="admin")

    assert_envelope(client.get("/api/v1/admin/users/"), 403, "personal_token_refused")


def api_views(resolver=None, namespace="", route=""):
    """Yield (URL namespace, view class) for every route under /api/v1/."""
    for entry in (resolver or get_resolver()).url_patterns:
        path = route + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            yield from api_views(entry, inner, path)
        elif isinstance(entry, URLPattern) and path.startswith("api/v1/"):
            view_class = getattr(entry.callback, "cls", None)
            if view_class is not None:
                yield namespace, view_class


def test_every_api_view_checks_token_scopes():
    """A view that sets its own permission classes must keep the scope check, or take no
    credentials at all; otherwise a personal token would reach it with any scope."""
    unchecked = [
        view_class.__qualname__
        for _namespace, view_class in api_views()
        if view_class.authentication_classes
        and TokenScopePermission not in view_class.permission_classes
    ]
    assert unchecked == []


def test_the_scope_map_names_only_real_namespaces():
    namespaces = {namespace for namespace, _view in api_views()}
    assert set(API_NAMESPACE_APPS) <= namespaces


# --- last_used_at -----------------------------------------------------------------------------


def test_last_used_at_is_written_at_most_once_a_minute(user, django_assert_num_queries):
    token, secret = make_token(user, scopes=["accounts:read"])
    client = token_client(secret)

    client.get(ME)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write

    PersonalAccessToken.objects.filter(pk=token.pk).update(
        last_used_at=first - timedelta(minutes=2)
    )
    client.get(ME)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


def test_a_request_within_the_minute_makes_no_write(user, django_assert_num_queries):
    _token, secret = make_token(user, scopes=["accounts:read"])
    client = token_client(secret)
    client.get(ME)

    with django_assert_num_queries(1) as captured:  # the token with its owner, nothing else
        client.get(ME)
    assert not any("UPDATE" in query["sql"] for query in captured.captured_queries)


def test_the_prefix_lookup_and_hash_match_the_stored_row(user):
    token, secret = make_token(user)

    assert tokens.personal_token_prefix(secret) == token.prefix
    assert token.prefix.startswith("nxp_")
    assert len(token.prefix) == 12
    assert tokens.personal_token_hash(secret) == token.secret_hash


# --- WebSockets -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_socket_does_not_accept_a_personal_token(user):
    """Sockets take a JWT or the session only (docs/SECURITY.md): a personal token in
    ``?token=`` leaves the socket anonymous, whatever its scopes."""
    _token, secret = make_token(user, scopes=all_scopes())

    found = async_to_sync(user_for_token)(secret)

    assert not found.is_authenticated
    assert async_to_sync(user_for_token)(access_token(user)) == user


# --- OpenAPI ----------------------------------------------------------------------------------


def test_the_schema_offers_personal_tokens_only_where_they_work():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    def offered(path: str, method: str) -> bool:
        return {"personalToken": []} in schema["paths"][path][method]["security"]

    assert offered("/api/v1/projects/", "post")
    assert offered("/api/v1/auth/me/", "get")
    assert not offered("/api/v1/auth/tokens/", "post")
    assert not offered("/api/v1/auth/tokens/{token_id}/", "delete")
    assert not offered("/api/v1/auth/logout-all/", "post")
    assert not offered("/api/v1/admin/users/", "get")
    assert schema["components"]["securitySchemes"]["personalToken"]["scheme"] == "bearer"
