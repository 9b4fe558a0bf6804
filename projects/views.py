"""Server-rendered project pages: the project list, new / edit / archive / delete, a project's
kanban board with its sub-projects and quick-add, its members, a task that edits in place with
its dependencies and history (the schedule is projects.timeline's). Thin, like the API: they
read through projects.selectors and write through projects.services, whose refusals they put
back on the form or in a message."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts import people
from nexus_site.definitions.enums import MemberRole, Permission, Role
from nexus_site.exceptions import BaseAppException, NotFoundError
from nexus_site.exceptions import error_text as shared_error_text
from projects import selectors, services
from projects.forms import (
    DependencyForm,
    MemberAddForm,
    MemberRoleForm,
    ProjectForm,
    QuickTaskForm,
    TaskForm,
    add_service_errors,
)
from projects.models import Priority, Project, ProjectStatus, Task, TaskStatus
from projects.timeline import SchedulePage  # noqa: F401  (projects.urls serves it from here)
from relations.access import permits


def visible_or_404(load, *args):
    """Return what ``load`` finds; a hidden object is as missing as a deleted one."""
    try:
        return load(*args)
    except NotFoundError as exc:
        raise Http404 from exc


def blockers_text(exc: BaseAppException) -> str:
    """Return the titles of the tasks a refused "done" waits on ("" when none): a blocker of
    another project is named as such (the service leaves its title out)."""
    blockers = exc.details.get("blockers") or []
    if not blockers:
        return ""
    other = gettext("a task of another project")
    titles = ", ".join(blocker.get("title") or other for blocker in blockers)
    return gettext("Not done yet: %(titles)s") % {"titles": titles}


def error_text(exc: BaseAppException) -> str:
    """Return a refusal as one sentence: nexus_site.exceptions.error_text, with the blockers
    of a refused "done" named by title instead of written out as data."""
    if exc.details.get("blockers"):
        return f"{exc.message} {blockers_text(exc)}"
    return shared_error_text(exc)


def project_for(user, project_id, action: str) -> tuple[Project, str]:
    """Return a project the user may see and their level on it; 404 hidden, 403 when the
    user sees it but may not do ``action`` (for pages that exist only to change it)."""
    project, level = visible_or_404(selectors.project_and_permission, user, project_id)
    if not permits(level, action):
        raise PermissionDenied
    return project, level


def refused(request, exc: BaseAppException, to: str) -> HttpResponseRedirect:
    messages.error(request, error_text(exc))
    return HttpResponseRedirect(to)


def board_url(project_id) -> str:
    return reverse("projects:board", args=[project_id])


# --- projects ----------------------------------------------------------------------------


class ProjectListPage(LoginRequiredMixin, ListView):
    """The projects the user may see, each with its completion bar; archived ones (completed
    or cancelled) apart, behind ``?archived=1``."""

    template_name = "projects/project_list.html"
    context_object_name = "projects"
    paginate_by = 50

    def archived(self) -> bool:
        return self.request.GET.get("archived") == "1"

    def get_queryset(self):
        projects = selectors.projects_visible_to(self.request.user).order_by("name", "id")
        if self.archived():
            return projects.filter(status__in=selectors.ARCHIVED_STATUSES)
        return projects.exclude(status__in=selectors.ARCHIVED_STATUSES)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            archived=self.archived(),
            can_create=self.request.user.role != Role.GUEST,
            **kwargs,
        )


class ProjectCreatePage(LoginRequiredMixin, TemplateView):
    """A new project owned by the user, at the top level or under a project they may edit."""

    template_name = "projects/project_form.html"

    def form(self, data=None) -> ProjectForm:
        parents = selectors.projects_editable_by(self.request.user)
        initial = {"status": ProjectStatus.PLANNING, "priority": Priority.MEDIUM}
        initial["parent"] = self.request.GET.get("parent", "")
        return ProjectForm(data, parents=parents, initial=initial)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.form())
        return super().get_context_data(creating=True, **kwargs)

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in services.PROJECT_FIELDS}
            try:
                project = services.project_create(
                    actor=request.user, parent=form.parent_project(), **fields
                )
            except BaseAppException as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Project “%(name)s” created.") % {"name": project})
                return HttpResponseRedirect(board_url(project.pk))
        return self.render_to_response(self.get_context_data(form=form), status=422)


class ProjectEditPage(LoginRequiredMixin, TemplateView):
    """A project's own fields and its parent; its members may edit, managers move it."""

    template_name = "projects/project_form.html"

    def setup_project(self):
        self.project, self.level = project_for(
            self.request.user, self.kwargs["project_id"], Permission.EDIT
        )
        self.parent_id, _children = selectors.project_family(self.project)

    def form(self, data=None) -> ProjectForm:
        project = self.project
        initial = {name: getattr(project, name) for name in services.PROJECT_FIELDS}
        initial["parent"] = str(self.parent_id or "")
        parents = selectors.projects_editable_by(self.request.user)
        current = None
        if self.parent_id is not None:
            names = selectors.names_for_activity(
                self.request.user,
                project,
                user_ids=set(),
                task_ids=set(),
                project_ids={self.parent_id},
            )[2]
            current = (
                self.parent_id,
                names.get(self.parent_id, gettext("a project you cannot see")),
            )
        return ProjectForm(
            data, parents=parents, exclude=project.pk, current=current, initial=initial
        )

    def get(self, request, *args, **kwargs):
        self.setup_project()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", self.form())
        changes = selectors.activity_for(self.project).filter(task__isnull=True)[:30]
        return super().get_context_data(
            project=self.project,
            can_manage=permits(self.level, Permission.MANAGE),
            activity=activity_rows(self.request.user, self.project, changes),
            **kwargs,
        )

    def post(self, request, project_id):
        self.setup_project()
        form = self.form(request.POST)
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in services.PROJECT_FIELDS}
            parent = form.parent_project()
            moved = form.cleaned_data["parent"] != str(self.parent_id or "")
            try:
                # One change: moving the project and its fields stand or fall together.
                with transaction.atomic():
                    if moved:
                        services.project_parent_set(
                            actor=request.user, project=self.project, parent=parent
                        )
                    services.project_update(actor=request.user, project=self.project, **fields)
            except BaseAppException as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Project saved."))
                return HttpResponseRedirect(board_url(project_id))
        return self.render_to_response(self.get_context_data(form=form), status=422)


