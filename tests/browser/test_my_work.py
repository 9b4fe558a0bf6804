""" "My work" in a real browser: what is mine, grouped, with links that lead to it; readable on a
390 px phone, in English and in Arabic (right to left)."""

import datetime
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from projects.models import TaskStatus
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from workspace.tests.documents.factories import DocumentFactory, share

SCREENSHOT = Path(tempfile.gettempdir()) / "nexus-my-work-{}.png"
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


def my_world(language: str = "en"):
    """Return a user with an overdue task, a task in progress and a document shared with them."""
    user = UserFactory(first_name="Uma", language=language)
    colleague = UserFactory(first_name="Bea", last_name="Moss")
    project = ProjectFactory(owner=colleague, name="Apollo")
    add_member(project, user=user)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    TaskFactory(project=project, assignee=user, title="File the overdue report", due_date=yesterday)
    TaskFactory(
        project=project, assignee=user, title="Build the prototype", status=TaskStatus.IN_PROGRESS
    )
    share(DocumentFactory(owner=colleague, title="Launch budget"), user, "edit")
    return user


def test_my_work_groups_my_tasks_and_leads_to_them(live_server, page):
    from playwright.sync_api import expect

    user = my_world()
    log_in(page, live_server, user)

    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    overdue = page.locator('[data-group="overdue"]')
    expect(overdue.get_by_role("heading")).to_have_text("Overdue")
    expect(page.locator('[data-group="in_progress"]')).to_contain_text("Build the prototype")
    expect(page.get_by_role("region", name="Shared with me")).to_contain_text("Launch budget")
    expect(page.get_by_role("region", name="Recent activity in my projects")).to_contain_text(
        "Apollo"
    )
    page.screenshot(path=str(SCREENSHOT).format("desktop"), full_page=True)

    overdue.get_by_role("link", name="File the overdue report").click()

    page.wait_for_url("**/projects/tasks/**")
    expect(page.get_by_role("heading", level=1)).to_contain_text("File the overdue report")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_my_work_fits_a_phone_in_both_directions(live_server, browser, language):
    from playwright.sync_api import expect

    user = my_world(language)
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        log_in(page, live_server, user)
        page.goto(f"{live_server.url}/")

        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        expect(page.locator('[data-group="overdue"]')).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
        page.screenshot(path=str(SCREENSHOT).format(f"phone-{language}"), full_page=True)
    finally:
        context.close()
