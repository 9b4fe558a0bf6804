import re
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from accounts.services import BAD_CREDENTIALS
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from nexus_site.definitions import constants
from nexus_site.exceptions import AccountLockedError
from nexus_site.views import server_error_view

NEW_PASSWORD = "a-fresh-and-long-passphrase-17"
LOGIN_URL = reverse("accounts:login")


def link_in(message) -> str:
    """Return the path and query of the first link in an e-mail body."""
    url = urlparse(re.search(r"https?://\S+", message.body).group(0))
    return f"{url.path}?{url.query}"


def logged_in_client(client, user):
    client.force_login(user)
    return client


def register(client, email, password=NEW_PASSWORD, **extra):
    data = {"email": email, "password": password, "password_confirm": password, **extra}
    return client.post(reverse("accounts:register"), data, follow=True)


# --- Pages and who may see them ----------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["accounts:login", "accounts:register", "accounts:password-reset"],
)
def test_account_page_renders_for_anonymous_visitor(client, db, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert 'lang="en" dir="ltr"' in response.content.decode()


def test_done_pages_render(client, db):
    for name in ("accounts:register-done", "accounts:password-reset-done"):
        assert client.get(reverse(name)).status_code == 200


def test_dashboard_redirects_anonymous_visitor_to_login(client, db):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next=/"


def test_dashboard_shows_the_user_account(client, user):
    response = logged_in_client(client, user).get(reverse("dashboard"))

    content = response.content.decode()
    assert response.status_code == 200
    assert escape(user.full_name) in content
    assert user.email in content
    assert str(user.get_role_display()) in content
    assert reverse("swagger-ui") in content
    assert reverse("admin:index") not in content


def test_dashboard_links_staff_to_the_admin(client, staff_user):
    response = logged_in_client(client, staff_user).get(reverse("dashboard"))

    assert reverse("admin:index") in response.content.decode()


def test_dashboard_warns_about_an_unconfirmed_address(client, db):
    user = UserFactory(email_verified=False)

    response = logged_in_client(client, user).get(reverse("dashboard"))

    assert 'class="badge badge--warning"' in response.content.decode()


def test_navigation_offers_login_and_register_to_anonymous_visitor(client, db):
    content = client.get(LOGIN_URL).content.decode()

    assert reverse("accounts:register") in content
    assert reverse("accounts:logout") not in content


def test_navigation_offers_logout_to_signed_in_user(client, user):
    content = logged_in_client(client, user).get(reverse("dashboard")).content.decode()

    assert f'action="{reverse("accounts:logout")}"' in content


def test_language_switcher_lists_the_seven_languages_in_their_own_names(client, db):
    content = client.get(LOGIN_URL).content.decode()

    for code, name in settings.LANGUAGES:
        assert f'<option value="{code}" lang="{code}"' in content
        assert name in content


def test_login_page_redirects_signed_in_user_to_dashboard(client, user):
    response = logged_in_client(client, user).get(LOGIN_URL)

    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_login_page_with_next_to_itself_does_not_loop(client, user):
    response = logged_in_client(client, user).get(f"{LOGIN_URL}?next={LOGIN_URL}")

    assert response.status_code == 302
    assert response.url == reverse("dashboard")


# --- Login and logout ----------------------------------------------------------------------


def test_login_with_right_password_signs_in_and_opens_dashboard(client, user):
    response = client.post(LOGIN_URL, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_ignores_the_case_of_the_address(client, user):
    response = client.post(LOGIN_URL, {"email": user.email.upper(), "password": DEFAULT_PASSWORD})

    assert response.status_code == 302


def test_login_with_wrong_password_shows_an_error(client, user):
    response = client.post(LOGIN_URL, {"email": user.email, "password": "wrong"})

    assert response.status_code == 200
    assert escape(str(BAD_CREDENTIALS)) in response.content.decode()
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.failed_login_attempts == 1


def test_login_with_unknown_address_shows_the_same_error(client, db):
    response = client.post(LOGIN_URL, {"email": "nobody@example.com", "password": "wrong"})

    assert escape(str(BAD_CREDENTIALS)) in response.content.decode()


def test_login_with_empty_form_shows_field_errors(client, db):
    response = client.post(LOGIN_URL, {"email": "", "password": ""})

    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"email", "password"}


def test_too_many_failed_logins_lock_the_account(client, user):
    for _attempt in range(constants.MAX_LOGIN_ATTEMPTS):
        response = client.post(LOGIN_URL, {"email": user.email, "password": "wrong"})

    locked = escape(str(AccountLockedError.default_message))
    assert locked in response.content.decode()
    response = client.post(LOGIN_URL, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert locked in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_follows_a_safe_next(client, user):
    response = client.post(
        f"{LOGIN_URL}?next=/accounts/password-reset/",
        {"email": user.email, "password": DEFAULT_PASSWORD},
    )

    assert response.url == "/accounts/password-reset/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/"]
)
def test_login_refuses_an_open_redirect(client, user, next_url):
    response = client.post(
        LOGIN_URL, {"email": user.email, "password": DEFAULT_PASSWORD, "next": next_url}
    )

    assert response.status_code == 302
    assert response.url == reverse("dashboard")