class ProjectArchiveView(LoginRequiredMixin, View):
    """Archive a project (mark it completed) or bring it back (active again)."""

    http_method_names = ["post"]

    def post(self, request, project_id):
        project, _level = visible_or_404(selectors.project_and_permission, request.user, project_id)
        archive = request.POST.get("archive") != "0"
        status = ProjectStatus.COMPLETED if archive else ProjectStatus.ACTIVE
        try:
            services.project_update(actor=request.user, project=project, status=status)
        except BaseAppException as exc:
            return refused(request, exc, board_url(project_id))
        if archive:
            messages.success(request, _("Project archived: it is listed under archived projects."))
        else:
            messages.success(request, _("Project restored."))
        return HttpResponseRedirect(board_url(project_id))


class ProjectDeletePage(LoginRequiredMixin, TemplateView):
    """Ask before deleting a project with its tasks and history; the owner and managers only."""

    template_name = "projects/project_delete.html"

    def get_context_data(self, **kwargs):
        project, _level = project_for(self.request.user, kwargs["project_id"], Permission.MANAGE)
        _parent, children = selectors.project_family(project)
        return super().get_context_data(project=project, children=children, **kwargs)

    def post(self, request, project_id):
        project, _level = visible_or_404(selectors.project_and_permission, request.user, project_id)
        try:
            services.project_delete(actor=request.user, project=project)
        except BaseAppException as exc:
            return refused(request, exc, board_url(project_id))
        messages.success(request, _("Project “%(name)s” deleted.") % {"name": project.name})
        return HttpResponseRedirect(reverse("projects:list"))


# --- members -------------------------------------------------------------------------------


