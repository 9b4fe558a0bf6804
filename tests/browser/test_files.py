"""The files page in a real browser: upload, see it listed, download the same bytes back."""

import tempfile
from pathlib import Path

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from workspace.files.models import File

SCREENSHOT = Path(tempfile.gettempdir()) / "nexus-files.png"
CONTENT = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_list_and_download_the_same_bytes(live_server, page):
    user = UserFactory()
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}/files/")
    page.locator("#id_file").set_input_files(
        files=[{"name": "diagram.png", "mimeType": "image/png", "buffer": CONTENT}]
    )
    page.locator("#upload-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/files/")

    file = File.objects.get(owner=user)
    row = page.locator(f"#file-{file.pk}")
    assert row.is_visible()
    assert "image/png" in row.inner_text()
    page.screenshot(path=SCREENSHOT, full_page=True)
    with page.expect_download() as download_info:
        row.locator("a.file-table__name").click()
    download = download_info.value
    assert download.suggested_filename == "diagram.png"
    assert Path(download.path()).read_bytes() == CONTENT
    assert File.objects.get(pk=file.pk).download_count == 1


def create_link_on_the_files_page(page, live_server, file):
    page.goto(f"{live_server.url}/files/")
    page.locator(f"#file-{file.pk}").get_by_role("link", name="Public links").click()
    page.wait_for_url(f"**/files/{file.pk}/")
    page.locator("#new-link-form button[type=submit]").click()
    page.wait_for_url(f"**/files/{file.pk}/")
    return page.locator("#new-link-address").input_value()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_public_link_is_listed_and_copied_with_one_click(live_server, browser):
    from workspace.tests.files.factories import upload_file

    user = UserFactory()
    file = upload_file(user, name="report.txt")
    context = browser.new_context(viewport={"width": 390, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    log_in(page, live_server, user)

    address = create_link_on_the_files_page(page, live_server, file)
    page.locator("#new-link-copy").click()

    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert "/f/" in address
    assert page.locator("#link-table tbody tr").count() == 1
    assert page.locator("#link-table").get_by_role("button", name="Revoke").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.reload()  # the address stays listed, with its own copy button
    page.evaluate("navigator.clipboard.writeText('')")
    page.locator("#link-table").get_by_role("button", name="Copy").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_a_clipboard_the_copy_button_selects_the_address(live_server, page):
    from workspace.tests.files.factories import upload_file

    user = UserFactory()
    file = upload_file(user, name="report.txt")
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});")
    log_in(page, live_server, user)

    address = create_link_on_the_files_page(page, live_server, file)
    page.locator("#new-link-copy").click()

    page.get_by_text("Selected: press Ctrl+C").wait_for()
    selected = page.locator("#new-link-address").evaluate(
        "input => input.value.slice(input.selectionStart, input.selectionEnd)"
    )
    assert selected == address
