"""A pattern scheduled through its pages on a phone: the form fits 390 px, the saved schedule's
page shows its timing and state, pause works, and no page scrolls sideways (also in Arabic)."""

import pytest
from django.conf import settings

from accounts.tests.factories import UserFactory
from patterns.models import PatternSchedule
from patterns.services import pattern_schedule_save
from patterns.tests.factories import make_pattern
from tests.browser.test_schedule import sign_in

PHONE = {"width": 390, "height": 844}
SCHEMA = {
    "type": "object",
    "properties": {"who": {"type": "string", "title": "Who"}},
    "required": ["who"],
}


def fits(page) -> bool:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return widths[0] <= widths[1]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_pattern_is_scheduled_through_its_pages_on_a_phone(live_server, browser):
    user = UserFactory()
    make_pattern(user, key="greet", name="Greet someone", input_schema=SCHEMA)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, user)
        page.goto(f"{live_server.url}/patterns/greet/")
        page.locator("#schedule-link").click()
        page.wait_for_selector("#schedule-form")
        assert fits(page)
        page.locator("#id_input-who").fill("Ada")
        page.locator("#id_crontab").fill("0 7 * * 1-5")
        page.locator("#schedule-form button[type=submit]").click()
        page.wait_for_selector("#settings")

        schedule = PatternSchedule.objects.get()
        assert page.url.endswith(f"/patterns/schedules/{schedule.pk}/")
        assert schedule.input == {"who": "Ada"}
        assert page.locator("#schedule-timing code").inner_text() == "0 7 * * 1-5"
        assert fits(page)

        page.locator(".schedule-pause button").click()
        page.wait_for_selector(".badge--warning.schedule-state")
        schedule.periodic_task.refresh_from_db()
        assert schedule.periodic_task.enabled is False
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_schedule_pages_fit_a_phone_in_arabic(live_server, browser):
    user = UserFactory()
    pattern = make_pattern(user, key="greet", name="Greet someone", input_schema=SCHEMA)
    schedule = pattern_schedule_save(
        actor=user, pattern=pattern, input={"who": "Ada"}, run_as=user, crontab="*/30 * * * *"
    )
    context = browser.new_context(viewport=PHONE)
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}]
    )
    page = context.new_page()
    try:
        sign_in(page, live_server.url, user)
        for path in ("", f"{schedule.pk}/", f"{schedule.pk}/edit/", "new/"):
            page.goto(f"{live_server.url}/patterns/schedules/{path}")
            assert page.locator("html").get_attribute("dir") == "rtl"
            assert fits(page), path
    finally:
        context.close()