class MembersPage(LoginRequiredMixin, TemplateView):
    """Who takes part in a project and with which role; managers add, change and remove."""

    template_name = "projects/members.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        project, level = visible_or_404(
            selectors.project_and_permission, user, kwargs["project_id"]
        )
        members = list(selectors.project_members(project))
        return super().get_context_data(
            project=project,
            members=members,
            roles=MemberRole.choices,
            can_manage=permits(level, Permission.MANAGE),
            form=kwargs.pop("form", None) or MemberAddForm(),
            **kwargs,
        )

    def post(self, request, project_id):
        project, _level = visible_or_404(selectors.project_and_permission, request.user, project_id)
        here = reverse("projects:members", args=[project_id])
        action = request.POST.get("action")
        try:
            if action == "add":
                form = MemberAddForm(request.POST)
                person = None
                if form.is_valid():
                    person = people.person_for(request.user, form.cleaned_data["person"])
                    if person is None:
                        form.add_error("person", _("No one you know has this name or e-mail."))
                if person is None:
                    return self.render_to_response(
                        self.get_context_data(project_id=project_id, form=form), status=422
                    )
                services.project_member_add(
                    actor=request.user, project=project, user=person, role=form.cleaned_data["role"]
                )
                messages.success(request, _("%(name)s added.") % {"name": person.full_name})
            elif action in ("role", "remove"):
                form = MemberRoleForm(request.POST)
                if action == "remove":
                    form.fields["role"].required = False
                if not form.is_valid():
                    messages.error(request, _("Choose a member and a role."))
                    return HttpResponseRedirect(here)
                member = selectors.user_by_id(form.cleaned_data["user"], active_only=False)
                if member is None:
                    raise NotFoundError(_("This user is not a member of the project."))
                if action == "role":
                    services.project_member_role_change(
                        actor=request.user,
                        project=project,
                        user=member,
                        role=form.cleaned_data["role"],
                    )
                    messages.success(request, _("Role changed."))
                else:
                    services.project_member_remove(actor=request.user, project=project, user=member)
                    if member.pk == request.user.pk:
                        messages.success(request, _("You left the project."))
                        return HttpResponseRedirect(reverse("projects:list"))
                    messages.success(request, _("%(name)s removed.") % {"name": member.full_name})
            else:
                messages.error(request, _("Choose what to do."))
        except BaseAppException as exc:
            return refused(request, exc, here)
        return HttpResponseRedirect(here)


# --- the board -----------------------------------------------------------------------------


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
    moves: str  # the move menu's buttons, this card's status hidden


@dataclass(frozen=True)
class Column:
    status: str
    label: str
    tasks: list[Card]


def move_buttons(statuses: list[tuple[str, str]]) -> dict[str, str]:
    """Return, for each status, the move menu's buttons with that status's button hidden."""
    return {
        current: format_html_join(
            "",
            '<button type="submit" class="kanban-card__move-to" name="status" value="{}"{}>'
            "{}</button>",
            ((value, " hidden" if value == current else "", label) for value, label in statuses),
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
    moves = move_buttons(statuses)
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
                moves=moves[row["status"]],
            )
        )
    return [Column(value, label, by_status[value]) for value, label in statuses]


