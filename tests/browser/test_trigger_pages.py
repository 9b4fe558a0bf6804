"""A trigger made through its form on a phone: the form fits 390 px, the saved trigger's page
shows its settings, and neither page scrolls sideways (in English, and the list in Arabic)."""

import pytest
from django.conf import settings

from accounts.tests.factories import UserFactory
from patterns.models import PatternTrigger
from patterns.tests.factories import make_pattern
from projects import services as projects
from tests.browser.test_schedule import sign_in

PHONE = {"width": 390, "height": 844}


def fits(page) -> bool:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return widths[0] <= widths[1]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_trigger_is_made_through_the_form_on_a_phone(live_server, browser):
    user = UserFactory()
    make_pattern(user, key="note-task", name="Note a task")
    project = projects.project_create(actor=user, name="Apollo")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, user)
        page.goto(f"{live_server.url}/patterns/")
        page.locator("#triggers-link").click()
        page.locator("#new-trigger").click()
        assert fits(page)
        page.locator("#id_name").fill("On new tasks")
        page.locator("#id_pattern").select_option("note-task")
        page.locator("#id_event_type").fill("task_created")
        page.locator("#id_scope_project").select_option(f"projects.project:{project.pk}")
        page.locator("#id_filter").fill('[{"path": "payload.status", "equals": "blocked"}]')
        page.locator("#id_input_map").fill('{"title": "{{ event.payload.title }}"}')
        page.locator("#trigger-form button[type=submit]").click()
        page.wait_for_selector("#settings")

        trigger = PatternTrigger.objects.get()
        assert page.url.endswith(f"/patterns/triggers/{trigger.pk}/")
        assert trigger.filter == [{"path": "payload.status", "equals": "blocked"}]
        assert page.locator("#trigger-scope a").inner_text() == "Apollo"
        assert page.locator("#trigger-state").inner_text() == "Active"
        assert fits(page)
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_form_in_arabic_fits_a_phone(live_server, browser):
    user = UserFactory()
    make_pattern(user, key="note-task", name="Note a task")
    context = browser.new_context(viewport=PHONE)
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}]
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, user)
        page.goto(f"{live_server.url}/patterns/triggers/new/")
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.locator("#id_name").fill("x")
        page.locator("#id_pattern").select_option("note-task")
        page.locator("#id_event_type").fill("task_created")
        page.locator("#id_filter").fill('[{"path": "payload.status"}]')
        page.locator("#trigger-form button[type=submit]").click()
        page.wait_for_selector(".field--filter.field--invalid")

        assert not PatternTrigger.objects.exists()
        assert page.locator("#id_filter").input_value() == '[{"path": "payload.status"}]'
        assert fits(page)
    finally:
        context.close()
