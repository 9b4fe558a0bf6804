"""The account settings page, /accounts/settings/: each section as a user and an attacker use it."""

import re
from datetime import UTC, datetime
from io import BytesIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from accounts import avatars, tokens
from accounts.models import User
from accounts.notification_kinds import PREFERENCES_KEY, NotificationKind
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import bearer_client
from workspace.documents.models import Document
from workspace.tests.documents.factories import DocumentFactory

SETTINGS = reverse("accounts:settings")
LOGIN = reverse("accounts:login")
ME = "/api/v1/auth/me/"
NEW_PASSWORD = "a-fresh-and-long-passphrase-17"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def post(client, name: str, data: dict, **kwargs):
    return client.post(reverse(f"accounts:settings-{name}"), data, **kwargs)


def image_upload(size=(400, 300), image_format="JPEG", name="me.jpg") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 40, 90)).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def link_in(message) -> str:
    url = urlparse(re.search(r"https?://\S+", message.body).group(0))
    return f"{url.path}?{url.query}"


def token_of(path: str) -> str:
    return parse_qs(urlparse(path).query)["token"][0]


# --- The page ---------------------------------------------------------------------------------


def test_settings_page_sends_an_anonymous_visitor_to_the_login(client, db):
    response = client.get(SETTINGS)

    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={SETTINGS}"


def test_settings_page_shows_every_section_with_the_users_values(signed_in, user):
    response = signed_in.get(SETTINGS)

    content = response.content.decode()
    assert response.status_code == 200
    for section in (
        "profile",
        "region",
        "password",
        "email",
        "notifications",
        "tokens",
        "sessions",
    ):
        assert f'id="{section}"' in content
    assert f'value="{user.first_name}"' in content
    assert user.email in content


def test_settings_page_runs_a_constant_number_of_queries(signed_in, user):
    with CaptureQueriesContext(connection) as queries:
        signed_in.get(SETTINGS)

    assert len(queries) <= 4  # session, user, the API tokens; nothing per section


def test_user_menu_links_to_the_settings(signed_in):
    assert SETTINGS in signed_in.get(reverse("dashboard")).content.decode()


def test_settings_posts_refuse_get(signed_in):
    assert signed_in.get(reverse("accounts:settings-profile")).status_code == 405


# --- Profile ------------------------------------------------------------------------------------


def test_profile_saves_names_and_initials_colour_shown_in_the_header(signed_in, user):
    response = post(
        signed_in,
        "profile",
        {
            "profile-first_name": "Nadia",
            "profile-last_name": "Karim",
            "profile-avatar_color": "teal",
        },
    )

    assert response.status_code == 302
    assert response.url == f"{SETTINGS}#profile"
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.avatar_color) == ("Nadia", "Karim", "teal")
    page = signed_in.get(SETTINGS).content.decode()
    assert '<span class="avatar avatar--teal" aria-hidden="true">NK</span>' in page


def test_profile_with_an_unknown_colour_keeps_the_input_and_changes_nothing(signed_in, user):
    before = (user.first_name, user.avatar_color)

    response = post(
        signed_in,
        "profile",
        {"profile-first_name": "Changed", "profile-last_name": "", "profile-avatar_color": "gold"},
    )

    assert response.status_code == 422
    content = response.content.decode()
    assert 'value="Changed"' in content
    assert "errorlist" in content
    user.refresh_from_db()
    assert (user.first_name, user.avatar_color) == before


def test_profile_with_a_too_long_name_changes_nothing(signed_in, user):
    response = post(
        signed_in,
        "profile",
        {"profile-first_name": "x" * 151, "profile-last_name": "", "profile-avatar_color": "red"},
    )

    assert response.status_code == 422
    user.refresh_from_db()
    assert user.avatar_color == "indigo"


# --- Avatar image -----------------------------------------------------------------------------