class ProjectBoardPage(LoginRequiredMixin, TemplateView):
    """A project's page: its tasks as a kanban board with one column per status, a quick-add
    on each column, and its sub-projects."""

    template_name = "projects/board.html"

    def get_context_data(self, **kwargs):
        project, level = visible_or_404(
            selectors.project_and_permission, self.request.user, kwargs["project_id"]
        )
        parent_id, children = selectors.project_family(project)
        parent = None
        if parent_id is not None:
            # Shown only to those who may see it: access reaches down, not up.
            names = selectors.names_for_activity(
                self.request.user, project, user_ids=set(), task_ids=set(), project_ids={parent_id}
            )[2]
            if parent_id in names:
                parent = {"id": parent_id, "name": names[parent_id]}
        return super().get_context_data(
            project=project,
            columns=board_columns(project),
            parent=parent,
            children=children,
            archived=project.status in selectors.ARCHIVED_STATUSES,
            can_edit=permits(level, Permission.EDIT),
            can_manage=permits(level, Permission.MANAGE),
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
                messages.error(request, error_text(exc))
        return HttpResponseRedirect(board_url(task.project_id))


class TaskQuickAddView(LoginRequiredMixin, View):
    """A new task from a title typed into a board column (or the project page), then back."""

    http_method_names = ["post"]

    def post(self, request, project_id):
        project, _level = visible_or_404(selectors.project_and_permission, request.user, project_id)
        form = QuickTaskForm(request.POST)
        status = request.POST.get("status")
        status = status if status in TaskStatus.values else TaskStatus.TODO
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = ""
        back = (back or board_url(project_id)).split("#")[0] + f"#add-{status}"
        if not form.is_valid():
            messages.error(request, _("Type a title for the new task."))
            return HttpResponseRedirect(back)
        try:
            task = services.task_create(
                actor=request.user,
                project=project,
                title=form.cleaned_data["title"],
                status=form.cleaned_data["status"] or None,
            )
        except BaseAppException as exc:
            return refused(request, exc, back)
        messages.success(request, _("Task “%(title)s” added.") % {"title": task.title})
        return HttpResponseRedirect(back)


# --- the task page -------------------------------------------------------------------------


FIELD_LABELS = {
    "created": _("Created"),
    "dependency": _("Waits on"),
    "deleted_task": _("Deleted task"),
    "member": _("Member"),
    "member_role": _("Member's role"),
    "owner": _("Owner"),
    "parent": _("Part of"),
}


def field_label(name: str) -> str:
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    for model in (Task, Project):
        fields = {field.name: field for field in model._meta.get_fields()}
        if name in fields and hasattr(fields[name], "verbose_name"):
            return capfirst(fields[name].verbose_name)
    return name


@dataclass(frozen=True)
class Change:
    """One activity row as the page shows it: names and titles, never ids."""

    created_at: Any
    actor: str
    field: str
    old: str
    new: str
    task_title: str


def activity_rows(user, project: Project, changes) -> list[Change]:
    """Return ``changes`` with every id replaced by a name or title, in three queries at most.

    What the user may not read (a task of another project, a project they cannot see) is
    named as such, not by its id.
    """
    changes = list(changes)
    user_ids, task_ids, project_ids = set(), set(), set()
    for change in changes:
        for value in (change.old_value, change.new_value):
            if value is None:
                continue
            if change.field in ("assignee", "owner"):
                user_ids.add(value)
            elif change.field in ("member", "member_role") and isinstance(value, dict):
                user_ids.add(value.get("user"))
            elif change.field == "dependency":
                task_ids.add(value)
            elif change.field == "parent":
                project_ids.add(value)
    users, tasks, projects = selectors.names_for_activity(
        user,
        project,
        user_ids={UUID(str(value)) for value in user_ids if value},
        task_ids={UUID(str(value)) for value in task_ids if value},
        project_ids={UUID(str(value)) for value in project_ids if value},
    )
    statuses = dict(TaskStatus.choices) | dict(ProjectStatus.choices)
    priorities = dict(Priority.choices)
    roles = dict(MemberRole.choices) | {selectors.OWNER_ROLE: _("Owner")}
    someone = gettext("someone no longer here")
    other_task = gettext("a task of another project")
    hidden_project = gettext("a project you cannot see")

    def by_id(names: dict, value, missing: str) -> str:
        try:
            return names.get(UUID(str(value)), missing)
        except ValueError:
            return missing

    def shown(name: str, value) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if name in ("assignee", "owner"):
            return by_id(users, value, someone)
        if name in ("member", "member_role") and isinstance(value, dict):
            role = roles.get(value.get("role"), value.get("role"))
            return f"{by_id(users, value.get('user'), someone)} ({role})"
        if name == "dependency":
            return by_id(tasks, value, other_task)
        if name == "parent":
            return by_id(projects, value, hidden_project)
        if name == "deleted_task" and isinstance(value, dict):
            return str(value.get("title", ""))
        if name == "status":
            return str(statuses.get(value, value))
        if name == "priority":
            return str(priorities.get(value, value))
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return Truncator(str(value)).chars(80)

    return [
        Change(
            created_at=change.created_at,
            actor=change.actor.full_name if change.actor else gettext("Someone"),
            field=field_label(change.field),
            old=shown(change.field, change.old_value),
            new=shown(change.field, change.new_value),
            task_title=change.task.title if change.task_id and change.task else "",
        )
        for change in changes
    ]


def stamp(task: Task) -> str:
    return task.updated_at.isoformat()


class TaskPage(LoginRequiredMixin, TemplateView):
    """One task, edited in place: its fields, what it waits on (add by title, remove), what
    waits on it, and its history in names and titles."""

    template_name = "projects/task.html"

    def load(self):
        self.task, self.level = visible_or_404(
            selectors.project_task_and_permission, self.request.user, self.kwargs["task_id"]
        )
        self.members = list(selectors.project_members(self.task.project))

    def task_form(self, data=None) -> TaskForm:
        task = self.task
        initial = {name: getattr(task, name) for name in services.TASK_FIELDS}
        initial["assignee"] = str(task.assignee_id or "")
        initial["loaded"] = stamp(task)
        return TaskForm(data, members=self.members, initial=initial)

    def get(self, request, *args, **kwargs):
        self.load()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        task = self.task
        visible = (
            selectors.tasks_visible_to(user)
            .select_related(None)
            .prefetch_related(None)
            .only("id", "title", "status", "project_id")
        )
        dependencies = list(visible.filter(dependents__task=task).order_by("created_at", "id"))
        dependents = list(visible.filter(dependencies__depends_on=task).order_by("created_at"))
        waiting = {other.pk for other in dependencies} | {task.pk}
        choices = [
            (pk, title)
            for pk, title in selectors.project_task_titles(task.project)
            if pk not in waiting
        ]
        changes = selectors.activity_for(task.project).filter(task=task)[:50]
        kwargs.setdefault("form", self.task_form())
        return super().get_context_data(
            task=task,
            project=task.project,
            can_edit=permits(self.level, Permission.EDIT),
            dependencies=dependencies,
            dependents=dependents,
            dependency_form=kwargs.pop("dependency_form", None) or DependencyForm(choices=choices),
            activity=activity_rows(user, task.project, changes),
            **kwargs,
        )

    def post(self, request, task_id):
        self.load()
        here = reverse("projects:task", args=[task_id])
        if not permits(self.level, Permission.EDIT):
            messages.error(request, _("You may view this task but not change it."))
            return HttpResponseRedirect(here)
        form = self.task_form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=422)
        if form.cleaned_data["loaded"] and form.cleaned_data["loaded"] != stamp(self.task):
            # Someone saved after this page was loaded: say so once, keep what was typed, and
            # let a second save (with the new stamp) overwrite knowingly.
            form.data = form.data.copy()
            form.data["loaded"] = stamp(self.task)
            form.add_error(
                None,
                _(
                    "Someone changed this task after you opened it. Your edits are kept below; "
                    "save again to replace their version, or reload the page to see it."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=409)
        try:
            services.task_update(actor=request.user, task=self.task, **form.changes())
        except BaseAppException as exc:
            add_service_errors(form, exc)
            if exc.details.get("blockers"):
                form.add_error("status", blockers_text(exc))
            return self.render_to_response(self.get_context_data(form=form), status=exc.status)
        messages.success(request, _("Task saved."))
        return HttpResponseRedirect(here)


class TaskDeletePage(LoginRequiredMixin, TemplateView):
    """Ask before deleting a task; the project's history keeps a row saying so."""

    template_name = "projects/task_delete.html"

    def get_context_data(self, **kwargs):
        task, level = visible_or_404(
            selectors.project_task_and_permission, self.request.user, kwargs["task_id"]
        )
        if not permits(level, Permission.EDIT):
            raise PermissionDenied
        return super().get_context_data(task=task, project=task.project, **kwargs)

    def post(self, request, task_id):
        task = visible_or_404(selectors.task_get, request.user, task_id)
        try:
            services.task_delete(actor=request.user, task=task)
        except BaseAppException as exc:
            return refused(request, exc, reverse("projects:task", args=[task_id]))
        messages.success(request, _("Task “%(title)s” deleted.") % {"title": task.title})
        return HttpResponseRedirect(board_url(task.project_id))


class TaskDependencyView(LoginRequiredMixin, View):
    """Add a dependency picked by title, or remove one; a cycle is refused and shown by
    the titles of the tasks it would close."""

    http_method_names = ["post"]

    def post(self, request, task_id):
        task = visible_or_404(selectors.task_get, request.user, task_id)
        here = reverse("projects:task", args=[task_id]) + "#dependencies"
        remove = "remove" in request.POST
        try:
            other = selectors.task_row(request.POST.get("remove" if remove else "depends_on"))
        except NotFoundError:
            messages.error(request, _("Choose a task of this project."))
            return HttpResponseRedirect(here)
        try:
            if remove:
                services.task_dependency_remove(actor=request.user, task=task, depends_on=other)
                messages.success(request, _("Dependency removed."))
            else:
                services.task_dependency_add(actor=request.user, task=task, depends_on=other)
                messages.success(request, _("Dependency added."))
        except BaseAppException as exc:
            cycle = exc.details.get("cycle")
            if not cycle:
                return refused(request, exc, here)
            titles = selectors.task_titles_in(task.project, {UUID(step) for step in cycle})
            unknown = gettext("a task of another project")
            path = " → ".join(titles.get(UUID(step), unknown) for step in cycle)
            messages.error(
                request, _("This dependency would close a cycle: %(path)s.") % {"path": path}
            )
        return HttpResponseRedirect(here)
