import tempfile
from pathlib import Path

import pytest

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

NEW_PASSWORD = "a-fresh-and-long-passphrase-17"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_settings_change_name_language_time_zone_and_password(live_server, browser, viewport):
    from playwright.sync_api import expect

    user = UserFactory(first_name="Sam", last_name="Doe")
    context = browser.new_context(viewport=VIEWPORTS[viewport], timezone_id="Asia/Riyadh")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.locator("#id_email").fill(user.email)
        page.locator("#id_password").fill(DEFAULT_PASSWORD)
        page.locator("form.form button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")

        page.locator(".user-menu__toggle").click()
        page.locator(".user-menu__panel").get_by_role("link", name="Settings").click()
        page.wait_for_url(f"{live_server.url}/accounts/settings/")

        # Name and initials colour: the header shows the new initials at once.
        page.locator("#id_profile-first_name").fill("Layla")
        page.locator("#id_profile-last_name").fill("Haddad")
        page.locator("label.avatar-choice", has_text="Teal").click()
        page.get_by_role("button", name="Save profile").click()
        header_avatar = page.locator(".user-menu__toggle .avatar")
        expect(header_avatar).to_have_text("LH")
        expect(header_avatar).to_have_class("avatar avatar--teal")

        # Language (Arabic: the page turns right to left) and time zone, in one form.
        page.locator("#id_region-language").select_option("ar")
        page.locator("#id_region-time_zone").select_option("Europe/Paris")
        page.get_by_role("button", name="Use this device's time zone").click()
        page.locator("#region button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        expect(page.locator("#id_region-time_zone")).to_have_value("Asia/Riyadh")

        # Password: this browser stays signed in.
        page.locator("#id_password-old_password").fill(DEFAULT_PASSWORD)
        page.locator("#id_password-new_password").fill(NEW_PASSWORD)
        page.locator("#id_password-new_password_confirm").fill(NEW_PASSWORD)
        page.locator("#password button[type=submit]").click()
        expect(page.locator(".alert--success")).to_be_visible()
        expect(page.locator("#password")).to_be_visible()
        assert page.url.startswith(f"{live_server.url}/accounts/settings/")

        # Nothing spills sideways, in either direction, at either width.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(
            path=Path(tempfile.gettempdir()) / f"nexus-settings-{viewport}.png", full_page=True
        )
    finally:
        context.close()

    user = User.objects.get(pk=user.pk)
    assert (user.first_name, user.last_name, user.avatar_color) == ("Layla", "Haddad", "teal")
    assert (user.language, user.time_zone) == ("ar", "Asia/Riyadh")
    assert user.check_password(NEW_PASSWORD)