def test_avatar_upload_stores_a_square_png_shown_to_signed_in_people(signed_in, user):
    response = post(signed_in, "avatar", {"avatar-avatar": image_upload()})

    assert response.status_code == 302
    user.refresh_from_db()
    assert re.fullmatch(r"avatars/[0-9a-f]{32}\.png", user.avatar.name)
    assert f'src="{user.avatar_url}"' in signed_in.get(SETTINGS).content.decode()
    served = signed_in.get(user.avatar_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    image = Image.open(BytesIO(b"".join(served.streaming_content)))
    assert (image.format, image.size) == ("PNG", (avatars.SIZE, avatars.SIZE))


def test_avatar_is_not_served_to_anonymous_visitors(client, user):
    client.force_login(user)
    post(client, "avatar", {"avatar-avatar": image_upload()})
    user.refresh_from_db()
    client.logout()

    response = client.get(user.avatar_url)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


@pytest.mark.parametrize("name", ["../../settings.py", "abc.png", "0" * 32 + ".png", "x.svg"])
def test_avatar_with_an_unknown_or_crafted_name_is_404(signed_in, name):
    assert signed_in.get(f"/accounts/avatars/{name}").status_code == 404


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("me.png", b"<svg onload=alert(1)></svg>", content_type="image/png"),
        SimpleUploadedFile("me.png", b"GIF89a" + b"\x00" * 40, content_type="image/gif"),
    ],
    ids=["svg-as-png", "broken-gif"],
)
def test_avatar_upload_that_is_not_an_image_is_refused(signed_in, user, upload):
    response = post(signed_in, "avatar", {"avatar-avatar": upload})

    assert response.status_code == 422
    assert "PNG, JPEG, GIF or WebP" in response.content.decode()
    user.refresh_from_db()
    assert not user.avatar


@pytest.mark.parametrize("size", [(16, 16), (5000, 40)])
def test_avatar_upload_with_wrong_dimensions_is_refused(signed_in, user, size):
    response = post(signed_in, "avatar", {"avatar-avatar": image_upload(size, "PNG", "a.png")})

    assert response.status_code == 422
    user.refresh_from_db()
    assert not user.avatar


def test_avatar_upload_too_large_is_refused(signed_in, user, monkeypatch):
    monkeypatch.setattr(avatars, "MAX_BYTES", 100)

    response = post(signed_in, "avatar", {"avatar-avatar": image_upload()})

    assert response.status_code == 422
    assert "2 MB" in response.content.decode()
    user.refresh_from_db()
    assert not user.avatar


