"""Settings, API tokens: make one, copy it, use it, revoke it; on a phone and in Arabic."""

import json
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from accounts.models import PersonalAccessToken
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def api_status(url: str, secret: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("viewport", "language"), [("desktop", "en"), ("phone", "ar")])
def test_make_copy_use_and_revoke_a_token(live_server, browser, viewport, language):
    from playwright.sync_api import expect

    user = UserFactory(language=language)
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale=language)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.locator("#id_email").fill(user.email)
        page.locator("#id_password").fill(DEFAULT_PASSWORD)
        page.locator("form.form button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/accounts/settings/#tokens")
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")

        page.locator("#id_tokens-name").fill("deploy bot")
        page.locator("input[name='tokens-scopes'][value='projects:read']").check()
        page.locator("input[name='tokens-scopes'][value='search:write']").check()
        page.locator("#id_tokens-lifetime").select_option("7")
        page.locator("#tokens form.form button[type=submit]").click()

        secret_box = page.locator("#token-new-secret")
        expect(secret_box).to_be_visible()
        secret = secret_box.input_value()
        assert secret.startswith("nxp_")
        page.locator("#token-new-copy").click()
        expect(page.locator("#token-new-status")).not_to_be_empty()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(
            path=Path(tempfile.gettempdir()) / f"nexus-api-tokens-{viewport}-{language}.png",
            full_page=True,
        )

        assert api_status(f"{live_server.url}/api/v1/projects/", secret) == 200
        assert api_status(f"{live_server.url}/api/v1/documents/", secret) == 403

        # Shown once: the page read again lists the token by its prefix, without the secret.
        page.goto(f"{live_server.url}/accounts/settings/#tokens")
        expect(page.locator("#token-new-secret")).to_have_count(0)
        assert secret not in page.content()
        item = page.locator(".token-list__item", has_text="deploy bot")
        expect(item).to_be_visible()

        # Revoke asks first: dismissing keeps the token, accepting revokes it.
        page.once("dialog", lambda dialog: dialog.dismiss())
        item.locator("button[type=submit]").click()
        expect(item).to_be_visible()
        assert api_status(f"{live_server.url}/api/v1/projects/", secret) == 200
        page.once("dialog", lambda dialog: dialog.accept())
        item.locator("button[type=submit]").click()
        expect(page.locator(".token-list__item", has_text="deploy bot")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()

    assert api_status(f"{live_server.url}/api/v1/projects/", secret) == 401
    assert PersonalAccessToken.objects.get(owner=user).revoked_at is not None
