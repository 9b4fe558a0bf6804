"""The AI dashboard's date range is capped (at most a year, within sane bounds) with a form
error on the page, never a huge page or a 500; its charts have axes with labelled ticks."""

import datetime
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from workspace.ai_usage import charts
from workspace.ai_usage.views import MAX_DAYS
from workspace.tests.ai_usage.factories import InteractionFactory

URL = "/ai/"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_century_is_refused_with_a_form_error_and_a_small_fast_page(signed_in):
    began = time.monotonic()
    response = signed_in.get(URL, {"start": "1900-01-01", "end": "2100-12-31"})
    took = time.monotonic() - began

    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page
    assert "Choose a date between" in page
    assert 'aria-invalid="true"' in page
    assert len(page) < 200_000
    assert took < 5
    assert response.context["end"] - response.context["start"] == datetime.timedelta(days=29)


@pytest.mark.django_db
def test_more_than_a_year_within_bounds_is_refused(signed_in):
    response = signed_in.get(URL, {"start": "2024-01-01", "end": "2025-06-30"})

    page = response.content.decode()
    assert f"Choose at most {MAX_DAYS} days at a time." in page
    assert 'value="2024-01-01"' in page  # what the user typed stays in the form


@pytest.mark.django_db
def test_an_open_end_counts_from_today_for_the_cap(signed_in):
    long_ago = (timezone.now() - datetime.timedelta(days=MAX_DAYS + 10)).date().isoformat()

    response = signed_in.get(URL, {"start": long_ago})

    assert f"Choose at most {MAX_DAYS} days at a time." in response.content.decode()


@pytest.mark.django_db
def test_a_full_year_is_accepted(signed_in):
    response = signed_in.get(URL, {"start": "2025-01-01", "end": "2025-12-31"})

    assert response.status_code == 200
    assert 'role="alert"' not in response.content.decode()
    assert len(response.context["day_chart"].bars) == 365


@pytest.mark.parametrize("end", ["9999-12-31", "0001-01-01"])
@pytest.mark.django_db
def test_dates_at_the_edge_of_the_calendar_are_a_form_error_not_a_crash(signed_in, end):
    response = signed_in.get(URL, {"end": end})

    assert response.status_code == 200
    assert "Choose a date between" in response.content.decode()


@pytest.mark.django_db
def test_the_charts_draw_labelled_axes(signed_in, user):
    InteractionFactory(user=user, model="model-a", cost=Decimal("1.5"), occurred_at=timezone.now())

    page = signed_in.get(URL).content.decode()

    assert page.count('class="ai-chart__axis"') == 3  # days, models, latency (no project)
    assert "Cost (USD)</text>" in page
    assert "Day (UTC)</text>" in page
    assert "Milliseconds</text>" in page
    assert 'class="ai-chart__tick">1.5<' in page


def test_nice_ticks_are_round_steps_from_zero_to_the_top():
    assert charts.nice_ticks(1.0) == ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1)
    assert charts.nice_ticks(100) == ([0, 20, 40, 60, 80, 100], 0)
    assert charts.nice_ticks(0.0042) == ([0.0, 0.001, 0.002, 0.003, 0.004], 3)
    assert charts.nice_ticks(0) == ([0.0], 0)


def test_column_ticks_sit_at_their_values_height_and_mirror_for_rtl():
    data = [charts.Datum("d1", 1.0, "1"), charts.Datum("d2", 4.0, "4")]

    ltr = charts.columns(data, width=400)
    rtl = charts.columns(data, width=400, rtl=True)

    baseline = charts.PLOT_TOP + charts.COLUMN_HEIGHT
    assert [tick.label for tick in ltr.axis.ticks] == ["0", "1", "2", "3", "4"]
    assert ltr.axis.ticks[0].position == baseline
    assert ltr.axis.ticks[-1].position == baseline - charts.COLUMN_HEIGHT
    assert ltr.bars[1].y == ltr.axis.ticks[-1].position  # the tallest column reaches its tick
    assert ltr.axis.label_at < min(bar.x for bar in ltr.bars)
    assert rtl.axis.label_at > max(bar.x + bar.width for bar in rtl.bars)


def test_bar_ticks_sit_under_the_bars_where_their_value_ends():
    data = [charts.Datum("a", 2.0, "2"), charts.Datum("b", 1.0, "1")]

    chart = charts.horizontal_bars(data, width=400, tick_label=lambda v, d: f"{v:.{d}f} ms")

    by_label = {tick.label: tick.position for tick in chart.axis.ticks}
    assert by_label["0.0 ms"] == chart.bars[0].x
    assert by_label["2.0 ms"] == chart.bars[0].x + chart.bars[0].width
    assert chart.axis.label_at > max(bar.y + bar.height for bar in chart.bars)
