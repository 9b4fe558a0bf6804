"""Staff user management at /api/v1/admin/users/ (X-Source: admin, staff only)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import Role

pytestmark = pytest.mark.django_db

USERS = "/api/v1/admin/users/"


def detail(user_or_id) -> str:
    return f"{USERS}{getattr(user_or_id, 'id', user_or_id)}/"


def assert_envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def admin_platform_client(user):
    client = bearer_client(user)
    client.credentials(
        HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"], HTTP_X_SOURCE="admin"
    )
    return client


# --- access -------------------------------------------------------------------------------------


def test_anonymous_caller_is_401(api_client):
    response = api_client.get(USERS, HTTP_X_SOURCE="admin")

    assert_envelope(response, 401, "authentication")


@pytest.mark.parametrize("role", [Role.USER, Role.GUEST])
def test_non_staff_user_is_403_even_with_the_admin_header(role):
    client = admin_platform_client(UserFactory(role=role))

    response = client.get(USERS)

    assert_envelope(response, 403, "authorization")


def test_staff_without_the_admin_header_is_403(staff_user):
    response = bearer_client(staff_user).get(USERS)

    assert_envelope(response, 403, "authorization")


def test_non_staff_cannot_read_another_users_account(user, other_user):
    response = admin_platform_client(user).get(detail(other_user))

    assert_envelope(response, 403, "authorization")


def test_non_staff_cannot_unlock_another_user(user, other_user):
    User.objects.filter(pk=other_user.pk).update(locked_at=timezone.now())

    response = admin_platform_client(user).post(detail(other_user) + "unlock/")

    assert_envelope(response, 403, "authorization")
    other_user.refresh_from_db()
    assert other_user.locked_at is not None


def test_manager_may_list_users(user):
    client = admin_platform_client(UserFactory(role=Role.MANAGER))

    response = client.get(USERS)

    assert response.status_code == 200, response.content


def test_manager_may_not_change_users(user):
    client = admin_platform_client(UserFactory(role=Role.MANAGER))

    response = client.patch(detail(user), {"role": Role.ADMIN}, format="json")

    assert_envelope(response, 403, "authorization")
    user.refresh_from_db()
    assert user.role == Role.USER


def test_manager_may_not_create_users():
    client = admin_platform_client(UserFactory(role=Role.MANAGER))

    response = client.post(USERS, {"email": "new@example.com"}, format="json")

    assert_envelope(response, 403, "authorization")
    assert not User.objects.filter(email="new@example.com").exists()


# --- list ---------------------------------------------------------------------------------------


def test_list_is_paginated_and_ordered_by_email(staff_client, staff_user):
    UserFactory(email="zed@example.com")
    UserFactory(email="amy@example.com")

    response = staff_client.get(USERS, {"limit": 2})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert [row["email"] for row in body["results"]] == ["amy@example.com", staff_user.email]
    assert body["next"]


def test_list_rows_carry_the_account_state(staff_client, user):
    User.objects.filter(pk=user.pk).update(locked_at=timezone.now(), failed_login_attempts=5)

    response = staff_client.get(USERS, {"search": user.email})

    [row] = response.json()["results"]
    assert row["id"] == str(user.id)
    assert row["is_locked"] is True
    assert row["failed_login_attempts"] == 5
    assert row["is_active"] is True
    assert "password" not in row


def test_list_searches_email_and_names(staff_client):
    UserFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    UserFactory(email="bob@example.com", first_name="Bob", last_name="Builder")

    by_name = staff_client.get(USERS, {"search": "lovelace"})
    by_email = staff_client.get(USERS, {"search": "bob@"})

    assert [row["email"] for row in by_name.json()["results"]] == ["ada@example.com"]
    assert [row["email"] for row in by_email.json()["results"]] == ["bob@example.com"]


def test_list_filters_by_role(staff_client, staff_user):
    guest = UserFactory(role=Role.GUEST)
    UserFactory(role=Role.USER)

    response = staff_client.get(USERS, {"role": Role.GUEST})

    assert [row["id"] for row in response.json()["results"]] == [str(guest.id)]


def test_list_filters_by_active_flag(staff_client):
    inactive = UserFactory(is_active=False)
    UserFactory()

    response = staff_client.get(USERS, {"is_active": "false"})

    assert [row["id"] for row in response.json()["results"]] == [str(inactive.id)]


def test_list_with_an_unknown_role_filter_is_4xx(staff_client):
    response = staff_client.get(USERS, {"role": "emperor"})

    assert 400 <= response.status_code < 500
    assert_envelope(response, response.status_code)


def test_list_orders_by_request(staff_client):
    UserFactory(email="a@example.com", first_name="Zoe")
    UserFactory(email="b@example.com", first_name="Abe")

    response = staff_client.get(USERS, {"ordering": "first_name", "search": "@example.com"})

    names = [row["first_name"] for row in response.json()["results"]]
    assert names == sorted(names)


def test_list_runs_a_constant_number_of_queries(staff_client):
    UserFactory.create_batch(3)
    with CaptureQueriesContext(connection) as few:
        first = staff_client.get(USERS)
    UserFactory.create_batch(27)

    with CaptureQueriesContext(connection) as many:
        second = staff_client.get(USERS)

    assert first.json()["count"] == 4
    assert second.json()["count"] == 31
    assert len(many) == len(few)


# --- retrieve -----------------------------------------------------------------------------------


def test_retrieve_returns_the_user(staff_client, user):
    response = staff_client.get(detail(user))

    assert response.status_code == 200, response.content
    assert response.json()["email"] == user.email
    assert response.json()["role"] == Role.USER


def test_retrieve_an_unknown_id_is_404(staff_client):
    response = staff_client.get(detail(uuid.uuid4()))

    assert_envelope(response, 404, "not_found")


def test_retrieve_a_malformed_id_is_404(staff_client):
    response = staff_client.get(detail("not-a-uuid"))

    assert_envelope(response, 404, "not_found")


# --- create -------------------------------------------------------------------------------------


def test_create_makes_a_user_who_can_sign_in(staff_client, api_client):
    response = staff_client.post(
        USERS,
        {
            "email": "New.Person@Example.com",
            "password": DEFAULT_PASSWORD,
            "first_name": "New",
            "last_name": "Person",
            "role": Role.MANAGER,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["email"] == "new.person@example.com"
    assert response.json()["role"] == Role.MANAGER
    login = api_client.post(
        "/api/v1/auth/token/",
        {"email": "new.person@example.com", "password": DEFAULT_PASSWORD},
        format="json",
    )
    assert login.status_code == 200, login.content


def test_create_without_a_password_leaves_it_unusable(staff_client):
    response = staff_client.post(USERS, {"email": "nopass@example.com"}, format="json")

    assert response.status_code == 201, response.content
    assert not User.objects.get(email="nopass@example.com").has_usable_password()


def test_create_with_a_taken_address_is_409(staff_client, user):
    response = staff_client.post(USERS, {"email": user.email.upper()}, format="json")

    assert_envelope(response, 409, "conflict")


def test_create_with_a_weak_password_is_422(staff_client):
    response = staff_client.post(
        USERS, {"email": "weak@example.com", "password": "123"}, format="json"
    )

    error = assert_envelope(response, 422, "validation")
    assert "password" in error["details"]


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "not-an-email"}, {"email": "x@example.com", "role": "emperor"}],
)
def test_create_with_bad_input_is_422(staff_client, body):
    response = staff_client.post(USERS, body, format="json")

    assert_envelope(response, 422, "validation")


def test_create_with_a_non_json_body_is_4xx(staff_client):
    response = staff_client.post(USERS, data="[1]", content_type="application/json")

    assert 400 <= response.status_code < 500
    assert_envelope(response, response.status_code)


# --- update and unlock ----------------------------------------------------------------------------


def test_patch_changes_role_and_names(staff_client, user):
    response = staff_client.patch(
        detail(user), {"role": Role.GUEST, "first_name": "Gil"}, format="json"
    )

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.role, user.first_name) == (Role.GUEST, "Gil")


def test_patch_cannot_change_the_email(staff_client, user):
    email = user.email

    staff_client.patch(detail(user), {"email": "other@example.com"}, format="json")

    user.refresh_from_db()
    assert user.email == email


def test_deactivating_a_user_kills_their_tokens(staff_client, user):
    their_client = bearer_client(user)

    response = staff_client.patch(detail(user), {"is_active": False}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    assert_envelope(their_client.get("/api/v1/auth/me/"), 401)


def test_staff_cannot_change_their_own_role(staff_client, staff_user):
    response = staff_client.patch(detail(staff_user), {"role": Role.USER}, format="json")

    assert_envelope(response, 400, "bad_request")
    staff_user.refresh_from_db()
    assert staff_user.role == Role.ADMIN


def test_patch_with_an_unknown_role_is_422(staff_client, user):
    response = staff_client.patch(detail(user), {"role": "emperor"}, format="json")

    assert_envelope(response, 422, "validation")


def test_patch_an_unknown_user_is_404(staff_client):
    response = staff_client.patch(detail(uuid.uuid4()), {"first_name": "X"}, format="json")

    assert_envelope(response, 404, "not_found")


def test_unlock_clears_the_lock_and_the_failure_count(staff_client, user):
    User.objects.filter(pk=user.pk).update(locked_at=timezone.now(), failed_login_attempts=5)

    response = staff_client.post(detail(user) + "unlock/")

    assert response.status_code == 200, response.content
    assert response.json()["is_locked"] is False
    user.refresh_from_db()
    assert (user.locked_at, user.failed_login_attempts) == (None, 0)


def test_unlock_an_unknown_user_is_404(staff_client):
    response = staff_client.post(detail(uuid.uuid4()) + "unlock/")

    assert_envelope(response, 404, "not_found")
