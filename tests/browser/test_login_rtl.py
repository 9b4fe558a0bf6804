import tempfile
from pathlib import Path

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

SCREENSHOT = Path(tempfile.gettempdir()) / "nexus-rtl.png"  # /tmp/nexus-rtl.png here


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_login_then_switch_to_arabic_turns_the_page_right_to_left(live_server, page):
    from playwright.sync_api import expect

    user = UserFactory(first_name="Layla", last_name="Haddad")

    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")

    assert page.evaluate("document.documentElement.dir") == "ltr"
    page.locator("#language-select").select_option("ar")
    page.locator(".language-form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")  # no eval under the CSP
    page.screenshot(path=SCREENSHOT, full_page=True)

    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.url == f"{live_server.url}/"
    user.refresh_from_db()
    assert user.language == "ar"
