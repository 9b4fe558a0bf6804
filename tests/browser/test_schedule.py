"""The schedule as a user sees it: bars on a calendar with dates, a today line and arrows; in
Arabic the task labels stand beside the bars (right of them), never over them; on a phone the
timeline scrolls inside its card."""

import tempfile
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from projects.tests.factories import ProjectFactory, TaskDependencyFactory, TaskFactory

SCREENSHOT = Path(tempfile.gettempdir()) / "nexus-schedule-ar.png"


def sign_in(page, url: str, user) -> None:
    page.goto(f"{url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def planned_project(owner):
    project = ProjectFactory(owner=owner, name="Launch", start_date=date.today())
    design = TaskFactory(project=project, title="تصميم الواجهة الرئيسية", estimated_hours=16)
    build = TaskFactory(project=project, title="Build the release", estimated_hours=24)
    TaskDependencyFactory(task=build, depends_on=design)
    TaskFactory(project=project, title="Write the notes", estimated_hours=4)
    return project


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_arabic_the_labels_stand_right_of_their_bars(live_server, browser):
    user = UserFactory()
    project = planned_project(user)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}]
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, user)
        page.goto(f"{live_server.url}/projects/{project.pk}/schedule/")
        rows = page.locator("svg.timeline__svg g.timeline-row")
        assert rows.count() == 3
        page.screenshot(path=SCREENSHOT, full_page=True)
        for index in range(3):
            label = box(rows.nth(index).locator("text"))
            bar = box(rows.nth(index).locator("rect"))
            assert label["x"] >= bar["x"] + bar["width"], index
        assert page.locator("svg .timeline-today line").count() == 1
        assert page.locator("svg path.timeline-arrow").count() == 1
        assert page.locator("svg text.timeline-axis__date").count() >= 5
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_timeline_scrolls_inside_its_card(live_server, browser):
    user = UserFactory()
    project = planned_project(user)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, user)
        page.goto(f"{live_server.url}/projects/{project.pk}/schedule/")
        assert box(page.locator("svg.timeline__svg"))["width"] >= 900  # not shrunk to 390 px
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]
    finally:
        context.close()
