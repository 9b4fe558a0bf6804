"""Server-rendered pattern pages: the patterns a user may run, one pattern with its steps,
statistics and a run form generated from its input schema, and an execution whose step
timeline is live over /ws/events/ (static/patterns/execution.js). Thin, like the API: they read
through patterns.selectors and write through patterns.services."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from nexus_site.events.selectors import events_visible_to
from nexus_site.exceptions import BaseAppException, ValidationError
from patterns import selectors, services
from patterns.forms import PatternInputForm, people_kind
from patterns.models import Execution, ExecutionStatus, Pattern, StepRun, StepStatus
from relations.access import (
    people_reach_filter,
    reachable_containers,
    sees_everything,
    sharing_reach,
    visible_filter,
)
from relations.registry import registry

RECENT_EXECUTIONS = 10
USER_LABEL = "accounts.user"
RUN_LABEL = "patterns.execution"  # a child run (pattern.run's output)
# Keys of inputs and step outputs that name objects, and the objects they name.
OBJECT_KEYS = {
    "project": "projects.project",
    "task": "projects.task",
    "tasks": "projects.task",
    "document": "workspace.document",
    "room": "workspace.room",
    "user": USER_LABEL,
    "users": USER_LABEL,
    "added": USER_LABEL,
    "skipped": USER_LABEL,
    "execution": RUN_LABEL,
}
# What a step type creates: the keys of its output that name the new objects.
CREATED_KEYS = {
    "project.create": ("project",),
    "task.create": ("task",),
    "task.create_many": ("tasks",),
    "document.create": ("document",),
}
# The page of each kind of object.
PAGE_ROUTES = {
    "projects.project": "projects:board",
    "projects.task": "projects:task",
    "workspace.document": "documents:editor",
    "workspace.room": "chat:room",
}
# Readable names of the output keys the step types share; other keys are shown as written.
OUTPUT_LABELS = {
    "project": _("Project"),
    "task": _("Task"),
    "tasks": _("Tasks"),
    "document": _("Document"),
    "room": _("Room"),
    "user": _("User"),
    "users": _("Users"),
    "added": _("Added"),
    "skipped": _("Skipped"),
    "count": _("Count"),
    "role": _("Role"),
    "name": _("Name"),
    "title": _("Title"),
    "version": _("Version"),
    "message": _("Message"),
}
NESTED_RUNS = 3  # pattern.run inside pattern.run: how deep "created" looks


def pattern_or_404(user, key: str) -> Pattern:
    pattern = selectors.pattern_visible(user, key)
    if pattern is None:
        raise Http404
    return pattern


def execution_or_404(user, execution_id) -> Execution:
    execution = selectors.execution_visible(user, execution_id)
    if execution is None:
        raise Http404
    return execution


def error_text(exc: BaseAppException) -> str:
    problems = []
    for value in exc.details.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                problems.append(f"{item.get('path') or ''} {item.get('message', '')}".strip())
            else:
                problems.append(str(item))
    return " ".join([str(exc.message), *problems[:5]])


class PatternListPage(LoginRequiredMixin, ListView):
    """The patterns the user may run, each with the status of the user's last run."""

    template_name = "patterns/pattern_list.html"
    context_object_name = "patterns"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        last_status = (
            Execution.objects.filter(pattern=OuterRef("pk"), started_by=user)
            .order_by("-created_at", "-id")
            .values("status")[:1]
        )
        return (
            selectors.patterns_visible_to(user)
            .annotate(last_status=Subquery(last_status))
            .order_by("key")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(status_labels=dict(ExecutionStatus.choices), **kwargs)


class PatternPage(LoginRequiredMixin, View):
    """One pattern: description, current steps, statistics, the user's runs and a run form."""

    template_name = "patterns/pattern.html"

    def get(self, request, key: str):
        pattern = pattern_or_404(request.user, key)
        return self.show(
            request, pattern, PatternInputForm(pattern.input_schema, user=request.user)
        )

    def post(self, request, key: str):
        pattern = pattern_or_404(request.user, key)
        form = PatternInputForm(pattern.input_schema, request.POST, user=request.user)
        if not form.is_valid():
            return self.show(request, pattern, form, status=422)
        try:
            execution, _created = services.execution_start(
                actor=request.user,
                pattern=pattern,
                input=form.input(),
                idempotency_key=request.POST.get("idempotency_key", "")[:200],
            )
        except ValidationError as exc:
            problems = exc.details.get("input")
            if isinstance(problems, list):
                form.add_input_problems(problems)
            else:
                form.add_error(None, error_text(exc))
            return self.show(request, pattern, form, status=422)
        except BaseAppException as exc:
            form.add_error(None, error_text(exc))
            return self.show(request, pattern, form, status=exc.status)
        return HttpResponseRedirect(reverse("patterns:execution", args=[execution.pk]))

    def show(self, request, pattern: Pattern, form: PatternInputForm, status: int = 200):
        version = selectors.versions_of(pattern).filter(number=pattern.current_version).first()
        executions = (
            selectors.executions_visible_to(request.user)
            .filter(pattern=pattern, started_by=request.user, parent_step__isnull=True)
            .order_by("-created_at", "-id")[:RECENT_EXECUTIONS]
        )
        context = {
            "pattern": pattern,
            "version": version,
            "steps": definition_steps(version.definition if version else {}),
            "stats": selectors.pattern_stats(pattern, user=request.user),
            "executions": executions,
            "form": form,
            # One key per rendered form: submitting it twice starts one run, not two.
            "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4().hex,
        }
        return render(request, self.template_name, context, status=status)


def definition_steps(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the steps of a definition as the page lists them."""
    rows = []
    for step in definition.get("steps") or []:
        rows.append(
            {
                "id": step.get("id"),
                "type": step.get("type"),
                "action": step.get("action") or "",
                "depends_on": step.get("depends_on") or [],
            }
        )
    return rows


class ExecutionPage(LoginRequiredMixin, View):
    """An execution's status and step timeline, rendered now and then kept live by the socket."""

    def get(self, request, execution_id):
        user = request.user
        execution = execution_or_404(user, execution_id)
        # The cursor is read before the rows: an event after it may repeat what the page shows
        # (harmless), but none can fall between the page and the stream.
        cursor = (
            events_visible_to(user, pattern=execution.pattern.key)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        ) or 0
        execution = execution_or_404(user, execution_id)
        steps = sorted(execution.steps.all(), key=lambda run: run.position)
        with sharing_reach():  # the objects and the people read the user's reach once
            shown = ExecutionShown(user, execution, steps)
        outputs = shown.step_outputs()
        return render(
            request,
            "patterns/execution.html",
            {
                "execution": execution,
                "pattern": execution.pattern,
                "steps": steps,
                "input_rows": shown.input_rows(),
                "step_rows": [(step, outputs.get(step.step_id, [])) for step in steps],
                "created": shown.created(),
                "cursor": cursor,
                "status_labels": {
                    "execution": dict(ExecutionStatus.choices),
                    "step": dict(StepStatus.choices),
                },
                "can_cancel": not execution.is_finished and execution.parent_step_id is None,
            },
        )


class ExecutionCancelView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, execution_id):
        execution = execution_or_404(request.user, execution_id)
        try:
            services.execution_cancel(actor=request.user, execution=execution)
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Cancelling the execution."))
        return HttpResponseRedirect(reverse("patterns:execution", args=[execution.pk]))


@dataclass(frozen=True)
class Shown:
    """One value as the execution page shows it: text, or a link to the object it names."""

    text: str
    url: str = ""
    code: bool = False  # data with no better reading, shown as compact JSON
    kind: str = ""


@dataclass(frozen=True)
class ShownRow:
    label: str
    values: list[Shown] = field(default_factory=list)


def as_object_ids(value: Any) -> list[str]:
    """Return the ids a value holds (one id or a list of them); [] for anything else."""
    values = value if isinstance(value, list) else [value]
    ids = []
    for item in values:
        try:
            ids.append(str(uuid.UUID(str(item))))
        except ValueError:
            return []
    return ids


class ExecutionShown:
    """An execution's input, step outputs and created objects, readable: labels from the input
    schema, people by name, objects as links to their pages. Every object is looked up once,
    through the viewer's access (what they may not see stays an id), one query per kind."""

    def __init__(self, user, execution: Execution, steps: list[StepRun]):
        self.user = user
        self.execution = execution
        self.steps = steps
        self.schema = execution.pattern.input_schema or {}
        self.properties = self.schema.get("properties") or {}
        self.created_refs = self.created_references()
        self.objects = self.load(self.references())

    def input_label_of(self, name: str) -> tuple[str, str | None]:
        """Return a property's label and the kind of object it names (None for plain data)."""
        schema = self.properties.get(name)
        schema = schema if isinstance(schema, dict) else {}
        label = str(schema.get("title") or name.replace("_", " ").capitalize())
        if people_kind(name, schema):
            return label, USER_LABEL
        return label, OBJECT_KEYS.get(name)

    def references(self) -> dict[str, set[str]]:
        wanted: dict[str, set[str]] = {}
        data = self.execution.input if isinstance(self.execution.input, dict) else {}
        for name, value in data.items():
            _label, kind = self.input_label_of(name)
            if kind:
                wanted.setdefault(kind, set()).update(as_object_ids(value))
        for step in self.steps:
            for key, value in (step.output if isinstance(step.output, dict) else {}).items():
                if key in OBJECT_KEYS:
                    wanted.setdefault(OBJECT_KEYS[key], set()).update(as_object_ids(value))
        for kind, object_id in self.created_refs:
            wanted.setdefault(kind, set()).add(object_id)
        return wanted

    def created_references(self) -> list[tuple[str, str]]:
        """Return (kind, id) of what the run's steps created, child runs' steps included."""
        found: list[tuple[str, str]] = []
        steps = self.steps
        for _depth in range(NESTED_RUNS):
            runs = []
            for step in steps:
                if step.status != StepStatus.SUCCEEDED or not isinstance(step.output, dict):
                    continue
                if step.type == "pattern.run":
                    runs.append(step.pk)
                for key in CREATED_KEYS.get(step.type, ()):
                    found += [(OBJECT_KEYS[key], i) for i in as_object_ids(step.output.get(key))]
            if not runs:
                break
            steps = list(
                StepRun.objects.filter(execution__parent_step__in=runs).order_by(
                    "execution__created_at", "position"
                )
            )
        return list(dict.fromkeys(found))

    def load(self, wanted: dict[str, set[str]]) -> dict[tuple[str, str], Shown]:
        """Return a Shown per object the viewer may see, one query per kind of object."""
        found: dict[tuple[str, str], Shown] = {}
        reached = None if sees_everything(self.user) else reachable_containers(self.user)
        for kind, ids in wanted.items():
            if not ids:
                continue
            if kind == USER_LABEL:
                people = get_user_model().objects.filter(people_reach_filter(self.user), pk__in=ids)
                for person in people:
                    found[(kind, str(person.pk))] = Shown(person.full_name or person.email)
                continue
            if kind == RUN_LABEL:
                runs = selectors.executions_visible_to(self.user).filter(pk__in=ids)
                for run in runs:
                    url = reverse("patterns:execution", args=[run.pk])
                    name = gettext("Run of %(name)s") % {"name": run.pattern.name}
                    found[(kind, str(run.pk))] = Shown(name, url)
                continue
            model = registry.participants.get(kind)
            if model is None:
                continue
            visible = model.objects.filter(visible_filter(self.user, model, reached=reached))
            for item in visible.filter(pk__in=ids):
                url = reverse(PAGE_ROUTES[kind], args=[item.pk]) if kind in PAGE_ROUTES else ""
                label = str(model._meta.verbose_name)
                found[(kind, str(item.pk))] = Shown(str(item), url, kind=label)
        return found

    def shown(self, value: Any, kind: str | None) -> list[Shown]:
        ids = as_object_ids(value) if kind else []
        if ids:
            return [self.objects.get((kind, i), Shown(i, code=True)) for i in ids]
        if isinstance(value, bool):
            return [Shown(gettext("Yes") if value else gettext("No"))]
        if value is None or value == []:
            return [Shown("—")]
        if isinstance(value, str | int | float):
            return [Shown(str(value))]
        if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
            return [Shown(str(item)) for item in value]
        return [Shown(json.dumps(value, ensure_ascii=False, sort_keys=True), code=True)]

    def input_rows(self) -> list[ShownRow]:
        data = self.execution.input
        if not isinstance(data, dict):
            return [ShownRow(gettext("Input"), self.shown(data, None))]
        order = [name for name in self.properties if name in data]
        order += [name for name in data if name not in self.properties]
        rows = []
        for name in order:
            label, kind = self.input_label_of(name)
            rows.append(ShownRow(label, self.shown(data[name], kind)))
        return rows

    def step_outputs(self) -> dict[str, list[ShownRow]]:
        """Return each finished step's output as rows (key, values), by step id."""
        outputs = {}
        for step in self.steps:
            output = step.output
            if output is None:
                continue
            if not isinstance(output, dict):
                outputs[step.step_id] = [ShownRow("", self.shown(output, None))]
                continue
            rows = []
            for key, value in output.items():
                if key == "steps" and step.type == "pattern.run":
                    continue  # the child run's own outputs: on its page
                label = str(OUTPUT_LABELS.get(key, key.replace("_", " ")))
                rows.append(ShownRow(label, self.shown(value, OBJECT_KEYS.get(key))))
            outputs[step.step_id] = rows
        return outputs

    def created(self) -> list[Shown]:
        """Return what the run created that still exists and the viewer may see."""
        return [self.objects[ref] for ref in self.created_refs if ref in self.objects]
