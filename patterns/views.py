"""Server-rendered pattern pages: the patterns a user may run, one pattern with its steps,
statistics and a run form generated from its input schema, and an execution whose step
timeline is live over /ws/events/ (static/patterns/execution.js). Thin, like the API: they read
through patterns.selectors and write through patterns.services."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from nexus_site.events.selectors import events_visible_to
from nexus_site.exceptions import BaseAppException, ValidationError
from patterns import selectors, services
from patterns.forms import PatternInputForm
from patterns.models import Execution, ExecutionStatus, Pattern, StepStatus

RECENT_EXECUTIONS = 10


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
        return self.show(request, pattern, PatternInputForm(pattern.input_schema))

    def post(self, request, key: str):
        pattern = pattern_or_404(request.user, key)
        form = PatternInputForm(pattern.input_schema, request.POST)
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
        return render(
            request,
            "patterns/execution.html",
            {
                "execution": execution,
                "pattern": execution.pattern,
                "steps": steps,
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