def test_a_new_avatar_replaces_and_deletes_the_old_file(
    signed_in, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(signed_in, "avatar", {"avatar-avatar": image_upload()})
        user.refresh_from_db()
        first = user.avatar.name
        post(signed_in, "avatar", {"avatar-avatar": image_upload((64, 64), "PNG", "b.png")})

    user.refresh_from_db()
    assert user.avatar.name != first
    assert not default_storage.exists(first)
    assert signed_in.get(reverse("accounts:avatar", args=[first.split("/")[1]])).status_code == 404


def test_removing_the_avatar_goes_back_to_initials(
    signed_in, user, django_capture_on_commit_callbacks
):
    post(signed_in, "avatar", {"avatar-avatar": image_upload()})
    user.refresh_from_db()
    name = user.avatar.name

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(reverse("accounts:settings-avatar-remove"))

    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.avatar
    assert not default_storage.exists(name)
    assert f'avatar--{user.avatar_color}" aria-hidden="true">{user.initials}<' in (
        signed_in.get(SETTINGS).content.decode()
    )


# --- Language and time zone -----------------------------------------------------------------


def test_language_change_saves_it_and_switches_the_pages_at_once(signed_in, user):
    response = post(
        signed_in,
        "region",
        {"region-language": "de", "region-time_zone": "Europe/Berlin"},
        follow=True,
    )

    assert response.redirect_chain == [(f"{SETTINGS}#region", 302)]
    assert '<html lang="de" dir="ltr">' in response.content.decode()
    assert signed_in.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("de", "Europe/Berlin")


def test_language_change_to_arabic_turns_the_pages_right_to_left(signed_in):
    response = post(
        signed_in, "region", {"region-language": "ar", "region-time_zone": "UTC"}, follow=True
    )

    assert '<html lang="ar" dir="rtl">' in response.content.decode()


def test_unknown_time_zone_keeps_the_input_and_changes_nothing(signed_in, user):
    response = post(
        signed_in, "region", {"region-language": "fr", "region-time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 422
    assert "errorlist" in response.content.decode()
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("en", "UTC")
    assert settings.LANGUAGE_COOKIE_NAME not in signed_in.cookies


def document_updated_at_noon(user) -> None:
    document = DocumentFactory(owner=user)
    noon = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    Document.objects.filter(pk=document.pk).update(updated_at=noon)


def test_time_zone_decides_how_times_are_shown_in_the_pages(signed_in, user):
    document_updated_at_noon(user)
    assert 'datetime="2026-01-15T12:00:00+00:00"' in signed_in.get("/documents/").content.decode()

    post(signed_in, "region", {"region-language": "en", "region-time_zone": "Asia/Tokyo"})

    content = signed_in.get("/documents/").content.decode()
    assert 'datetime="2026-01-15T21:00:00+09:00"' in content


def test_time_zone_leaves_the_api_in_utc(signed_in, user):
    User.objects.filter(pk=user.pk).update(time_zone="Asia/Tokyo")

    body = signed_in.get(ME).json()

    assert body["time_zone"] == "Asia/Tokyo"
    assert body["date_joined"].endswith("Z") or body["date_joined"].endswith("+00:00")


def test_a_time_zone_gone_from_the_system_falls_back_to_utc(signed_in, user):
    document_updated_at_noon(user)
    User.objects.filter(pk=user.pk).update(time_zone="Nowhere/Gone")

    content = signed_in.get("/documents/").content.decode()

    assert 'datetime="2026-01-15T12:00:00+00:00"' in content


# --- Password -------------------------------------------------------------------------------


def password_form(old=DEFAULT_PASSWORD, new=NEW_PASSWORD, confirm=None) -> dict:
    return {
        "password-old_password": old,
        "password-new_password": new,
        "password-new_password_confirm": new if confirm is None else confirm,
    }


def test_password_change_keeps_this_session_and_signs_out_every_other(signed_in, user):
    elsewhere = Client()
    elsewhere.force_login(user)
    api = bearer_client(user)
    assert api.get(ME).status_code == 200

    response = post(signed_in, "password", password_form())

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in.get(SETTINGS).status_code == 200
    assert elsewhere.get(SETTINGS).status_code == 302
    assert api.get(ME).status_code == 401


def test_password_change_with_a_wrong_current_password_changes_nothing(signed_in, user):
    elsewhere = Client()
    elsewhere.force_login(user)

    response = post(signed_in, "password", password_form(old="not-my-password"))

    assert response.status_code == 422
    assert "The current password is wrong." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert elsewhere.get(SETTINGS).status_code == 200


@pytest.mark.parametrize(
    "form",
    [password_form(new="12345678"), password_form(confirm="something-else-entirely-9")],
    ids=["too-weak", "mismatch"],
)
def test_password_change_refused_by_the_rules_changes_nothing(signed_in, user, form):
    response = post(signed_in, "password", form)

    assert response.status_code == 422
    assert 'id="password"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_guesses_share_the_login_limit_of_the_address(signed_in, user, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "login_email": "2/min",
        },
    }
    for _attempt in range(2):
        post(signed_in, "password", password_form(old="guess"))

    response = post(signed_in, "password", password_form())

    assert response.status_code == 429
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


# --- Notifications ------------------------------------------------------------------------------


def notification_form(**chosen) -> dict:
    data = {f"notifications-{kind}": "immediately" for kind in NotificationKind.values}
    data.update({f"notifications-{kind}": value for kind, value in chosen.items()})
    return data


def test_notification_choices_are_saved_beside_other_preferences(signed_in, user):
    User.objects.filter(pk=user.pk).update(preferences={"theme": "dark"})

    response = post(
        signed_in, "notifications", notification_form(mention="never", task_due="daily_digest")
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.preferences["theme"] == "dark"
    assert user.preferences[PREFERENCES_KEY]["mention"] == "never"
    assert user.preferences[PREFERENCES_KEY]["task_due"] == "daily_digest"
    assert user.preferences[PREFERENCES_KEY]["ai_budget"] == "immediately"


def test_notification_page_shows_the_saved_choice(signed_in, user):
    post(signed_in, "notifications", notification_form(mention="never"))

    content = signed_in.get(SETTINGS).content.decode()

    assert re.search(
        r'name="notifications-mention"[^>]*>.*?<option value="never" selected>', content, re.S
    )


def test_notification_choice_with_an_unknown_delivery_changes_nothing(signed_in, user):
    response = post(signed_in, "notifications", notification_form(mention="hourly"))

    assert response.status_code == 422
    user.refresh_from_db()
    assert PREFERENCES_KEY not in user.preferences


# --- Sessions ---------------------------------------------------------------------------------


def test_log_out_everywhere_ends_every_session_and_token(signed_in, user):
    elsewhere = Client()
    elsewhere.force_login(user)
    api = bearer_client(user)

    response = signed_in.post(reverse("accounts:settings-logout-everywhere"), follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert "You have been logged out everywhere." in response.content.decode()
    assert signed_in.get(SETTINGS).status_code == 302
    assert elsewhere.get(SETTINGS).status_code == 302
    assert api.get(ME).status_code == 401


def test_log_out_everywhere_needs_a_post(signed_in, user):
    assert signed_in.get(reverse("accounts:settings-logout-everywhere")).status_code == 405
    assert signed_in.get(SETTINGS).status_code == 200


# --- E-mail address change ------------------------------------------------------------------


def ask_for_address(client, new_email, password=DEFAULT_PASSWORD, **kwargs):
    return post(
        client, "email", {"email-new_email": new_email, "email-password": password}, **kwargs
    )


def test_address_change_mails_a_link_to_the_new_address_and_a_notice_to_the_old(
    signed_in, user, mailoutbox, django_capture_on_commit_callbacks
):
    old = user.email
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_address(signed_in, "New.Me@Example.com")

    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["new.me@example.com"], [old]]
    assert reverse("accounts:settings-email-confirm") in mailoutbox[0].body
    assert "new.me@example.com" in mailoutbox[1].body
    assert "token=" not in mailoutbox[1].body
    user.refresh_from_db()
    assert user.email == old  # nothing changes before the link is followed


def test_address_change_link_works_once(
    client, signed_in, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_address(signed_in, "moved@example.com")
    link = link_in(mailoutbox[0])

    shown = Client().get(link)
    assert shown.status_code == 200
    assert "moved@example.com" in shown.content.decode()
    user.refresh_from_db()
    assert user.email != "moved@example.com"  # opening the link alone changes nothing

    confirm = reverse("accounts:settings-email-confirm")
    done = signed_in.post(confirm, {"token": token_of(link)})
    assert done.status_code == 302
    assert done.url == SETTINGS
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("moved@example.com", True)

    assert Client().get(link).status_code == 400
    assert signed_in.post(confirm, {"token": token_of(link)}).status_code == 400


def test_expired_address_change_link_is_refused(
    signed_in, user, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_address(signed_in, "late@example.com")
    monkeypatch.setattr(tokens, "EMAIL_CHANGE_TOKEN_SECONDS", -1)
    link = link_in(mailoutbox[0])

    assert Client().get(link).status_code == 400
    response = Client().post(reverse("accounts:settings-email-confirm"), {"token": token_of(link)})

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email != "late@example.com"


def test_tampered_address_change_link_is_refused(signed_in, user):
    forged = tokens.make_email_change_token(user, "thief@example.com") + "x"

    response = Client().post(reverse("accounts:settings-email-confirm"), {"token": forged})

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email != "thief@example.com"


def test_a_newer_address_change_request_voids_the_older_link(
    signed_in, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_address(signed_in, "first@example.com")
        ask_for_address(signed_in, "second@example.com")
    first_link = link_in(mailoutbox[0])

    assert Client().get(first_link).status_code == 400


def test_taken_address_is_refused_with_the_same_answer_and_no_link(
    signed_in, user, other_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        free = ask_for_address(signed_in, "free@example.com", follow=True)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        taken = ask_for_address(signed_in, other_user.email.upper(), follow=True)

    assert taken.status_code == free.status_code == 200
    assert taken.redirect_chain == free.redirect_chain
    assert [m.to for m in mailoutbox] == [[other_user.email], [user.email]]
    assert reverse("accounts:settings-email-confirm") not in mailoutbox[0].body
    user.refresh_from_db()
    assert user.email != other_user.email


def test_address_taken_after_the_link_was_sent_is_refused(
    signed_in, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_address(signed_in, "race@example.com")
    UserFactory(email="race@example.com")

    response = Client().post(
        reverse("accounts:settings-email-confirm"), {"token": token_of(link_in(mailoutbox[0]))}
    )

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email != "race@example.com"


def test_address_change_with_a_wrong_password_sends_nothing(
    signed_in, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_address(signed_in, "new@example.com", password="wrong")

    assert response.status_code == 422
    assert 'value="new@example.com"' in response.content.decode()
    assert mailoutbox == []


def test_address_change_to_the_current_address_is_refused(signed_in, user, mailoutbox):
    response = ask_for_address(signed_in, user.email.upper())

    assert response.status_code == 422
    assert "This is already your address." in response.content.decode()


@pytest.mark.parametrize("name", ["logout-everywhere", "password", "email", "region"])
def test_settings_posts_from_another_site_are_refused(user, name):
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(user)

    response = post(forged, name, {"region-language": "ar", "region-time_zone": "UTC"})

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.language == "en"
    assert forged.get(SETTINGS).status_code == 200