def test_login_page_keeps_next_in_the_form(client, db):
    response = client.get(f"{LOGIN_URL}?next=/admin/")

    assert '<input type="hidden" name="next" value="/admin/">' in response.content.decode()


def test_logout_signs_out_and_returns_to_login(client, user):
    logged_in_client(client, user)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert "_auth_user_id" not in client.session


def test_logout_refuses_get(client, user):
    response = logged_in_client(client, user).get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(user.pk)


# --- Registration and verification -------------------------------------------------------------


def test_register_new_address_sends_a_verification_link(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, "new@example.com", first_name="Nora")

    assert response.redirect_chain == [(reverse("accounts:register-done"), 302)]
    created = User.objects.get(email="new@example.com")
    assert not created.email_verified
    assert len(mailoutbox) == 1
    assert reverse("accounts:verify-email") in mailoutbox[0].body


def test_register_existing_address_shows_the_same_page(
    client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = register(client, "someone-new@example.com")
        existing = register(client, user.email.upper())

    assert existing.redirect_chain == new.redirect_chain
    assert [t.name for t in existing.templates] == [t.name for t in new.templates]
    assert User.objects.filter(email__iexact=user.email).count() == 1
    assert [m.to for m in mailoutbox] == [["someone-new@example.com"], [user.email]]


def test_register_saves_the_page_language(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    register(client, "francais@example.com")

    assert User.objects.get(email="francais@example.com").language == "fr"


def test_register_shows_password_rules_on_the_form(client, db):
    response = register(client, "weak@example.com", password="12345678")

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(email="weak@example.com").exists()


def test_register_requires_matching_passwords(client, db):
    response = client.post(
        reverse("accounts:register"),
        {"email": "m@example.com", "password": NEW_PASSWORD, "password_confirm": "other"},
    )

    assert response.context["form"].errors["password_confirm"]
    assert not User.objects.filter(email="m@example.com").exists()


def test_register_page_redirects_signed_in_user(client, user):
    response = logged_in_client(client, user).get(reverse("accounts:register"))

    assert response.url == reverse("dashboard")


def test_verification_link_confirms_the_address(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register(client, "verify@example.com")

    response = client.get(link_in(mailoutbox[0]))

    assert response.status_code == 200
    assert "accounts/verify_email_done.html" in [t.name for t in response.templates]
    assert User.objects.get(email="verify@example.com").email_verified


@pytest.mark.parametrize("query", ["?token=not-a-token", ""])
def test_bad_verification_link_shows_an_error_page(client, db, query):
    response = client.get(reverse("accounts:verify-email") + query)

    assert response.status_code == 400
    assert "error.html" in [t.name for t in response.templates]


# --- Password reset ------------------------------------------------------------------------------


def test_password_reset_works_end_to_end(
    client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password-reset"), {"email": user.email})
    assert response.url == reverse("accounts:password-reset-done")
    link = link_in(mailoutbox[0])

    form_page = client.get(link)
    token = form_page.context["form"].initial["token"]
    response = client.post(
        reverse("accounts:password-reset-confirm"),
        {"token": token, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )

    assert form_page.status_code == 200
    assert response.status_code == 302
    assert response.url == LOGIN_URL
    response = client.post(LOGIN_URL, {"email": user.email, "password": NEW_PASSWORD})
    assert response.url == reverse("dashboard")
    assert client.get(link).status_code == 400  # the link works once


def test_password_reset_for_unknown_address_shows_the_same_page(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password-reset"), {"email": "no@example.com"})

    assert response.url == reverse("accounts:password-reset-done")
    assert mailoutbox == []


def test_password_reset_confirm_with_bad_token_shows_an_error_page(client, db):
    url = reverse("accounts:password-reset-confirm")

    shown = client.get(f"{url}?token=forged")
    posted = client.post(
        url, {"token": "forged", "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD}
    )

    assert shown.status_code == 400
    assert posted.status_code == 400


def test_password_reset_confirm_shows_password_rules_on_the_form(client, user):
    from accounts.tokens import make_password_reset_token

    response = client.post(
        reverse("accounts:password-reset-confirm"),
        {
            "token": make_password_reset_token(user),
            "new_password": "12345678",
            "new_password_confirm": "12345678",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


# --- Language ------------------------------------------------------------------------------------


def test_arabic_page_is_right_to_left(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"

    response = client.get(LOGIN_URL)

    assert '<html lang="ar" dir="rtl">' in response.content.decode()


def test_german_page_follows_accept_language(client, db):
    response = client.get(LOGIN_URL, headers={"accept-language": "de-DE,de;q=0.9"})

    assert '<html lang="de" dir="ltr">' in response.content.decode()


def test_saved_language_applies_without_a_cookie(client, db):
    user = UserFactory(language="ar")

    response = logged_in_client(client, user).get(reverse("dashboard"))

    assert '<html lang="ar" dir="rtl">' in response.content.decode()


def test_language_switch_saves_the_users_language(client, user):
    response = logged_in_client(client, user).post(
        reverse("accounts:set-language"), {"language": "ar", "next": "/"}
    )

    assert response.status_code == 302
    assert response.url == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    user.refresh_from_db()
    assert user.language == "ar"
    assert 'dir="rtl"' in client.get("/").content.decode()


def test_language_switch_for_anonymous_visitor_only_sets_the_cookie(client, db):
    response = client.post(reverse("accounts:set-language"), {"language": "de", "next": LOGIN_URL})

    assert response.url == LOGIN_URL
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


def test_language_switch_ignores_a_language_nexus_does_not_offer(client, user):
    logged_in_client(client, user).post(
        reverse("accounts:set-language"), {"language": "pt", "next": "/"}
    )

    user.refresh_from_db()
    assert user.language == "en"


def test_language_switch_refuses_an_open_redirect(client, db):
    response = client.post(
        reverse("accounts:set-language"), {"language": "de", "next": "https://evil.example/"}
    )

    assert response.url == "/"


def test_language_switch_refuses_get(client, db):
    assert client.get(reverse("accounts:set-language")).status_code == 405


# --- Error pages ---------------------------------------------------------------------------


def test_unknown_page_renders_the_error_page(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "error.html" in [t.name for t in response.templates]
    assert 'class="error-page__status"' in response.content.decode()


def test_server_error_page_renders_without_database_queries(db, django_assert_num_queries):
    request = RequestFactory().get("/somewhere/")

    with django_assert_num_queries(0):
        response = server_error_view(request)

    assert response.status_code == 500
    assert b"<html" in response.content


def test_password_reset_page_is_rate_limited_like_the_api(client, settings, db):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon_sensitive": "2/min",
        },
    }
    url = reverse("accounts:password-reset")

    statuses = [client.post(url, {"email": "a@example.com"}).status_code for _ in range(3)]

    assert statuses[:2] != [429, 429]
    assert statuses[2] == 429


def test_login_page_is_rate_limited_per_address(client, settings, user):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login_email": "2/min",
        },
    }
    url = reverse("accounts:login")
    data = {"username": user.email, "email": user.email, "password": "wrong"}

    statuses = [client.post(url, data).status_code for _ in range(3)]

    assert 429 not in statuses[:2]
    assert statuses[2] == 429
