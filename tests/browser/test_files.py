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
