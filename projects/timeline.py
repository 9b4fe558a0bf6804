"""The schedule page: a project's tasks drawn on a timeline, the critical path highlighted."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import TemplateView

from nexus_site.exceptions import BaseAppException, NotFoundError
from projects import selectors
from projects.models import Task

# The timeline's drawing area, in SVG user units.
TIMELINE_WIDTH = 720
TIMELINE_LABELS = 200
TIMELINE_ROW = 30
TIMELINE_BAR = 18


@dataclass(frozen=True)
class Bar:
    """One task on the timeline: its row, bar geometry and schedule figures."""

    task: Task
    y: float
    label_y: float
    x: float
    width: float
    earliest_start: Decimal
    earliest_finish: Decimal
    slack: Decimal
    critical: bool


def timeline_bars(planned: selectors.ProjectSchedule) -> tuple[list[Bar], float]:
    """Return a bar per task (by earliest start and finish, in hours) and the drawing height."""
    finish = planned.plan.earliest_finish or 1
    scale = Decimal(TIMELINE_WIDTH) / Decimal(finish)
    bars = []
    for row, item in enumerate(planned.plan.tasks):
        x = TIMELINE_LABELS + float(item.earliest_start * scale)
        width = float((item.earliest_finish - item.earliest_start) * scale)
        bars.append(
            Bar(
                task=planned.tasks[item.id],
                y=row * TIMELINE_ROW + (TIMELINE_ROW - TIMELINE_BAR) / 2,
                label_y=row * TIMELINE_ROW + TIMELINE_ROW / 2 + 4,
                x=x,
                width=max(width, 3.0),  # a zero-hour milestone stays visible
                earliest_start=item.earliest_start,
                earliest_finish=item.earliest_finish,
                slack=item.slack,
                critical=item.critical,
            )
        )
    return bars, max(len(bars), 1) * TIMELINE_ROW


class SchedulePage(LoginRequiredMixin, TemplateView):
    """The project's tasks on a timeline, the critical path highlighted."""

    template_name = "projects/schedule.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        try:
            project = selectors.project_get(user, kwargs["project_id"])
        except NotFoundError as exc:
            raise Http404 from exc
        context = super().get_context_data(project=project, **kwargs)
        try:
            planned = selectors.project_schedule(project)
        except BaseAppException as exc:
            return context | {"schedule_error": exc.message}
        bars, height = timeline_bars(planned)
        return context | {
            "bars": bars,
            "earliest_finish": planned.plan.earliest_finish,
            "critical_path": [planned.tasks[task_id] for task_id in planned.plan.critical_path],
            "width": TIMELINE_LABELS + TIMELINE_WIDTH + 10,
            "height": height,
            "label_x": TIMELINE_LABELS - 8,
            "bar_height": TIMELINE_BAR,
        }
