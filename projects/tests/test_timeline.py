"""The schedule on a calendar: hours read as working days from the project's start, the drawing
(date axis, today line, dependency arrows) and its mirror in right-to-left languages."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from projects.schedule import TaskInput, compute_schedule
from projects.tests.factories import ProjectFactory, TaskDependencyFactory, TaskFactory
from projects.timeline import (
    TIMELINE_LABELS,
    add_working_days,
    timeline_drawing,
    working_date,
    working_days_between,
    working_hours_until,
)

FRIDAY = date(2026, 12, 4)
SATURDAY = date(2026, 12, 5)
MONDAY = date(2026, 12, 7)


# --- hours -> working days (no database) -------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "finish", "expected"),
    [
        (0, False, FRIDAY),
        (7, False, FRIDAY),
        (8, False, MONDAY),  # a task starting at hour 8 starts on the next working day
        (8, True, FRIDAY),  # a task finishing at hour 8 finishes at the end of the first day
        (9, True, MONDAY),
        (16, True, MONDAY),
        (Decimal("40.5"), False, date(2026, 12, 11)),  # five working days on: the next Friday
        (0, True, FRIDAY),
    ],
)
def test_working_date_counts_eight_hour_days_and_skips_weekends(hours, finish, expected):
    assert working_date(FRIDAY, hours, finish=finish) == expected


def test_a_schedule_starting_on_a_weekend_starts_the_monday_after():
    assert working_date(SATURDAY, 0) == MONDAY
    assert working_date(SATURDAY, 8, finish=True) == MONDAY


def test_adding_working_days_skips_weekends():
    assert add_working_days(FRIDAY, 1) == MONDAY
    assert add_working_days(FRIDAY, 5) == date(2026, 12, 11)
    assert add_working_days(MONDAY, 12) == date(2026, 12, 23)


def test_working_days_between_count_both_ways():
    assert working_days_between(FRIDAY, MONDAY) == 1
    assert working_days_between(MONDAY, date(2026, 12, 21)) == 10
    assert working_days_between(MONDAY, FRIDAY) == -1


def test_the_hour_a_day_begins_at():
    assert working_hours_until(FRIDAY, FRIDAY) == 0
    assert working_hours_until(FRIDAY, SATURDAY) == 8  # the weekend waits for Monday
    assert working_hours_until(FRIDAY, date(2026, 12, 9)) == 24
    assert working_hours_until(MONDAY, FRIDAY) == -8


# --- the drawing (no database) ------------------------------------------------------------------


def plan_of_two():
    """Design (16 h) then Build (24 h), which waits on Design."""
    plan = compute_schedule(
        [TaskInput("design", Decimal(16)), TaskInput("build", Decimal(24), ("design",))]
    )
    tasks = {"design": "Design", "build": "Build"}
    return plan, tasks


def test_bars_lie_between_their_dates_on_the_axis():
    plan, tasks = plan_of_two()

    drawing = timeline_drawing(plan, tasks, start=MONDAY, today=date(2026, 1, 1))

    design, build = drawing.bars
    assert (design.start, design.finish) == (MONDAY, date(2026, 12, 8))
    assert (build.start, build.finish) == (date(2026, 12, 9), date(2026, 12, 11))
    assert [tick.day for tick in drawing.ticks][:2] == [MONDAY, date(2026, 12, 8)]
    assert drawing.ticks[0].x == TIMELINE_LABELS == design.x
    assert build.x == drawing.ticks[2].x  # Build starts at the start of its day
    assert drawing.today_x is None  # long before the project


def test_the_today_line_stands_at_the_start_of_today():
    plan, tasks = plan_of_two()

    drawing = timeline_drawing(plan, tasks, start=MONDAY, today=date(2026, 12, 9))

    assert drawing.today_x == drawing.bars[1].x


def test_an_arrow_joins_the_end_of_a_task_to_the_start_of_the_one_waiting_on_it():
    plan, tasks = plan_of_two()

    drawing = timeline_drawing(plan, tasks, start=MONDAY, today=MONDAY)

    (arrow,) = drawing.arrows
    design, build = drawing.bars
    start = re.match(r"M([\d.]+),([\d.]+) H([\d.]+) V([\d.]+)$", arrow.path)
    assert float(start.group(1)) == pytest.approx(design.x + design.width)
    assert float(start.group(3)) == pytest.approx(build.x + 6)  # just inside Build's start
    assert float(start.group(4)) == pytest.approx(build.y)  # onto Build's top edge
    assert arrow.critical


def test_an_arrow_with_room_comes_into_the_start_of_the_waiting_task():
    plan = compute_schedule(
        [
            TaskInput("a", Decimal(8)),
            TaskInput("b", Decimal(40)),
            TaskInput("c", Decimal(8), ("a", "b")),
        ]
    )

    drawing = timeline_drawing(plan, dict.fromkeys("abc", "x"), start=MONDAY, today=MONDAY)

    a, _b, c = drawing.bars
    from_a = next(arrow for arrow in drawing.arrows if not arrow.critical)
    assert from_a.path.startswith(f"M{a.x + a.width},")
    assert from_a.path.endswith(f"H{c.x}")


def test_right_to_left_the_labels_sit_right_of_the_bars_and_time_runs_leftwards():
    plan, tasks = plan_of_two()

    drawing = timeline_drawing(plan, tasks, start=MONDAY, today=date(2026, 12, 9), rtl=True)

    design, build = drawing.bars
    for bar in drawing.bars:
        assert bar.label_x >= bar.x + bar.width + 8  # the label's left end, past the bar
        assert bar.label_x == drawing.width - TIMELINE_LABELS + 8
    assert build.x + build.width == pytest.approx(design.x)  # Build after Design: to its left
    assert drawing.ticks[0].x == drawing.width - TIMELINE_LABELS
    assert drawing.ticks[1].x < drawing.ticks[0].x
    assert drawing.today_x == pytest.approx(build.x + build.width)
    (arrow,) = drawing.arrows
    assert float(re.match(r"M([\d.]+),", arrow.path).group(1)) == pytest.approx(design.x)
    assert float(re.search(r"H([\d.]+) V", arrow.path).group(1)) == pytest.approx(
        build.x + build.width - 6
    )


def test_many_days_put_fewer_dates_on_the_axis():
    plan = compute_schedule([TaskInput("long", Decimal(8 * 200))])

    drawing = timeline_drawing(plan, {"long": "Long"}, start=MONDAY, today=MONDAY)

    assert 2 <= len(drawing.ticks) <= 12
    gaps = [b.x - a.x for a, b in zip(drawing.ticks, drawing.ticks[1:], strict=False)]
    assert min(gaps) >= 60


# --- the page -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _keep_the_test_language():
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def project(db, user):
    return ProjectFactory(owner=user, name="Launch", start_date=MONDAY)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def two_tasks(project):
    design = TaskFactory(project=project, title="Design", estimated_hours=16)
    build = TaskFactory(project=project, title="Build", estimated_hours=24)
    TaskDependencyFactory(task=build, depends_on=design)
    return design, build


def svg_of(response) -> str:
    html = response.content.decode()
    start = html.index('<svg class="timeline__svg"')
    return html[start : html.index("</svg>", start)]


def test_schedule_page_shows_dates_from_the_start_arrows_and_the_axis(signed_in, project):
    two_tasks(project)

    response = signed_in.get(reverse("projects:schedule", args=[project.pk]))

    html = response.content.decode()
    svg = svg_of(response)
    assert "Earliest finish: Dec. 11, 2026 (40 working hours)" in html
    assert "from Dec. 7, 2026" in html
    assert svg.count('class="timeline-arrow critical"') == 1
    assert svg.count('class="timeline-axis__date"') >= 5
    assert ">7 Dec</text>" in svg
    assert "Build: 12/09/2026 \N{EN DASH} 12/11/2026, slack 0 hours" in svg


def test_a_project_without_a_start_date_counts_from_its_creation(signed_in, user):
    project = ProjectFactory(owner=user, created_at=datetime(2026, 12, 5, 10, tzinfo=UTC))
    TaskFactory(project=project, title="Only", estimated_hours=8)

    html = signed_in.get(reverse("projects:schedule", args=[project.pk])).content.decode()

    assert "from Dec. 7, 2026" in html  # created on a Saturday: the Monday after


def test_the_today_line_is_drawn_while_the_project_runs(signed_in, project, settings):
    two_tasks(project)
    project.start_date = date.today()
    project.save(update_fields=["start_date"])

    svg = svg_of(signed_in.get(reverse("projects:schedule", args=[project.pk])))

    assert 'class="timeline-today"' in svg


def test_in_arabic_the_labels_are_drawn_beside_the_bars_not_over_them(client, user, project):
    two_tasks(project)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"

    svg = svg_of(client.get(reverse("projects:schedule", args=[project.pk])))

    assert 'direction="rtl"' in svg
    labels = [float(x) for x in re.findall(r'class="timeline-row__label" x="([\d.]+)"', svg)]
    bars = re.findall(r'class="timeline-bar[^"]*" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    assert len(labels) == len(bars) == 2
    for label_x, (x, width) in zip(labels, bars, strict=True):
        assert label_x > float(x) + float(width)  # the label's left end is right of its bar


def test_schedule_page_runs_a_constant_number_of_queries(signed_in, project):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            signed_in.get(reverse("projects:schedule", args=[project.pk]))
        return len(captured)

    two_tasks(project)
    few = queries()
    for _ in range(5):
        two_tasks(project)

    assert queries() == few


def test_another_users_schedule_answers_404(signed_in):
    other = ProjectFactory()

    response = signed_in.get(reverse("projects:schedule", args=[other.pk]))

    assert response.status_code == 404
