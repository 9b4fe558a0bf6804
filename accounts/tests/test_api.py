"""The accounts API at /api/v1/auth/, through HTTP as a client sees it."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import VersionedRefreshToken
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import bearer_client
from nexus_site.definitions import constants

pytestmark = pytest.mark.django_db

AUTH = "/api/v1/auth/"
REGISTER = AUTH + "register/"
VERIFY = AUTH + "verify-email/"
TOKEN = AUTH + "token/"
REFRESH = AUTH + "token/refresh/"
LOGOUT = AUTH + "logout/"
LOGOUT_ALL = AUTH + "logout-all/"
ME = AUTH + "me/"
PASSWORD_CHANGE = AUTH + "password/change/"
PASSWORD_RESET = AUTH + "password/reset/"
PASSWORD_RESET_CONFIRM = AUTH + "password/reset/confirm/"

NEW_PASSWORD = "a-much-better-passphrase-77"
ME_FIELDS = {
    "id",
    "email",
    "first_name",
    "last_name",
    "role",
    "language",
    "time_zone",
    "preferences",
    "email_verified",
    "date_joined",
}


def assert_envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def login(client: APIClient, email: str, password: str = DEFAULT_PASSWORD, **extra):
    return client.post(TOKEN, {"email": email, "password": password}, format="json", **extra)


def tokens_for(user: User) -> dict:
    refresh = VersionedRefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def client_with(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def link_in(message) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0)


def token_in(message) -> str:
    return parse_qs(urlparse(link_in(message)).query)["token"][0]


def set_throttle_rates(settings, **rates: str) -> None:
    """Lower throttle rates for one test; the throttles read them on every request."""
    current = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {
        **current,
        "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
    }


def registration(email: str = "new@example.com", **fields) -> dict:
    return {
        "email": email,
        "password": NEW_PASSWORD,
        "first_name": "Nora",
        "last_name": "Neu",
        "language": "de",
        **fields,
    }


# --- register / verify-email -----------------------------------------------------------------


def test_register_creates_an_unverified_account_and_answers_201(api_client):
    response = api_client.post(REGISTER, registration(), format="json")

    assert response.status_code == 201, response.content
    assert response.json() == {
        "email": "new@example.com",
        "first_name": "Nora",
        "last_name": "Neu",
        "language": "de",
        "email_verified": False,
    }
    user = User.objects.get(email="new@example.com")
    assert not user.email_verified
    assert user.check_password(NEW_PASSWORD)


def test_register_sends_a_verification_email(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(REGISTER, registration(), format="json")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new@example.com"]
    assert urlparse(link_in(mailoutbox[0])).path == reverse("accounts:verify-email")


def test_register_answers_the_same_for_a_taken_address(api_client, user):
    fresh = api_client.post(REGISTER, registration("fresh@example.com"), format="json")

    taken = api_client.post(REGISTER, registration(user.email), format="json")

    assert taken.status_code == fresh.status_code == 201
    assert taken.json() == {**fresh.json(), "email": user.email}
    assert User.objects.filter(email__iexact=user.email).count() == 1


def test_register_with_a_taken_address_mails_its_owner_and_verifies_nothing(
    api_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(REGISTER, registration(user.email.upper()), format="json")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert "token=" not in mailoutbox[0].body


def test_register_keeps_spaces_around_the_password(api_client):
    api_client.post(REGISTER, registration(password=f"  {NEW_PASSWORD}  "), format="json")

    response = login(api_client, "new@example.com", f"  {NEW_PASSWORD}  ")

    assert response.status_code == 200, response.content


def test_register_with_a_weak_password_is_422_with_field_details(api_client):
    response = api_client.post(REGISTER, registration(password="12345678"), format="json")

    error = assert_envelope(response, 422, "validation")
    assert error["details"]["password"]
    assert not User.objects.filter(email="new@example.com").exists()


def test_register_with_an_unknown_language_is_422(api_client):
    response = api_client.post(REGISTER, registration(language="xx"), format="json")

    error = assert_envelope(response, 422, "validation")
    assert "language" in error["details"]


def test_register_without_required_fields_is_422(api_client):
    response = api_client.post(REGISTER, {"first_name": "Nora"}, format="json")

    error = assert_envelope(response, 422, "validation")
    assert {"email", "password"} <= set(error["details"])


def test_verification_link_from_the_email_verifies_the_account(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(REGISTER, registration(), format="json")

    response = api_client.post(VERIFY, {"token": token_in(mailoutbox[0])}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["email"] == "new@example.com"
    assert response.json()["email_verified"] is True
    assert set(response.json()) == ME_FIELDS
    assert User.objects.get(email="new@example.com").email_verified


@pytest.mark.parametrize("token", ["garbage", "a" * 1000, "1:2:3"])
def test_verify_email_with_a_bad_token_is_400(api_client, token):
    response = api_client.post(VERIFY, {"token": token}, format="json")

    assert_envelope(response, 400, "invalid_token")


def test_verify_email_with_a_password_reset_token_is_400(api_client, user):
    from accounts import tokens

    response = api_client.post(
        VERIFY, {"token": tokens.make_password_reset_token(user)}, format="json"
    )

    assert_envelope(response, 400, "invalid_token")


def test_verify_email_ignores_a_stale_authorization_header(api_client, user):
    from accounts import tokens

    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    response = api_client.post(
        VERIFY, {"token": tokens.make_verification_token(user)}, format="json"
    )

    assert response.status_code == 200, response.content


# --- token -------------------------------------------------------------------------------------


def test_login_returns_tokens_that_carry_the_token_version(api_client, user):
    response = login(api_client, user.email)

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}
    access = AccessToken(response.json()["access"])
    assert access[constants.TOKEN_VERSION_CLAIM] == user.token_version
    assert client_with(response.json()["access"]).get(ME).json()["id"] == str(user.id)


def test_login_ignores_the_case_of_the_email(api_client, user):
    response = login(api_client, user.email.upper())

    assert response.status_code == 200, response.content


def test_login_with_a_wrong_password_is_401(api_client, user):
    response = login(api_client, user.email, "wrong-password")

    assert_envelope(response, 401, "authentication")


def test_login_answers_the_same_for_an_unknown_address(api_client, user):
    wrong_password = login(api_client, user.email, "wrong-password")

    unknown = login(api_client, "nobody@example.com", "wrong-password")

    assert unknown.status_code == wrong_password.status_code == 401
    assert unknown.json() == wrong_password.json()


def test_fifth_failed_login_in_a_row_locks_the_account(api_client, user):
    statuses = [login(api_client, user.email, "wrong").status_code for _ in range(4)]

    fifth = login(api_client, user.email, "wrong")

    assert statuses == [401] * 4
    assert_envelope(fifth, 403, "account_locked")


def test_locked_account_refuses_the_right_password(api_client, user):
    for _ in range(constants.MAX_LOGIN_ATTEMPTS):
        login(api_client, user.email, "wrong")

    response = login(api_client, user.email)

    assert_envelope(response, 403, "account_locked")


def test_lockout_lifts_after_the_lockout_period(api_client, user):
    for _ in range(constants.MAX_LOGIN_ATTEMPTS):
        login(api_client, user.email, "wrong")
    User.objects.filter(pk=user.pk).update(
        locked_at=timezone.now() - timedelta(seconds=constants.LOCKOUT_SECONDS + 1)
    )

    response = login(api_client, user.email)

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.locked_at is None
    assert user.failed_login_attempts == 0


def test_a_successful_login_resets_the_failure_count(api_client, user):
    for _ in range(constants.MAX_LOGIN_ATTEMPTS - 1):
        login(api_client, user.email, "wrong")

    login(api_client, user.email)
    response = login(api_client, user.email, "wrong")

    assert_envelope(response, 401, "authentication")
    user.refresh_from_db()
    assert user.failed_login_attempts == 1


def test_staff_unlock_lets_a_locked_user_sign_in(api_client, staff_client, user):
    for _ in range(constants.MAX_LOGIN_ATTEMPTS):
        login(api_client, user.email, "wrong")

    unlock = staff_client.post(f"/api/v1/admin/users/{user.id}/unlock/")
    response = login(api_client, user.email)

    assert unlock.status_code == 200, unlock.content
    assert response.status_code == 200, response.content


def test_login_with_a_stale_authorization_header_still_works(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired-or-garbage")

    response = login(api_client, user.email)

    assert response.status_code == 200, response.content


# --- throttling ---------------------------------------------------------------------------------


def test_login_is_throttled_per_email_with_429_envelope_and_retry_after(settings, api_client):
    set_throttle_rates(settings, login_email="2/min")
    for _ in range(2):
        login(api_client, "nobody@example.com", "wrong")

    response = login(api_client, "NoBody@example.com", "wrong", REMOTE_ADDR="10.0.0.9")

    error = assert_envelope(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    assert error["details"]["retry_after_seconds"] > 0


def test_login_throttle_per_email_leaves_other_addresses_alone(settings, api_client, user):
    set_throttle_rates(settings, login_email="2/min")
    for _ in range(3):
        login(api_client, "nobody@example.com", "wrong")

    response = login(api_client, user.email)

    assert response.status_code == 200, response.content


def test_login_is_throttled_per_ip_across_addresses(settings, api_client):
    set_throttle_rates(settings, login_ip="2/min")
    login(api_client, "a@example.com", "wrong")
    login(api_client, "b@example.com", "wrong")

    response = login(api_client, "c@example.com", "wrong")

    assert_envelope(response, 429, "rate_limited")


def test_forged_x_forwarded_for_does_not_escape_the_ip_throttle(settings, api_client):
    set_throttle_rates(settings, login_ip="2/min")
    for n in range(2):
        login(api_client, f"{n}@example.com", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    response = login(api_client, "c@example.com", "wrong", HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert_envelope(response, 429, "rate_limited")


def test_another_ip_is_not_throttled_by_the_first(settings, api_client):
    set_throttle_rates(settings, login_ip="1/min")
    login(api_client, "a@example.com", "wrong", REMOTE_ADDR="10.0.0.1")

    response = login(api_client, "b@example.com", "wrong", REMOTE_ADDR="10.0.0.2")

    assert_envelope(response, 401, "authentication")


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (REGISTER, registration()),
        (VERIFY, {"token": "garbage"}),
        (PASSWORD_RESET, {"email": "nobody@example.com"}),
        (PASSWORD_RESET_CONFIRM, {"token": "garbage", "new_password": NEW_PASSWORD}),
    ],
)
def test_sensitive_anonymous_endpoints_are_throttled(settings, api_client, url, body):
    set_throttle_rates(settings, anon_sensitive="1/min")
    api_client.post(url, body, format="json")

    response = api_client.post(url, body, format="json")

    assert_envelope(response, 429, "rate_limited")
    assert "Retry-After" in response.headers


# --- token/refresh ------------------------------------------------------------------------------


def test_refresh_returns_a_new_pair_that_works(api_client, user):
    old = tokens_for(user)

    response = api_client.post(REFRESH, {"refresh": old["refresh"]}, format="json")

    assert response.status_code == 200, response.content
    new = response.json()
    assert set(new) == {"access", "refresh"}
    assert new["refresh"] != old["refresh"]
    assert client_with(new["access"]).get(ME).status_code == 200
    again = api_client.post(REFRESH, {"refresh": new["refresh"]}, format="json")
    assert again.status_code == 200, again.content


def test_reusing_a_rotated_refresh_token_is_401(api_client, user):
    old = tokens_for(user)
    api_client.post(REFRESH, {"refresh": old["refresh"]}, format="json")

    response = api_client.post(REFRESH, {"refresh": old["refresh"]}, format="json")

    assert_envelope(response, 401, "invalid_token")


def test_refresh_with_an_outdated_token_version_is_401(api_client, user):
    old = tokens_for(user)
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)

    response = api_client.post(REFRESH, {"refresh": old["refresh"]}, format="json")

    assert_envelope(response, 401, "invalid_token")


def test_refresh_with_an_access_token_is_401(api_client, user):
    response = api_client.post(REFRESH, {"refresh": tokens_for(user)["access"]}, format="json")

    assert_envelope(response, 401, "invalid_token")


def test_refresh_with_an_expired_token_is_401(api_client, user):
    refresh = VersionedRefreshToken.for_user(user)
    refresh.set_exp(lifetime=timedelta(seconds=-60))

    response = api_client.post(REFRESH, {"refresh": str(refresh)}, format="json")

    assert_envelope(response, 401, "token_expired")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_refresh_with_a_garbage_token_is_4xx(api_client, token):
    response = api_client.post(REFRESH, {"refresh": token}, format="json")

    assert response.status_code in {401, 422}
    assert_envelope(response, response.status_code)


def test_refresh_for_a_deactivated_user_is_401(api_client, user):
    old = tokens_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = api_client.post(REFRESH, {"refresh": old["refresh"]}, format="json")

    assert_envelope(response, 401, "invalid_token")


def test_refresh_for_a_deleted_user_is_401(api_client, user):
    old = tokens_for(user)
    user.delete()

    response = api_client.post(REFRESH, {"refresh": old["refresh"]}, format="json")

    assert_envelope(response, 401, "invalid_token")


# --- logout / logout-all ------------------------------------------------------------------------


def test_logout_revokes_that_refresh_token(user):
    tokens = tokens_for(user)
    client = client_with(tokens["access"])

    response = client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204, response.content
    refresh = client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert_envelope(refresh, 401, "invalid_token")


def test_logout_leaves_other_sessions_working(user):
    first, second = tokens_for(user), tokens_for(user)

    client_with(first["access"]).post(LOGOUT, {"refresh": first["refresh"]}, format="json")

    response = APIClient().post(REFRESH, {"refresh": second["refresh"]}, format="json")
    assert response.status_code == 200, response.content


def test_logout_cannot_revoke_another_users_refresh_token(auth_client, other_user):
    theirs = tokens_for(other_user)

    response = auth_client.post(LOGOUT, {"refresh": theirs["refresh"]}, format="json")

    assert_envelope(response, 400, "invalid_token")
    still = APIClient().post(REFRESH, {"refresh": theirs["refresh"]}, format="json")
    assert still.status_code == 200, still.content


@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
def test_logout_with_a_bad_token_is_400(auth_client, token):
    response = auth_client.post(LOGOUT, {"refresh": token}, format="json")

    assert_envelope(response, 400, "invalid_token")


def test_logout_with_an_access_token_is_400(user):
    tokens = tokens_for(user)

    response = client_with(tokens["access"]).post(
        LOGOUT, {"refresh": tokens["access"]}, format="json"
    )

    assert_envelope(response, 400, "invalid_token")


def test_logout_needs_authentication(api_client, user):
    response = api_client.post(LOGOUT, {"refresh": tokens_for(user)["refresh"]}, format="json")

    assert_envelope(response, 401, "authentication")


def test_logout_all_makes_an_unexpired_access_token_401(user):
    tokens = tokens_for(user)
    client = client_with(tokens["access"])

    response = client.post(LOGOUT_ALL)

    assert response.status_code == 204, response.content
    assert_envelope(client.get(ME), 401, "invalid_token")


def test_logout_all_revokes_every_refresh_token(user):
    first, second = tokens_for(user), tokens_for(user)

    client_with(first["access"]).post(LOGOUT_ALL)

    for tokens in (first, second):
        response = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
        assert_envelope(response, 401, "invalid_token")


def test_logout_all_leaves_other_users_alone(auth_client, other_user):
    theirs = bearer_client(other_user)

    auth_client.post(LOGOUT_ALL)

    assert theirs.get(ME).status_code == 200


def test_a_new_login_after_logout_all_works(api_client, user):
    client_with(tokens_for(user)["access"]).post(LOGOUT_ALL)

    response = login(api_client, user.email)

    assert response.status_code == 200, response.content
    assert client_with(response.json()["access"]).get(ME).status_code == 200


# --- me -------------------------------------------------------------------------------------------


def test_me_returns_the_callers_account(auth_client, user):
    response = auth_client.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ME_FIELDS
    assert body["id"] == str(user.id)
    assert body["email"] == user.email
    assert body["role"] == "user"
    assert body["date_joined"]


def test_me_needs_authentication(api_client):
    assert_envelope(api_client.get(ME), 401, "authentication")


def test_me_patch_changes_names_language_and_preferences(auth_client, user):
    response = auth_client.patch(
        ME,
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "language": "fr",
            "preferences": {"theme": "dark"},
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.language) == ("Ann", "Lee", "fr")
    assert user.preferences == {"theme": "dark"}
    assert response.json()["language"] == "fr"


def test_me_patch_changes_only_the_fields_sent(auth_client, user):
    last_name = user.last_name

    auth_client.patch(ME, {"first_name": "Ann"}, format="json")

    user.refresh_from_db()
    assert user.first_name == "Ann"
    assert user.last_name == last_name


def test_me_patch_cannot_change_role_or_email(auth_client, user):
    response = auth_client.patch(
        ME, {"role": "admin", "email": "evil@example.com", "first_name": "Ann"}, format="json"
    )

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.role == "user"
    assert user.email != "evil@example.com"


def test_me_patch_with_an_unknown_language_is_422(auth_client):
    response = auth_client.patch(ME, {"language": "xx"}, format="json")

    error = assert_envelope(response, 422, "validation")
    assert "language" in error["details"]


@pytest.mark.parametrize("preferences", [["a"], "dark", 3])
def test_me_patch_with_preferences_not_an_object_is_422(auth_client, preferences):
    response = auth_client.patch(ME, {"preferences": preferences}, format="json")

    error = assert_envelope(response, 422, "validation")
    assert "preferences" in error["details"]


def test_me_patch_with_a_too_long_name_is_422(auth_client):
    response = auth_client.patch(ME, {"first_name": "x" * 151}, format="json")

    assert_envelope(response, 422, "validation")


# --- passwords --------------------------------------------------------------------------------


def test_password_change_answers_204_and_sets_the_new_password(auth_client, user):
    response = auth_client.post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204, response.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_change_revokes_every_earlier_token(user):
    tokens = tokens_for(user)
    client = client_with(tokens["access"])

    client.post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert_envelope(client.get(ME), 401, "invalid_token")
    refresh = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert_envelope(refresh, 401, "invalid_token")


def test_password_change_with_a_wrong_old_password_is_422(auth_client, user):
    response = auth_client.post(
        PASSWORD_CHANGE, {"old_password": "wrong", "new_password": NEW_PASSWORD}, format="json"
    )

    error = assert_envelope(response, 422, "validation")
    assert "old_password" in error["details"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_with_a_weak_new_password_is_422(auth_client):
    response = auth_client.post(
        PASSWORD_CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": "123"}, format="json"
    )

    error = assert_envelope(response, 422, "validation")
    assert "new_password" in error["details"]


def test_password_change_through_the_session_keeps_that_session(user):
    client = APIClient()
    client.force_login(user)

    client.post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert client.get(ME).status_code == 200


def test_password_reset_answers_204_whether_or_not_the_address_exists(
    api_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = api_client.post(PASSWORD_RESET, {"email": user.email}, format="json")
        unknown = api_client.post(PASSWORD_RESET, {"email": "nobody@example.com"}, format="json")

    assert known.status_code == unknown.status_code == 204
    assert known.content == unknown.content == b""
    assert [message.to for message in mailoutbox] == [[user.email]]


def test_password_reset_sends_nothing_for_an_inactive_account(
    api_client, mailoutbox, django_capture_on_commit_callbacks
):
    inactive = UserFactory(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(PASSWORD_RESET, {"email": inactive.email}, format="json")

    assert response.status_code == 204
    assert mailoutbox == []


def test_reset_link_from_the_email_sets_a_new_password(
    api_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(PASSWORD_RESET, {"email": user.email}, format="json")
    assert urlparse(link_in(mailoutbox[0])).path == reverse("accounts:password-reset-confirm")

    response = api_client.post(
        PASSWORD_RESET_CONFIRM,
        {"token": token_in(mailoutbox[0]), "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 204, response.content
    assert login(api_client, user.email, NEW_PASSWORD).status_code == 200
    assert_envelope(login(api_client, user.email), 401, "authentication")


def test_a_used_reset_token_is_400(api_client, user):
    from accounts import tokens

    token = tokens.make_password_reset_token(user)
    api_client.post(
        PASSWORD_RESET_CONFIRM, {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    response = api_client.post(
        PASSWORD_RESET_CONFIRM,
        {"token": token, "new_password": "another-fine-phrase-88"},
        format="json",
    )

    assert_envelope(response, 400, "invalid_token")


def test_a_garbage_reset_token_is_400(api_client):
    response = api_client.post(
        PASSWORD_RESET_CONFIRM, {"token": "garbage", "new_password": NEW_PASSWORD}, format="json"
    )

    assert_envelope(response, 400, "invalid_token")


def test_reset_confirm_with_a_weak_password_is_422_and_keeps_the_token_usable(api_client, user):
    from accounts import tokens

    token = tokens.make_password_reset_token(user)

    weak = api_client.post(
        PASSWORD_RESET_CONFIRM, {"token": token, "new_password": "123"}, format="json"
    )
    strong = api_client.post(
        PASSWORD_RESET_CONFIRM, {"token": token, "new_password": NEW_PASSWORD}, format="json"
    )

    assert_envelope(weak, 422, "validation")
    assert strong.status_code == 204, strong.content


def test_reset_confirm_revokes_earlier_tokens_and_lifts_a_lockout(api_client, user):
    from accounts import tokens

    client = client_with(tokens_for(user)["access"])
    User.objects.filter(pk=user.pk).update(locked_at=timezone.now(), failed_login_attempts=5)

    api_client.post(
        PASSWORD_RESET_CONFIRM,
        {"token": tokens.make_password_reset_token(user), "new_password": NEW_PASSWORD},
        format="json",
    )

    assert_envelope(client.get(ME), 401, "invalid_token")
    assert login(api_client, user.email, NEW_PASSWORD).status_code == 200


# --- bad input everywhere -------------------------------------------------------------------

ANONYMOUS_POSTS = [REGISTER, VERIFY, TOKEN, REFRESH, PASSWORD_RESET, PASSWORD_RESET_CONFIRM]
SIGNED_IN_WRITES = [("post", LOGOUT), ("post", PASSWORD_CHANGE), ("patch", ME)]


@pytest.mark.parametrize("url", ANONYMOUS_POSTS)
def test_malformed_json_is_400(api_client, url):
    response = api_client.post(url, data="{not json", content_type="application/json")

    assert_envelope(response, 400, "bad_request")


@pytest.mark.parametrize("url", ANONYMOUS_POSTS)
def test_absurdly_nested_json_is_400(api_client, url):
    body = "[" * 100_000 + "]" * 100_000

    response = api_client.post(url, data=body, content_type="application/json")

    assert_envelope(response, 400, "bad_request")


@pytest.mark.parametrize("url", ANONYMOUS_POSTS)
def test_non_json_body_is_415(api_client, url):
    response = api_client.post(url, data="email=x", content_type="text/plain")

    assert_envelope(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("url", ANONYMOUS_POSTS)
@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "42"])
def test_json_that_is_not_an_object_is_4xx(api_client, url, body):
    response = api_client.post(url, data=body, content_type="application/json")

    assert 400 <= response.status_code < 500
    assert_envelope(response, response.status_code)


@pytest.mark.parametrize("url", ANONYMOUS_POSTS)
def test_missing_fields_are_422(api_client, url):
    response = api_client.post(url, {}, format="json")

    assert_envelope(response, 422, "validation")


@pytest.mark.parametrize("url", ANONYMOUS_POSTS)
def test_wrong_types_are_4xx(api_client, url):
    body = {
        key: {"nested": ["x"]}
        for key in ("email", "password", "token", "refresh", "new_password", "language")
    }

    response = api_client.post(url, body, format="json")

    assert 400 <= response.status_code < 500
    assert_envelope(response, response.status_code)


@pytest.mark.parametrize(("method", "url"), SIGNED_IN_WRITES)
@pytest.mark.parametrize("body", ["{not json", "[1, 2]", "null", "[" * 100_000])
def test_signed_in_writes_reject_bad_bodies_with_4xx(auth_client, method, url, body):
    response = getattr(auth_client, method)(url, data=body, content_type="application/json")

    assert 400 <= response.status_code < 500
    assert_envelope(response, response.status_code)


@pytest.mark.parametrize(("method", "url"), SIGNED_IN_WRITES)
def test_signed_in_writes_reject_wrong_types_with_4xx(auth_client, method, url):
    body = {
        key: {"nested": ["x"]}
        for key in ("refresh", "old_password", "new_password", "first_name", "language")
    }

    response = getattr(auth_client, method)(url, body, format="json")

    assert 400 <= response.status_code < 500
    assert_envelope(response, response.status_code)


def test_form_encoded_login_works_like_json(api_client, user):
    response = api_client.post(TOKEN, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 200, response.content


def test_me_patch_refuses_preferences_nested_past_the_parser(auth_client, user):
    deep = "[" * 5000 + "]" * 5000

    response = auth_client.patch(ME, {"preferences": deep})

    assert response.status_code == 422
    assert response.json()["error"]["details"]["preferences"]
    user.refresh_from_db()
    assert user.preferences == {}
