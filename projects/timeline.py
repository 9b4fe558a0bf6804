"""The schedule page: a project's tasks drawn on a calendar, the critical path highlighted.

The schedule counts estimated hours from the project's start; the page reads them as working
days (Monday to Friday, ``HOURS_PER_DAY`` hours each) from the project's start date, or from
the day it was created when it has none. The date arithmetic is pure (``working_date``,
``working_hours_until``) and the drawing is plain data (``timeline_drawing``), mirrored for
right-to-left languages, so both are tested without a database or a browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language_bidi
from django.views.generic import TemplateView

from nexus_site.exceptions import BaseAppException, NotFoundError
from projects import selectors
from projects.schedule import Schedule

# The timeline's drawing area, in SVG user units.
TIMELINE_WIDTH = 720
TIMELINE_LABELS = 200
TIMELINE_ROW = 30
TIMELINE_BAR = 18
TIMELINE_AXIS = 34  # the date axis above the rows
TIMELINE_PADDING = 10
TICK_SPACING = 64  # the least room between two dates on the axis
TICK_STEPS = (1, 5, 10, 20, 40, 60, 130, 260)  # working days between two dates on the axis

HOURS_PER_DAY = 8
WEEKEND = (5, 6)  # Saturday, Sunday


# --- working days ------------------------------------------------------------------------------


def first_working_day(day: date) -> date:
    """Return ``day``, or the Monday after it when it falls on a weekend."""
    while day.weekday() in WEEKEND:
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """Return the working day ``count`` (>= 0) working days after the working day ``day``."""
    weeks, rest = divmod(count, 5)
    day += timedelta(weeks=weeks)
    for _ in range(rest):
        day = first_working_day(day + timedelta(days=1))
    return day


def working_days_between(start: date, end: date) -> int:
    """Return how many working days lie in [start, end) (negative when ``end`` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    weeks, rest = divmod((end - start).days, 7)
    count = weeks * 5
    for offset in range(rest):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() not in WEEKEND:
            count += 1
    return count


def working_date(start: date, hours: Decimal | int | float, *, finish: bool = False) -> date:
    """Return the working day on which hour ``hours`` of a schedule beginning ``start`` falls.

    Hour 0 is the start of the first working day on or after ``start``; each working day holds
    ``HOURS_PER_DAY`` hours. A start falls on the day that begins at it; a finish
    (``finish=True``) on the day that ends at it, so 8 hours from a Friday finish that Friday.
    """
    hours = Decimal(str(hours))
    if finish and hours > 0:
        days = math.ceil(hours / HOURS_PER_DAY) - 1
    else:
        days = math.floor(hours / HOURS_PER_DAY)
    return add_working_days(first_working_day(start), max(days, 0))


def working_hours_until(start: date, day: date) -> int:
    """Return the schedule hour at which ``day`` begins (a weekend day: the Monday after)."""
    return HOURS_PER_DAY * working_days_between(first_working_day(start), first_working_day(day))


def schedule_start(project) -> date:
    """Return the day a project's schedule counts from: its start date, else its creation."""
    return project.start_date or timezone.localdate(project.created_at)


# --- the drawing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One task on the timeline: its row, bar geometry, dates and schedule figures."""

    task: selectors.ScheduleTask
    y: float
    label_x: float
    label_y: float
    x: float
    width: float
    earliest_start: Decimal
    earliest_finish: Decimal
    slack: Decimal
    critical: bool
    start: date
    finish: date


@dataclass(frozen=True)
class Tick:
    x: float
    day: date


@dataclass(frozen=True)
class Arrow:
    """A dependency: from the end of the bar waited on to the start of the bar that waits."""

    path: str
    critical: bool


@dataclass(frozen=True)
class TimelineDrawing:
    bars: list[Bar]
    ticks: list[Tick]
    arrows: list[Arrow]
    today_x: float | None
    width: float
    height: float
    rtl: bool


def tick_step(day_width: float) -> int:
    """Return the working days between two dates on the axis: the fewest that leave room."""
    for step in TICK_STEPS:
        if step * day_width >= TICK_SPACING:
            return step
    return TICK_STEPS[-1]


def timeline_drawing(
    plan: Schedule,
    tasks: dict,
    *,
    start: date,
    today: date,
    rtl: bool = False,
) -> TimelineDrawing:
    """Return the timeline of ``plan``: a bar per task on a working-day axis from ``start``,
    dependency arrows, and a line at ``today`` when it falls within the drawn days.

    Left to right, the labels sit in a column on the left and time runs rightwards. Right to
    left, the picture is mirrored: labels on the right, time running leftwards, every x taken
    as ``width - x``. A label is anchored at its end in both: with the text's direction set,
    "end" is its left edge in Arabic, so it never runs over the bars.
    """
    days = max(math.ceil(Decimal(str(plan.earliest_finish or 0)) / HOURS_PER_DAY), 1)
    span = Decimal(days * HOURS_PER_DAY)
    scale = Decimal(TIMELINE_WIDTH) / span
    width = TIMELINE_LABELS + TIMELINE_WIDTH + TIMELINE_PADDING
    height = TIMELINE_AXIS + max(len(plan.tasks), 1) * TIMELINE_ROW

    def at(hours) -> float:
        x = TIMELINE_LABELS + float(Decimal(str(hours)) * scale)
        return round(width - x if rtl else x, 1)

    rows = {}
    bars = []
    for row, item in enumerate(plan.tasks):
        top = TIMELINE_AXIS + row * TIMELINE_ROW
        left, right = at(item.earliest_start), at(item.earliest_finish)
        x, bar_width = min(left, right), max(abs(right - left), 3.0)  # a milestone stays visible
        if rtl and abs(right - left) < 3.0:
            x = left - 3.0
        rows[item.id] = (top + TIMELINE_ROW / 2, left, right)
        bars.append(
            Bar(
                task=tasks[item.id],
                y=top + (TIMELINE_ROW - TIMELINE_BAR) / 2,
                label_x=width - TIMELINE_LABELS + 8 if rtl else TIMELINE_LABELS - 8,
                label_y=top + TIMELINE_ROW / 2 + 4,
                x=x,
                width=round(bar_width, 1),
                earliest_start=item.earliest_start,
                earliest_finish=item.earliest_finish,
                slack=item.slack,
                critical=item.critical,
                start=working_date(start, item.earliest_start),
                finish=working_date(start, item.earliest_finish, finish=True),
            )
        )
    critical = {item.id for item in plan.tasks if item.critical}
    arrows = []
    for item in plan.tasks:
        for waited_on in item.depends_on:
            if waited_on in rows:
                arrows.append(
                    Arrow(
                        arrow_path(rows[waited_on], rows[item.id], rtl=rtl),
                        critical=item.id in critical and waited_on in critical,
                    )
                )
    step = tick_step(TIMELINE_WIDTH / days)
    first = first_working_day(start)
    ticks = [
        Tick(at(index * HOURS_PER_DAY), add_working_days(first, index))
        for index in range(0, days + 1, step)
        if index < days or index == 0
    ]
    today_hours = working_hours_until(start, today)
    return TimelineDrawing(
        bars=bars,
        ticks=ticks,
        arrows=arrows,
        today_x=at(today_hours) if 0 <= today_hours <= span else None,
        width=width,
        height=height,
        rtl=rtl,
    )


def arrow_path(
    source: tuple[float, float, float], target: tuple[float, float, float], *, rtl: bool
) -> str:
    """Return a line from the end of one bar to the start of another, as SVG path data.

    Each end is (row middle y, start x, finish x). With room between the two, the line leaves
    the waited-on bar forward, turns to the waiting bar's row and comes into its start; when
    the waiting bar starts where the other ends, it drops onto the waiting bar from above (or
    below) just inside its start.
    """
    forward = -1 if rtl else 1
    y1, _start1, x1 = source
    y2, x2, _finish2 = target
    if (x2 - x1) * forward >= 12:
        middle = round(x1 + (x2 - x1) / 2, 1)
        return f"M{x1},{y1} H{middle} V{y2} H{x2}"
    inside = round(max(x1 * forward, x2 * forward) * forward + 6 * forward, 1)
    edge = y2 - TIMELINE_BAR / 2 if y2 > y1 else y2 + TIMELINE_BAR / 2
    return f"M{x1},{y1} H{inside} V{edge}"


# --- the page ----------------------------------------------------------------------------------


class SchedulePage(LoginRequiredMixin, TemplateView):
    """The project's tasks on a calendar of working days, the critical path highlighted."""

    template_name = "projects/schedule.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        try:
            project = selectors.project_get(user, kwargs["project_id"])
        except NotFoundError as exc:
            raise Http404 from exc
        start = schedule_start(project)
        context = super().get_context_data(
            project=project, start=first_working_day(start), **kwargs
        )
        try:
            planned = selectors.project_schedule(project)
        except BaseAppException as exc:
            return context | {"schedule_error": exc.message}
        today = timezone.localdate()
        drawing = timeline_drawing(
            planned.plan, planned.tasks, start=start, today=today, rtl=get_language_bidi()
        )
        finish = planned.plan.earliest_finish
        return context | {
            "drawing": drawing,
            "bars": drawing.bars,
            "earliest_finish": finish,
            "finish_date": working_date(start, finish, finish=True),
            "today": today,
            "critical_path": [planned.tasks[task_id] for task_id in planned.plan.critical_path],
            "bar_height": TIMELINE_BAR,
            "axis_top": TIMELINE_AXIS,
            "axis_label_y": TIMELINE_AXIS - 10,
        }
