"""The Django admin screens for users at /admin/."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import bearer_client
from nexus_site.definitions import constants
from nexus_site.definitions.enums import Role

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")
ADD = reverse("admin:accounts_user_add")
NEW_PASSWORD = "a-much-better-passphrase-77"


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def change_form_data(user: User, **changes) -> dict:
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "time_zone": user.time_zone,
        "avatar_color": user.avatar_color,
        "preferences": "{}",
        "role": user.role,
        "is_active": "on" if user.is_active else "",
        "email_verified": "on" if user.email_verified else "",
        "_save": "Save",
        **changes,
    }
    return {key: value for key, value in data.items() if value != ""}


def lock(user: User, *, seconds_ago: int = 0) -> None:
    locked_at = timezone.now() - timedelta(seconds=seconds_ago)
    User.objects.filter(pk=user.pk).update(locked_at=locked_at, failed_login_attempts=5)


def listed_emails(response) -> set[str]:
    return {user.email for user in response.context["cl"].result_list}


def test_group_admin_is_not_registered():
    assert not admin.site.is_registered(Group)


def test_changelist_lists_users(admin_client, user):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert user.email in listed_emails(response)


def test_changelist_searches_by_email_and_name(admin_client):
    UserFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    UserFactory(email="bob@example.com", first_name="Bob")

    by_name = admin_client.get(CHANGELIST, {"q": "Lovelace"})
    by_email = admin_client.get(CHANGELIST, {"q": "bob@"})

    assert listed_emails(by_name) == {"ada@example.com"}
    assert listed_emails(by_email) == {"bob@example.com"}


def test_changelist_filters_by_role(admin_client, staff_user, user):
    response = admin_client.get(CHANGELIST, {"role__exact": Role.ADMIN})

    assert listed_emails(response) == {staff_user.email}


def test_changelist_filters_by_active_flag(admin_client):
    inactive = UserFactory(is_active=False)

    response = admin_client.get(CHANGELIST, {"is_active__exact": "0"})

    assert listed_emails(response) == {inactive.email}


def test_locked_filter_lists_only_users_still_inside_the_lockout(admin_client, user, other_user):
    lock(user)
    lock(other_user, seconds_ago=constants.LOCKOUT_SECONDS + 1)

    locked = admin_client.get(CHANGELIST, {"locked": "yes"})
    unlocked = admin_client.get(CHANGELIST, {"locked": "no"})

    assert listed_emails(locked) == {user.email}
    assert user.email not in listed_emails(unlocked)
    assert other_user.email in listed_emails(unlocked)


def test_unlock_action_lifts_the_lock_of_selected_users(admin_client, user, other_user):
    lock(user)
    lock(other_user)

    response = admin_client.post(
        CHANGELIST, {"action": "unlock_users", "_selected_action": [str(user.pk)]}, follow=True
    )

    assert response.status_code == 200
    user.refresh_from_db()
    other_user.refresh_from_db()
    assert (user.locked_at, user.failed_login_attempts) == (None, 0)
    assert other_user.is_locked
    assert "1 user was unlocked." in [str(message) for message in response.context["messages"]]


def test_add_form_creates_a_user_who_can_sign_in(admin_client):
    response = admin_client.post(
        ADD,
        {
            "email": "New.Person@Example.com",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "first_name": "New",
            "last_name": "Person",
            "language": "en",
            "role": Role.MANAGER,
            "_save": "Save",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(email="new.person@example.com")
    assert created.role == Role.MANAGER
    assert created.is_staff
    assert created.check_password(NEW_PASSWORD)


def test_add_form_refuses_an_address_taken_in_another_case(admin_client, user):
    response = admin_client.post(
        ADD,
        {
            "email": user.email.upper(),
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "language": "en",
            "role": Role.USER,
            "_save": "Save",
        },
    )

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email__iexact=user.email).count() == 1


def test_add_form_refuses_a_weak_password(admin_client):
    response = admin_client.post(
        ADD,
        {
            "email": "weak@example.com",
            "usable_password": "true",
            "password1": "123",
            "password2": "123",
            "language": "en",
            "role": Role.USER,
            "_save": "Save",
        },
    )

    assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.com").exists()


def test_change_form_shows_a_user(admin_client, user):
    response = admin_client.get(change_url(user))

    assert response.status_code == 200
    assert user.email in response.content.decode()


def test_change_form_edits_the_time_zone_and_refuses_an_unknown_one(admin_client, user):
    changed = admin_client.post(change_url(user), change_form_data(user, time_zone="Asia/Tokyo"))
    refused = admin_client.post(change_url(user), change_form_data(user, time_zone="Mars/Olympus"))

    assert changed.status_code == 302
    assert refused.status_code == 200
    assert "time_zone" in refused.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"


def test_change_form_edits_the_role(admin_client, user):
    response = admin_client.post(change_url(user), change_form_data(user, role=Role.MANAGER))

    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.role == Role.MANAGER


def test_deactivating_in_the_change_form_revokes_tokens(admin_client, user):
    their_client = bearer_client(user)

    admin_client.post(change_url(user), change_form_data(user, is_active=""))

    user.refresh_from_db()
    assert not user.is_active
    assert their_client.get("/api/v1/auth/me/").status_code == 401


def test_own_role_and_active_flag_are_read_only(admin_client, staff_user):
    admin_client.post(
        change_url(staff_user), change_form_data(staff_user, role=Role.USER, is_active="")
    )

    staff_user.refresh_from_db()
    assert staff_user.role == Role.ADMIN
    assert staff_user.is_active


def test_setting_a_password_in_the_admin_revokes_tokens(admin_client, user):
    their_client = bearer_client(user)

    response = admin_client.post(
        password_url(user),
        {"set_usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert their_client.get("/api/v1/auth/me/").status_code == 401


def test_manager_may_view_but_not_change_users(user):
    client = Client()
    client.force_login(UserFactory(role=Role.MANAGER))

    view = client.get(change_url(user))
    change = client.post(change_url(user), change_form_data(user, role=Role.ADMIN))

    assert view.status_code == 200
    assert change.status_code == 403
    user.refresh_from_db()
    assert user.role == Role.USER


def test_customer_cannot_open_the_admin(user):
    client = Client()
    client.force_login(user)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_admin_login_page_signs_in_with_email(staff_user):
    client = Client()

    response = client.post(
        reverse("admin:login"),
        {"username": staff_user.email, "password": DEFAULT_PASSWORD, "next": CHANGELIST},
    )

    assert response.status_code == 302
    assert client.get(CHANGELIST).status_code == 200
