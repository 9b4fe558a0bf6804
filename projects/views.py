"""Server-rendered project pages: the project list, a project's kanban board, a task with its
dependencies and history, and the schedule drawn on a timeline. Thin, like the API: they read
through projects.selectors and write through projects.services."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from nexus_site.definitions.enums import Permission
from nexus_site.exceptions import BaseAppException, NotFoundError
from projects import selectors, services
from projects.models import Task, TaskStatus
from relations.access import can
from relations.nodes import node_of

# The timeline's drawing area, in SVG user units.
TIMELINE_WIDTH = 720
TIMELINE_LABELS = 200
TIMELINE_ROW = 30
TIMELINE_BAR = 18


def visible_or_404(load, *args):
    """Return what ``load`` finds; a hidden object is as missing as a deleted one."""
    try:
        return load(*args)
    except NotFoundError as exc:
        raise Http404 from exc


class ProjectListPage(LoginRequiredMixin, ListView):
    """The projects the user may see, each with its completion bar."""

    template_name = "projects/project_list.html"
    context_object_name = "projects"
    paginate_by = 50

    def get_queryset(self):
        return selectors.projects_visible_to(self.request.user).order_by("name", "id")


@dataclass(frozen=True)
class Column:
    status: str
    label: str
    tasks: list[Task]


class ProjectBoardPage(LoginRequiredMixin, TemplateView):
    """A project's tasks as a kanban board with one column per status."""

    template_name = "projects/board.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        project = visible_or_404(selectors.project_get, user, kwargs["project_id"])
        tasks = selectors.tasks_visible_to(user).filter(project=project).order_by("created_at")
        by_status: dict[str, list[Task]] = {status: [] for status in TaskStatus.values}
        for task in tasks:
            by_status[task.status].append(task)
        columns = [Column(status, label, by_status[status]) for status, label in TaskStatus.choices]
        return super().get_context_data(
            project=project,
            columns=columns,
            statuses=TaskStatus.choices,
            can_edit=can(user, Permission.EDIT, node_of(project)),
            **kwargs,
        )


class TaskMoveForm(forms.Form):
    status = forms.ChoiceField(label=_("Move to"), choices=TaskStatus.choices)


class TaskMoveView(LoginRequiredMixin, View):
    """Move a card without JavaScript: a plain form post, then back to the board."""

    http_method_names = ["post"]

    def post(self, request, task_id):
        task = visible_or_404(selectors.task_get, request.user, task_id)
        form = TaskMoveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a column to move the task to."))
        else:
            try:
                services.task_update(
                    actor=request.user, task=task, status=form.cleaned_data["status"]
                )
            except BaseAppException as exc:
                messages.error(request, exc.message)
        return HttpResponseRedirect(
            reverse("projects:board", kwargs={"project_id": task.project_id})
        )


class TaskPage(LoginRequiredMixin, TemplateView):
    """One task: its facts, what it waits on, what waits on it, and its history."""

    template_name = "projects/task.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        task = visible_or_404(selectors.task_get, user, kwargs["task_id"])
        visible = selectors.tasks_visible_to(user)
        return super().get_context_data(
            task=task,
            project=task.project,
            dependencies=visible.filter(dependents__task=task).order_by("created_at"),
            dependents=visible.filter(dependencies__depends_on=task).order_by("created_at"),
            activity=selectors.activity_for(task.project).filter(task=task)[:50],
            **kwargs,
        )


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
        project = visible_or_404(selectors.project_get, user, kwargs["project_id"])
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
