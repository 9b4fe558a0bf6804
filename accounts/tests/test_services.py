"""Services, selectors and tasks of accounts with branching logic: lockout, token revocation."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import selectors, services
from accounts.authentication import VersionedRefreshToken
from accounts.models import User
from accounts.tasks import flush_expired_tokens
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from nexus_site.definitions import constants
from nexus_site.definitions.enums import Role
from nexus_site.exceptions import AccountLockedError, AuthenticationError, NotFoundError

pytestmark = pytest.mark.django_db


def fail_logins(user: User, times: int) -> None:
    for _ in range(times):
        with pytest.raises((AuthenticationError, AccountLockedError)):
            services.user_authenticate(email=user.email, password="wrong")


# --- user_authenticate ------------------------------------------------------------------------


def test_authenticate_returns_the_user_for_the_right_password(user):
    result = services.user_authenticate(email=user.email.upper(), password=DEFAULT_PASSWORD)

    assert result == user
    assert result.last_login is not None


def test_authenticate_counts_failures_in_a_row(user):
    fail_logins(user, 2)

    user.refresh_from_db()
    assert user.failed_login_attempts == 2
    assert user.locked_at is None


def test_authenticate_locks_on_the_last_allowed_failure(user):
    fail_logins(user, constants.MAX_LOGIN_ATTEMPTS - 1)

    with pytest.raises(AccountLockedError):
        services.user_authenticate(email=user.email, password="wrong")

    user.refresh_from_db()
    assert user.is_locked


def test_authenticate_refuses_the_right_password_while_locked(user):
    fail_logins(user, constants.MAX_LOGIN_ATTEMPTS)

    with pytest.raises(AccountLockedError):
        services.user_authenticate(email=user.email, password=DEFAULT_PASSWORD)


def test_authenticate_lifts_an_expired_lock(user):
    fail_logins(user, constants.MAX_LOGIN_ATTEMPTS)
    User.objects.filter(pk=user.pk).update(
        locked_at=timezone.now() - timedelta(seconds=constants.LOCKOUT_SECONDS + 1)
    )

    result = services.user_authenticate(email=user.email, password=DEFAULT_PASSWORD)

    assert result.locked_at is None
    assert result.failed_login_attempts == 0


def test_authenticate_after_an_expired_lock_starts_counting_again(user):
    fail_logins(user, constants.MAX_LOGIN_ATTEMPTS)
    User.objects.filter(pk=user.pk).update(
        locked_at=timezone.now() - timedelta(seconds=constants.LOCKOUT_SECONDS + 1)
    )

    fail_logins(user, 1)

    user.refresh_from_db()
    assert user.failed_login_attempts == 1
    assert not user.is_locked


def test_authenticate_success_resets_the_failure_count(user):
    fail_logins(user, constants.MAX_LOGIN_ATTEMPTS - 1)

    services.user_authenticate(email=user.email, password=DEFAULT_PASSWORD)

    user.refresh_from_db()
    assert user.failed_login_attempts == 0


def test_authenticate_an_unknown_address_is_an_authentication_error():
    with pytest.raises(AuthenticationError) as raised:
        services.user_authenticate(email="nobody@example.com", password="x")

    assert not isinstance(raised.value, AccountLockedError)


def test_authenticate_an_inactive_user_fails_with_the_right_password():
    inactive = UserFactory(is_active=False)

    with pytest.raises(AuthenticationError):
        services.user_authenticate(email=inactive.email, password=DEFAULT_PASSWORD)


def test_unlock_lifts_the_lock(user, staff_user):
    fail_logins(user, constants.MAX_LOGIN_ATTEMPTS)

    services.user_unlock(user=user, actor=staff_user)

    assert services.user_authenticate(email=user.email, password=DEFAULT_PASSWORD) == user


# --- user_register ---------------------------------------------------------------------------


def test_register_with_a_taken_address_still_hashes_the_password(user, monkeypatch):
    hashed = []
    monkeypatch.setattr(services, "make_password", lambda password: hashed.append(password))

    result = services.user_register(email=user.email, password="a-fine-long-passphrase-1")

    assert result is None
    assert hashed == ["a-fine-long-passphrase-1"]  # as costly as a new account: no timing hint


# --- user_revoke_tokens ------------------------------------------------------------------------


def test_revoke_tokens_raises_the_token_version(user):
    before = user.token_version

    services.user_revoke_tokens(user=user)

    user.refresh_from_db()
    assert user.token_version == before + 1


def test_revoke_tokens_blacklists_every_outstanding_refresh_token(user):
    VersionedRefreshToken.for_user(user)
    VersionedRefreshToken.for_user(user)

    services.user_revoke_tokens(user=user)

    assert BlacklistedToken.objects.filter(token__user=user).count() == 2


def test_revoke_tokens_twice_is_harmless(user):
    VersionedRefreshToken.for_user(user)
    services.user_revoke_tokens(user=user)

    services.user_revoke_tokens(user=user)

    assert BlacklistedToken.objects.filter(token__user=user).count() == 1


def test_revoke_tokens_leaves_other_users_tokens_alone(user, other_user):
    VersionedRefreshToken.for_user(other_user)

    services.user_revoke_tokens(user=user)

    assert not BlacklistedToken.objects.filter(token__user=other_user).exists()


# --- selectors -------------------------------------------------------------------------------


def test_staff_see_every_user(staff_user, user, other_user):
    visible = selectors.user_list(actor=staff_user)

    assert set(visible) == {staff_user, user, other_user}


def test_a_non_staff_user_sees_only_themselves(user, other_user):
    assert list(selectors.user_list(actor=user)) == [user]


def test_another_users_account_is_not_found_for_a_non_staff_user(user, other_user):
    with pytest.raises(NotFoundError):
        selectors.user_get(actor=user, user_id=other_user.id)


def test_a_manager_may_read_any_account(user):
    manager = UserFactory(role=Role.MANAGER)

    assert selectors.user_get(actor=manager, user_id=user.id) == user


# --- flush_expired_tokens ------------------------------------------------------------------------


def expire(token: VersionedRefreshToken) -> None:
    OutstandingToken.objects.filter(jti=token["jti"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_flush_deletes_expired_tokens_and_their_blacklist_entries(user):
    expired = VersionedRefreshToken.for_user(user)
    expired.blacklist()
    expire(expired)
    live = VersionedRefreshToken.for_user(user)

    deleted = flush_expired_tokens.apply().get()

    assert deleted == 1
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
    assert not BlacklistedToken.objects.exists()


def test_flush_twice_deletes_nothing_the_second_time(user):
    expire(VersionedRefreshToken.for_user(user))
    flush_expired_tokens()

    assert flush_expired_tokens() == 0


def test_flush_is_registered_under_the_beat_schedule_name(settings):
    scheduled = settings.CELERY_BEAT_SCHEDULE["flush-expired-tokens"]["task"]

    assert flush_expired_tokens.name == scheduled
