"""Services and selectors behind the settings page, and the API's ``me`` for its new fields."""

from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from PIL import Image

from accounts import selectors, services
from accounts.notification_kinds import (
    DEFAULT_DELIVERY,
    PREFERENCES_KEY,
    NotificationDelivery,
    NotificationKind,
)
from accounts.tests.factories import UserFactory
from nexus_site.exceptions import BadRequestError, ValidationError

ME = "/api/v1/auth/me/"


# --- notification_preference ------------------------------------------------------------------


def test_every_kind_has_a_default_delivery():
    assert set(DEFAULT_DELIVERY) == set(NotificationKind.values)
    assert set(DEFAULT_DELIVERY.values()) <= set(NotificationDelivery.values)


@pytest.mark.parametrize("kind", NotificationKind.values)
def test_a_kind_never_chosen_has_its_default(db, kind):
    user = UserFactory(preferences={})

    assert selectors.notification_preference(user, kind) == DEFAULT_DELIVERY[kind]


def test_a_chosen_delivery_wins_over_the_default(db):
    user = UserFactory(preferences={PREFERENCES_KEY: {"mention": "daily_digest"}})

    assert selectors.notification_preference(user, NotificationKind.MENTION) == "daily_digest"


def test_a_stored_value_that_is_not_a_delivery_reads_as_the_default(db):
    user = UserFactory(preferences={PREFERENCES_KEY: {"mention": ["x"]}})

    assert selectors.notification_preference(user, "mention") == DEFAULT_DELIVERY["mention"]


def test_the_older_mail_switch_still_means_immediately(db):
    user = UserFactory(preferences={"mail_notifications": True})

    assert selectors.notification_preference(user, "mail_received") == "immediately"


def test_an_explicit_mail_choice_wins_over_the_older_switch(db):
    user = UserFactory(
        preferences={"mail_notifications": True, PREFERENCES_KEY: {"mail_received": "never"}}
    )

    assert selectors.notification_preference(user, "mail_received") == "never"


def test_an_unknown_kind_is_a_programming_error(db):
    with pytest.raises(ValueError):
        selectors.notification_preference(UserFactory(), "weather")


def test_notification_preferences_lists_every_kind_in_order(db):
    user = UserFactory(preferences={PREFERENCES_KEY: {"ai_budget": "never"}})

    chosen = selectors.notification_preferences(user)

    assert list(chosen) == NotificationKind.values
    assert chosen["ai_budget"] == "never"


# --- Services ---------------------------------------------------------------------------------


def test_notification_preferences_set_merges_with_earlier_choices(user):
    services.user_notification_preferences_set(user=user, deliveries={"mention": "never"})
    services.user_notification_preferences_set(user=user, deliveries={"task_due": "never"})

    user.refresh_from_db()
    assert user.preferences[PREFERENCES_KEY] == {"mention": "never", "task_due": "never"}


def test_notification_preferences_set_refuses_an_unknown_kind(user):
    with pytest.raises(ValidationError):
        services.user_notification_preferences_set(user=user, deliveries={"weather": "never"})

    user.refresh_from_db()
    assert user.preferences == {}


def test_update_profile_refuses_an_unknown_time_zone(user):
    with pytest.raises(ValidationError) as raised:
        services.user_update_profile(user=user, time_zone="Europe/Atlantis")

    assert "time_zone" in raised.value.details
    user.refresh_from_db()
    assert user.time_zone == "UTC"


def test_email_change_confirm_refuses_garbage(db):
    with pytest.raises(BadRequestError):
        services.user_email_change_confirm(token="garbage")


def test_email_change_request_refuses_an_invalid_address(user):
    with pytest.raises(ValidationError) as raised:
        services.user_email_change_request(
            user=user, new_email="not an address", password="correct-horse-battery-staple-42"
        )

    assert "new_email" in raised.value.details


# --- The API's me -----------------------------------------------------------------------------


def test_me_shows_the_time_zone(auth_client, user):
    assert auth_client.get(ME).json()["time_zone"] == "UTC"


def test_me_patch_changes_the_time_zone(auth_client, user):
    response = auth_client.patch(ME, {"time_zone": "America/New_York"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["time_zone"] == "America/New_York"
    user.refresh_from_db()
    assert user.time_zone == "America/New_York"


@pytest.mark.parametrize("value", ["Mars/Olympus", "../../etc/passwd", "", "x" * 65])
def test_me_patch_with_an_unknown_time_zone_is_422(auth_client, user, value):
    response = auth_client.patch(ME, {"time_zone": value}, format="json")

    assert response.status_code == 422
    assert "time_zone" in response.json()["error"]["details"]
    user.refresh_from_db()
    assert user.time_zone == "UTC"


def test_me_patch_accepts_valid_notification_choices(auth_client, user):
    preferences = {"theme": "dark", PREFERENCES_KEY: {"mention": "daily_digest"}}

    response = auth_client.patch(ME, {"preferences": preferences}, format="json")

    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert selectors.notification_preference(user, "mention") == "daily_digest"


@pytest.mark.parametrize(
    "choices",
    [{"mention": "hourly"}, {"weather": "never"}, ["mention"], {"mention": ["never"]}],
)
def test_me_patch_with_bad_notification_choices_is_422(auth_client, user, choices):
    response = auth_client.patch(ME, {"preferences": {PREFERENCES_KEY: choices}}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"]["preferences"]
    user.refresh_from_db()
    assert user.preferences == {}


def test_avatar_set_leaves_no_file_behind_when_the_row_cannot_be_saved(user, monkeypatch):
    buffer = BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, format="PNG")
    upload = SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png")

    def failing_save(*args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(type(user), "save", failing_save)

    with pytest.raises(DatabaseError):
        services.user_avatar_set(user=user, image=upload)

    assert default_storage.listdir("avatars")[1] == []
