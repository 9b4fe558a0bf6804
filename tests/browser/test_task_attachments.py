"""Task attachments on the task page, as a user: upload a file onto the task, pick one of
mine, download it through the task as another member, remove it; in English on a desktop and
in Arabic (right to left) at phone width. The steps find their controls by id and structure,
so they read the same in both languages."""

import tempfile
from pathlib import Path

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from workspace.task_attachments.models import TaskAttachment
from workspace.tests.files.factories import upload_file

SCREENSHOT = Path(tempfile.gettempdir()) / "nexus-task-attachments-{}.png"


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("ar", 390)], ids=["en", "ar"])
def test_files_are_attached_downloaded_through_the_task_and_removed(
    live_server, browser, language, width
):
    from playwright.sync_api import expect

    alice = UserFactory(language=language)
    task = TaskFactory(project=ProjectFactory(owner=alice), title="Launch")
    bob = add_member(task.project, user=UserFactory(language=language))
    upload_file(alice, b"budget\n", "budget.txt")
    alice_page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    log_in(alice_page, live_server, alice)
    task_url = f"{live_server.url}/projects/tasks/{task.pk}/"
    alice_page.goto(task_url)
    expect(alice_page.locator("html")).to_have_attribute(
        "dir", "rtl" if language == "ar" else "ltr"
    )

    # Upload a new file onto the task.
    alice_page.locator("#attachment-upload").set_input_files(
        {"name": "plan.txt", "mimeType": "text/plain", "buffer": b"the plan\n"}
    )
    alice_page.locator("#attachment-upload-form button[type=submit]").click()
    expect(alice_page.locator("#attachment-list")).to_contain_text("plan.txt")

    # Pick one of mine.
    alice_page.locator("#attachment-existing").select_option(label="budget.txt")
    alice_page.locator("#attachment-pick-form button[type=submit]").click()
    expect(alice_page.locator("#attachment-list li")).to_have_count(2)
    expect(alice_page.locator("#attachment-count")).to_have_text("2")
    alice_page.locator("#attachments").screenshot(path=str(SCREENSHOT).format(language))
    fits = alice_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits

    # Bob, a member who cannot see Alice's files, downloads through the task.
    bob_page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    log_in(bob_page, live_server, bob)
    bob_page.goto(task_url)
    with bob_page.expect_download() as download_info:
        bob_page.locator("#attachment-list a", has_text="plan.txt").click()
    with open(download_info.value.path(), "rb") as downloaded:
        assert downloaded.read() == b"the plan\n"

    # Alice removes it.
    plan = TaskAttachment.objects.get(task=task, file__name="plan.txt")
    alice_page.locator(f"#attachment-{plan.file_id} button[type=submit]").click()
    expect(alice_page.locator("#attachment-list li")).to_have_count(1)
    assert not TaskAttachment.objects.filter(pk=plan.pk).exists()
