"""The AI usage dashboard in a real browser: charts with accessible names, the range form."""

import datetime
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from projects.tests.factories import ProjectFactory
from workspace.tests.ai_usage.factories import BudgetFactory, InteractionFactory

SCREENSHOT = Path(tempfile.gettempdir()) / "nexus-ai-dashboard.png"


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_email").fill(user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_draws_named_charts_and_the_range_form_narrows_them(live_server, page):
    user = UserFactory()
    project = ProjectFactory(owner=user, name="Apollo")
    now = timezone.now()
    InteractionFactory(
        user=user, model="model-a", project=project, cost=Decimal("2"), occurred_at=now
    )
    InteractionFactory(
        user=user,
        model="model-old",
        cost=Decimal("1"),
        occurred_at=now - datetime.timedelta(days=90),
    )
    BudgetFactory(user=user, amount=Decimal("1"))
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}/ai/")

    for name in ("Cost per day", "Cost by model", "Latency by model", "Top projects by cost"):
        assert page.get_by_role("img", name=name).is_visible()
    assert page.locator('[data-figure="count"]').inner_text() == "1"
    assert "Exceeded" in page.locator(".ai-budgets").inner_text()
    page.screenshot(path=SCREENSHOT, full_page=True)

    start = (now - datetime.timedelta(days=120)).date().isoformat()
    page.locator("input[name=start]").fill(start)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/ai/?start={start}*")

    assert page.locator('[data-figure="count"]').inner_text() == "2"
    assert "model-old" in page.get_by_role("img", name="Cost by model").inner_html()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_charts_show_labelled_axes_inside_the_picture(live_server, page):
    user = UserFactory()
    InteractionFactory(user=user, model="model-a", cost=Decimal("2.5"), occurred_at=timezone.now())
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}/ai/")

    day_chart = page.get_by_role("img", name="Cost per day")
    ticks = day_chart.locator(".ai-chart__tick")
    assert ticks.first.text_content() == "0.0"
    assert ticks.last.text_content() == "2.5"
    assert day_chart.locator(".ai-chart__axis-title").all_text_contents() == [
        "Cost (USD)",
        "Day (UTC)",
    ]
    box = day_chart.bounding_box()
    for label in (*ticks.all(), *day_chart.locator(".ai-chart__axis-title").all()):
        inside = label.bounding_box()
        assert box["x"] <= inside["x"]
        assert inside["x"] + inside["width"] <= box["x"] + box["width"]
        assert box["y"] <= inside["y"]
        assert inside["y"] + inside["height"] <= box["y"] + box["height"]
    latency = page.get_by_role("img", name="Latency by model")
    assert latency.locator(".ai-chart__axis-title").text_content() == "Milliseconds"
    page.screenshot(path=Path(tempfile.gettempdir()) / "nexus-ai-axes.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_range_of_two_centuries_shows_a_form_error(live_server, page):
    log_in(page, live_server, UserFactory())
    page.goto(f"{live_server.url}/ai/")

    page.locator("input[name=start]").fill("1900-01-01")
    page.locator("input[name=end]").fill("2100-12-31")
    page.locator("input[name=start]").evaluate("input => input.form.noValidate = true")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/ai/?start=1900-01-01*")

    assert page.get_by_role("alert").is_visible()
    assert page.locator("#start-errors").inner_text().startswith("Choose a date between")
    assert page.locator("input[name=start]").get_attribute("aria-invalid") == "true"
