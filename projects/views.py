"""Server-rendered project pages: the project list, a project's kanban board, a task with its
dependencies and history (the schedule is projects.timeline's). Thin, like the API: they read
through projects.selectors and write through projects.services."""

from dataclasses import dataclass
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from nexus_site.definitions.enums import Permission
from nexus_site.exceptions import BaseAppException, NotFoundError
from projects import selectors, services
from projects.models import Priority, TaskStatus
from projects.timeline import SchedulePage  # noqa: F401  (projects.urls serves it from here)
from relations.access import permits


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
class Card:
    """One task on the board, with its labels and links worked out once per request."""

    id: UUID
    title: str
    status: str
    priority: str
    priority_label: str
    assignee_name: str
    due: str
    url: str
    move_url: str
    options: str  # the move menu's <option>s, this card's status selected


@dataclass(frozen=True)
class Column:
    status: str
    label: str
    tasks: list[Card]


def status_options(statuses: list[tuple[str, str]]) -> dict[str, str]:
    """Return, for each status, the move menu's options with that status selected."""
    return {
        current: format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (value, mark_safe(" selected") if value == current else "", label)
                for value, label in statuses
            ),
        )
        for current, _label in statuses
    }


def board_columns(project) -> list[Column]:
    """Return the board's columns, one per status, each with its cards oldest first.

    Labels are translated once per request, not once per card: translating every status for
    every card's menu was most of a 200-card board's time (docs/PERFORMANCE.md).
    """
    rows, assignees = selectors.board_tasks(project)
    statuses = [(value, str(label)) for value, label in TaskStatus.choices]
    priorities = {value: str(label) for value, label in Priority.choices}
    options = status_options(statuses)
    due = gettext("due %(date)s")
    # Every card links to the same two routes: reverse them once, put each task's id in.
    marker = str(UUID(int=0))
    task_url = reverse("projects:task", args=[marker]).split(marker)
    move_url = reverse("projects:task-move", args=[marker]).split(marker)
    by_status: dict[str, list[Card]] = {value: [] for value, _label in statuses}
    for row in rows:
        assignee = assignees.get(row["assignee_id"])
        due_date = row["due_date"]
        by_status[row["status"]].append(
            Card(
                id=row["id"],
                title=row["title"],
                status=row["status"],
                priority=row["priority"],
                priority_label=priorities[row["priority"]],
                assignee_name=assignee.full_name if assignee is not None else "",
                due=due % {"date": date_format(due_date, "SHORT_DATE_FORMAT")} if due_date else "",
                url=f"{task_url[0]}{row['id']}{task_url[1]}",
                move_url=f"{move_url[0]}{row['id']}{move_url[1]}",
                options=options[row["status"]],
            )
        )
    return [Column(value, label, by_status[value]) for value, label in statuses]


class ProjectBoardPage(LoginRequiredMixin, TemplateView):
    """A project's tasks as a kanban board with one column per status."""

    template_name = "projects/board.html"

    def get_context_data(self, **kwargs):
        project, level = visible_or_404(
            selectors.project_and_permission, self.request.user, kwargs["project_id"]
        )
        return super().get_context_data(
            project=project,
            columns=board_columns(project),
            can_edit=permits(level, Permission.EDIT),
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
