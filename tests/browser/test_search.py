import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from workspace.tests.documents.factories import DocumentFactory

CONTENT = {
    "blocks": [
        {"type": "heading", "level": 1, "text": "Field trip"},
        {"type": "table", "rows": [["Animal", "Seen"], ["Quokka", "twice"]]},
    ]
}


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_header_search_box_finds_a_document_by_a_word_inside_it(live_server, page):
    user = UserFactory()
    document = DocumentFactory(owner=user, title="Expedition log", content=CONTENT)
    log_in(page, live_server, user)

    page.locator("#header-search-input").fill("quokka")
    page.locator("#header-search-input").press("Enter")

    page.wait_for_url("**/search/?q=quokka")
    result = page.locator(f'#search-group-document li[data-id="{document.pk}"]')
    result.wait_for()
    assert result.locator("mark").inner_text().lower() == "quokka"
    result.get_by_role("link", name="Expedition log").click()
    page.wait_for_url(f"**/documents/{document.pk}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_search_page_fits_a_phone(live_server, page):
    user = UserFactory(language="ar")
    DocumentFactory(owner=user, title="Expedition log " + "long" * 30, content=CONTENT)
    log_in(page, live_server, user)
    page.set_viewport_size({"width": 390, "height": 800})

    page.goto(f"{live_server.url}/search/?q=quokka")

    page.locator("#search-group-document").wait_for()
    assert page.locator("#header-search-input").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_header_box_suggests_as_you_type(live_server, page):
    user = UserFactory()
    document = DocumentFactory(owner=user, title="Expedition log", content=CONTENT)
    log_in(page, live_server, user)

    page.locator("#header-search-input").press_sequentially("exped")

    suggestion = page.locator('#header-search-suggestions a[data-type="document"]')
    suggestion.wait_for()
    assert "Expedition log" in suggestion.inner_text()
    suggestion.click()
    page.wait_for_url(f"**/documents/{document.pk}/")
