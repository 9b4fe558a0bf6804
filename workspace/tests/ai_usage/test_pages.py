"""The AI usage dashboard at /ai/ and its chart geometry."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from projects.tests.factories import ProjectFactory, add_member
from workspace.ai_usage import charts
from workspace.tests.ai_usage.factories import BudgetFactory, InteractionFactory

URL = "/ai/"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_dashboard_needs_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_dashboard_renders_for_an_empty_user(signed_in):
    response = signed_in.get(reverse("ai_usage:dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "No AI calls in this range." in page
    assert "No budget applies" in page


@pytest.mark.django_db
def test_dashboard_draws_charts_and_budget_status(signed_in, user):
    project = ProjectFactory(owner=user, name="Apollo")
    now = timezone.now()
    InteractionFactory(user=user, model="model-a", cost=Decimal("1.5"), occurred_at=now)
    InteractionFactory(
        user=add_member(project),
        model="model-b",
        project=project,
        cost=Decimal("2"),
        occurred_at=now,
    )
    InteractionFactory(model="secret-model", occurred_at=now)  # someone else's
    BudgetFactory(user=user, amount=Decimal("1"))

    response = signed_in.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('role="img"') == 4
    assert "model-a" in page
    assert "model-b" in page
    assert "Apollo" in page
    assert "secret-model" not in page
    assert 'data-figure="count">2<' in page
    assert "Exceeded" in page


@pytest.mark.django_db
def test_date_range_form_limits_the_page(signed_in, user):
    InteractionFactory(
        user=user, model="old-model", occurred_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)
    )

    inside = signed_in.get(URL, {"start": "2025-05-01", "end": "2025-06-30"}).content.decode()
    outside = signed_in.get(URL).content.decode()

    assert "old-model" in inside
    assert "old-model" not in outside


@pytest.mark.django_db
def test_reversed_range_shows_an_error_not_a_crash(signed_in):
    response = signed_in.get(URL, {"start": "2025-06-30", "end": "2025-05-01"})

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


@pytest.mark.django_db
def test_arabic_dashboard_mirrors_bars(signed_in, user):
    InteractionFactory(user=user, model="model-a", occurred_at=timezone.now())

    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    arabic = signed_in.get(URL)
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = signed_in.get(URL)

    assert arabic.status_code == 200
    assert arabic.context["model_chart"].label_anchor == "start"
    assert english.context["model_chart"].label_anchor == "end"


def test_horizontal_bars_scale_to_the_largest_value():
    chart = charts.horizontal_bars(
        [charts.Datum("a", 2.0, "2"), charts.Datum("b", 1.0, "1")], width=400
    )

    room = 400 - charts.LABEL_WIDTH - charts.VALUE_ROOM
    assert [bar.width for bar in chart.bars] == [room, room / 2]
    assert all(bar.x == charts.LABEL_WIDTH for bar in chart.bars)
    assert chart.label_anchor == "end"


def test_horizontal_bars_mirror_for_rtl():
    chart = charts.horizontal_bars(
        [charts.Datum("a", 2.0, "2"), charts.Datum("b", 1.0, "1")], width=400, rtl=True
    )

    assert [bar.x + bar.width for bar in chart.bars] == [400 - charts.LABEL_WIDTH] * 2
    assert chart.label_anchor == "start"


def test_columns_run_right_to_left_for_rtl():
    data = [charts.Datum("d1", 1.0, "1"), charts.Datum("d2", 4.0, "4")]

    ltr, rtl = charts.columns(data, width=200), charts.columns(data, width=200, rtl=True)

    assert ltr.bars[0].x < ltr.bars[1].x
    assert rtl.bars[0].x > rtl.bars[1].x
    assert ltr.bars[1].height == charts.COLUMN_HEIGHT
    assert ltr.bars[0].height == charts.COLUMN_HEIGHT / 4


def test_empty_charts_have_a_height():
    assert charts.horizontal_bars([]).height == charts.ROW
    assert charts.columns([]).bars == []
