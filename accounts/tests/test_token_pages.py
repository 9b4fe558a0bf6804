"""Personal access tokens in the settings page (/accounts/settings/#tokens) and the admin."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import PersonalAccessToken
from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import Role

pytestmark = pytest.mark.django_db

SETTINGS = reverse("accounts:settings")
CREATE = reverse("accounts:settings-tokens")
CHANGELIST = reverse("admin:accounts_personalaccesstoken_changelist")
SECRET = re.compile(r"nxp_[a-z0-9]{8}_[A-Za-z0-9_-]{40}")


def revoke_url(token) -> str:
    return reverse("accounts:settings-token-revoke", args=[token.pk])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_token(user, name="script"):
    return services.personal_token_create(
        owner=user,
        name=name,
        scopes=["projects:read"],
        expires_at=timezone.now() + timedelta(days=30),
    )


def works(secret: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client.get("/api/v1/projects/").status_code == 200


def test_the_settings_page_lists_the_users_tokens_without_secrets(user, other_user):
    mine = make_token(user, name="deploy bot")
    theirs = make_token(other_user, name="their bot")

    response = signed_in(user).get(SETTINGS)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="tokens"' in page
    assert "deploy bot" in page
    assert mine.token.prefix in page
    assert mine.secret not in page
    assert "their bot" not in page
    assert theirs.token.prefix not in page
    assert "token-new-secret" not in page


def test_the_settings_page_runs_the_same_queries_for_many_tokens(user):
    client = signed_in(user)
    make_token(user, name="first")
    with CaptureQueriesContext(connection) as one:
        client.get(SETTINGS)
    for number in range(5):
        make_token(user, name=f"more {number}")

    with CaptureQueriesContext(connection) as six:
        page = client.get(SETTINGS).content.decode()

    assert len(six) == len(one)
    assert page.count("token-list__item") == 6


def test_creating_a_token_shows_its_secret_once(user):
    client = signed_in(user)

    response = client.post(
        CREATE,
        {"tokens-name": "laptop", "tokens-scopes": ["projects:read"], "tokens-lifetime": "7"},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    (secret,) = set(SECRET.findall(page))
    token = PersonalAccessToken.objects.get(owner=user)
    assert token.name == "laptop"
    assert token.scopes == ["projects:read"]
    assert timedelta(days=6, hours=23) < token.expires_at - timezone.now() <= timedelta(days=7)
    assert works(secret)
    assert secret not in client.get(SETTINGS).content.decode()


def test_creating_a_token_with_bad_input_shows_the_errors_and_makes_nothing(user):
    response = signed_in(user).post(
        CREATE, {"tokens-name": "", "tokens-scopes": ["nope:read"], "tokens-lifetime": "9999"}
    )

    assert response.status_code == 422
    form = response.context["forms"]["tokens"]
    assert set(form.errors) == {"name", "scopes", "lifetime"}
    assert not PersonalAccessToken.objects.exists()


def test_creating_a_token_with_a_taken_name_shows_the_error(user):
    make_token(user, name="laptop")

    response = signed_in(user).post(
        CREATE,
        {"tokens-name": "laptop", "tokens-scopes": ["search:read"], "tokens-lifetime": "30"},
    )

    assert response.status_code == 422
    assert "name" in response.context["forms"]["tokens"].errors
    assert PersonalAccessToken.objects.count() == 1


def test_revoking_a_token_from_the_page(user):
    created = make_token(user)

    response = signed_in(user).post(revoke_url(created.token))

    assert response.status_code == 302
    assert response["Location"].endswith("#tokens")
    created.token.refresh_from_db()
    assert created.token.revoked_at is not None
    assert not works(created.secret)


def test_revoking_another_users_token_answers_404(user, other_user):
    created = make_token(other_user)

    response = signed_in(user).post(revoke_url(created.token))

    assert response.status_code == 404
    created.token.refresh_from_db()
    assert created.token.revoked_at is None
    assert works(created.secret)


def test_the_token_pages_need_a_signed_in_user(user):
    created = make_token(user)
    client = Client()

    assert client.post(CREATE, {"tokens-name": "x"}).status_code == 302
    assert client.post(revoke_url(created.token)).status_code == 302
    assert not PersonalAccessToken.objects.filter(name="x").exists()
    created.token.refresh_from_db()
    assert created.token.revoked_at is None


def test_the_tokens_section_is_translated_and_right_to_left_in_arabic(user):
    user.language = "ar"
    user.save(update_fields=["language"])
    make_token(user)
    client = signed_in(user)
    client.cookies["django_language"] = "ar"

    page = client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="ar").content.decode()

    assert 'dir="rtl"' in page
    assert 'id="tokens"' in page
    assert "api-tokens.js" in page


# --- Admin ------------------------------------------------------------------------------------


def test_staff_see_tokens_in_the_admin_but_never_their_hash(staff_user, user):
    created = make_token(user, name="ops script")
    client = signed_in(staff_user)

    changelist = client.get(CHANGELIST).content.decode()
    change = client.get(
        reverse("admin:accounts_personalaccesstoken_change", args=[created.token.pk])
    ).content.decode()

    assert "ops script" in changelist
    for page in (changelist, change):
        assert created.token.secret_hash not in page
        assert created.secret not in page
    assert client.get(reverse("admin:accounts_personalaccesstoken_add")).status_code == 403


def test_an_administrator_revokes_tokens_with_the_admin_action(staff_user, user):
    first = make_token(user, name="one")
    second = make_token(user, name="two")
    kept = make_token(user, name="three")

    response = signed_in(staff_user).post(
        CHANGELIST,
        {
            "action": "revoke_tokens",
            "_selected_action": [str(first.token.pk), str(second.token.pk)],
        },
    )

    assert response.status_code == 302
    assert not works(first.secret)
    assert not works(second.secret)
    assert works(kept.secret)


def test_a_manager_sees_tokens_but_cannot_revoke_them(user):
    manager = UserFactory(role=Role.MANAGER)
    created = make_token(user)
    client = signed_in(manager)

    assert client.get(CHANGELIST).status_code == 200
    client.post(
        CHANGELIST, {"action": "revoke_tokens", "_selected_action": [str(created.token.pk)]}
    )

    created.token.refresh_from_db()
    assert created.token.revoked_at is None
