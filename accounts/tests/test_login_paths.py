"""Every way in authenticates through one backend that counts failures and honours the lockout,
and every page session ends when the user's tokens are revoked (issue 14, section 3)."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.authentication import VersionedRefreshToken
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD
from nexus_site.definitions import constants

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = reverse("admin:login")
ADMIN_INDEX = reverse("admin:index")
LOGIN_PAGE = reverse("accounts:login")
ME = "/api/v1/auth/me/"
LOGOUT_ALL = "/api/v1/auth/logout-all/"
TOKEN = "/api/v1/auth/token/"


def admin_login(client: Client, email: str, password: str, **extra):
    return client.post(
        ADMIN_LOGIN, {"username": email, "password": password, "next": ADMIN_INDEX}, **extra
    )


def set_throttle_rates(settings, **rates: str) -> None:
    current = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {
        **current,
        "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
    }


def lock(user: User) -> None:
    User.objects.filter(pk=user.pk).update(
        locked_at=timezone.now(), failed_login_attempts=constants.MAX_LOGIN_ATTEMPTS
    )


# --- the backend behind every authenticate() ------------------------------------------------


def test_authenticate_counts_a_wrong_password(user):
    request = RequestFactory().post("/")

    result = authenticate(request, username=user.email, password="wrong")

    user.refresh_from_db()
    assert result is None
    assert user.failed_login_attempts == 1


def test_authenticate_refuses_a_locked_account_with_the_right_password(user):
    lock(user)

    result = authenticate(RequestFactory().post("/"), email=user.email, password=DEFAULT_PASSWORD)

    assert result is None


def test_authenticate_locks_after_the_last_allowed_failure(user):
    for _attempt in range(constants.MAX_LOGIN_ATTEMPTS):
        authenticate(None, username=user.email, password="wrong")

    user.refresh_from_db()
    assert user.is_locked


def test_authenticate_with_the_right_password_resets_the_count(user):
    User.objects.filter(pk=user.pk).update(failed_login_attempts=3)

    result = authenticate(None, username=user.email.upper(), password=DEFAULT_PASSWORD)

    user.refresh_from_db()
    assert result == user
    assert user.failed_login_attempts == 0


def test_authenticate_lets_an_expired_lock_lift(user):
    User.objects.filter(pk=user.pk).update(
        locked_at=timezone.now() - timedelta(seconds=constants.LOCKOUT_SECONDS + 1),
        failed_login_attempts=constants.MAX_LOGIN_ATTEMPTS,
    )

    result = authenticate(None, username=user.email, password=DEFAULT_PASSWORD)

    user.refresh_from_db()
    assert result == user
    assert (user.locked_at, user.failed_login_attempts) == (None, 0)


# --- /admin/login/ ---------------------------------------------------------------------------


def test_admin_login_counts_wrong_passwords_towards_the_lockout(staff_user):
    client = Client()

    for _attempt in range(constants.MAX_LOGIN_ATTEMPTS):
        response = admin_login(client, staff_user.email, "wrong")

    staff_user.refresh_from_db()
    assert response.status_code == 200
    assert staff_user.is_locked


def test_admin_login_refuses_a_locked_account_with_the_right_password(staff_user):
    lock(staff_user)
    client = Client()

    response = admin_login(client, staff_user.email, DEFAULT_PASSWORD)

    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert client.get(ADMIN_INDEX).status_code == 302


def test_a_lockout_earned_on_the_admin_login_holds_on_the_api(staff_user):
    for _attempt in range(constants.MAX_LOGIN_ATTEMPTS):
        admin_login(Client(), staff_user.email, "wrong")

    response = APIClient().post(
        TOKEN, {"email": staff_user.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_locked"


def test_admin_login_is_throttled_per_address(settings, staff_user):
    set_throttle_rates(settings, login_email="2/min")
    for n in range(2):
        admin_login(Client(), staff_user.email, "wrong", REMOTE_ADDR=f"10.0.0.{n}")

    response = admin_login(Client(), staff_user.email, DEFAULT_PASSWORD, REMOTE_ADDR="10.0.0.9")

    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_admin_login_is_throttled_per_ip(settings, db):
    set_throttle_rates(settings, login_ip="2/min")
    for n in range(2):
        admin_login(Client(), f"{n}@example.com", "wrong")

    response = admin_login(Client(), "c@example.com", "wrong")

    assert response.status_code == 429


def test_admin_login_page_itself_is_not_throttled(settings, db):
    set_throttle_rates(settings, login_ip="1/min")
    client = Client()

    responses = [client.get(ADMIN_LOGIN).status_code for _ in range(3)]

    assert responses == [200] * 3


def test_admin_login_still_signs_staff_in(staff_user):
    client = Client()

    response = admin_login(client, staff_user.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert client.get(ADMIN_INDEX).status_code == 200


# --- page sessions follow revocation --------------------------------------------------------


def test_logout_all_ends_a_page_session_made_before(user):
    page = Client()
    page.post(LOGIN_PAGE, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert page.get(ME).status_code == 200
    api = APIClient()
    api.force_authenticate(user=None)
    tokens = api.post(TOKEN, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")

    assert api.post(LOGOUT_ALL).status_code == 204

    assert page.get(ME).status_code in {401, 403}
    assert page.get(reverse("dashboard")).status_code == 302  # back to the login page


def test_logout_all_through_the_session_ends_that_session_too(user):
    page = APIClient()
    page.force_login(user)

    response = page.post(LOGOUT_ALL)

    assert response.status_code == 204
    assert page.get(ME).status_code in {401, 403}


def test_deactivation_ends_page_sessions(user, staff_client):
    page = Client()
    page.force_login(user)

    staff_client.patch(f"/api/v1/admin/users/{user.pk}/", {"is_active": False}, format="json")

    assert page.get(reverse("dashboard")).status_code == 302


def test_a_page_session_survives_other_changes_to_the_account(user):
    page = Client()
    page.force_login(user)

    APIClient().post(TOKEN, {"email": user.email, "password": "wrong"}, format="json")
    User.objects.filter(pk=user.pk).update(first_name="Renamed")

    assert page.get(reverse("dashboard")).status_code == 200


# --- expired access tokens ------------------------------------------------------------------


def expired_access(user: User) -> str:
    access = VersionedRefreshToken.for_user(user).access_token
    access.set_exp(lifetime=timedelta(seconds=-60))
    return str(access)


def test_an_expired_access_token_answers_token_expired(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {expired_access(user)}")

    response = client.get(ME)

    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "token_expired"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_tampered_access_token_still_answers_invalid_token(user):
    token = str(VersionedRefreshToken.for_user(user).access_token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token[:-4]}AAAA")

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_a_refresh_token_sent_as_access_answers_invalid_token(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {VersionedRefreshToken.for_user(user)}")

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
