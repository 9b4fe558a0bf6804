"""The trigger pages at /patterns/triggers/: my triggers, a new one, one trigger with the runs it
started, its edit form, turning it on or off, and its deletion.

Thin, like the other pattern pages: triggers are read through patterns.triggers.selectors
(another person's trigger is 404 on every page; staff reach all) and written through
patterns.triggers.services, whose refusals are shown beside the fields they name. A trigger
runs as its owner, so its form offers the owner's patterns and projects, also to staff.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from nexus_site.events.models import Event
from nexus_site.exceptions import BaseAppException, NotFoundError, ValidationError, error_text
from patterns.models import PatternTrigger, TriggerFiring, TriggerOutcome
from patterns.selectors import patterns_visible_to
from patterns.trigger_forms import MAX_SCOPE_PROJECTS, TriggerForm, event_type_choices
from patterns.triggers import selectors, services
from patterns.views import PAGE_ROUTES
from projects.selectors import projects_visible_to
from relations.access import visible_nodes
from relations.nodes import Node, parse_node
from relations.selectors import names_of

TRIGGERS_PER_PAGE = 50
FIRINGS_PER_PAGE = 30
RECENT = datetime.timedelta(hours=24)


def trigger_or_404(user, trigger_id) -> PatternTrigger:
    trigger = selectors.trigger_visible(user, trigger_id)
    if trigger is None:
        raise Http404
    return trigger


def as_node(text: str) -> Node | None:
    if not text:
        return None
    try:
        return parse_node(text)
    except ValidationError:
        return None


def scope_names(viewer, scopes: list[str]) -> dict[str, dict[str, str]]:
    """Return, per scope node, its name and page as ``viewer`` may read them (a node they may
    not see keeps its written form), in a few queries for all of them."""
    nodes = {text: node for text in set(scopes) if (node := as_node(text)) is not None}
    names = names_of(visible_nodes(viewer, nodes.values()))
    shown = {}
    for text, node in nodes.items():
        url = ""
        if node in names and node.label in PAGE_ROUTES:
            try:
                url = reverse(PAGE_ROUTES[node.label], args=[node.id])
            except NoReverseMatch:
                url = ""
        shown[text] = {"name": names.get(node, text), "url": url, "known": node in names}
    return shown


def firing_problem(firing: TriggerFiring) -> str:
    """Say why a firing started no run ('' when it started one)."""
    detail = firing.detail if isinstance(firing.detail, dict) else {}
    if firing.outcome == TriggerOutcome.RATE_LIMITED:
        return gettext("At most %(count)s runs a minute.") % {"count": detail.get("per_minute")}
    if firing.outcome == TriggerOutcome.DEPTH_LIMITED:
        return gettext("Started by a chain of %(depth)s runs, past the limit.") % {
            "depth": detail.get("depth")
        }
    error = detail.get("error")
    if not isinstance(error, dict):
        return ""
    parts = [str(error.get("message") or "")]
    for name, problems in (error.get("details") or {}).items():
        for problem in problems if isinstance(problems, list) else [problems]:
            text = problem.get("message", "") if isinstance(problem, dict) else problem
            parts.append(f"{name}: {text}")
    return " ".join(part for part in parts if part)


class TriggerListPage(LoginRequiredMixin, View):
    """My triggers, each with its scope by name and how many runs it started in a day."""

    def get(self, request):
        since = timezone.now() - RECENT
        triggers = (
            selectors.triggers_visible_to(request.user)
            .filter(owner=request.user)
            .annotate(
                recent_runs=Count(
                    "firings",
                    filter=Q(
                        firings__outcome=TriggerOutcome.STARTED, firings__created_at__gte=since
                    ),
                )
            )
            .order_by("name", "id")
        )
        page = Paginator(triggers, TRIGGERS_PER_PAGE).get_page(request.GET.get("page"))
        shown = scope_names(request.user, [trigger.scope_node for trigger in page])
        for trigger in page:
            trigger.scope_shown = shown.get(trigger.scope_node)
        return render(request, "patterns/triggers/list.html", {"triggers": page})


class TriggerFormPage(LoginRequiredMixin, View):
    """What the new and edit pages share: the form with the owner's patterns and projects."""

    template_name = "patterns/triggers/form.html"

    def choices(self, owner, trigger: PatternTrigger | None = None) -> dict[str, Any]:
        wanted = Q(is_active=True)
        if trigger is not None:
            wanted |= Q(pk=trigger.pattern_id)
        patterns = patterns_visible_to(owner).filter(wanted).order_by("name", "key")[:500]
        projects = projects_visible_to(owner).order_by("name", "id")[:MAX_SCOPE_PROJECTS]
        return {"patterns": list(patterns), "projects": list(projects)}

    def show(self, request, form: TriggerForm, trigger=None, status: int = 200):
        context = {
            "form": form,
            "trigger": trigger,
            "event_types": event_type_choices(),
        }
        return render(request, self.template_name, context, status=status)

    def refused(self, request, form: TriggerForm, exc: BaseAppException, trigger=None):
        if isinstance(exc, NotFoundError) and trigger is not None:
            raise Http404 from exc
        if isinstance(exc, ValidationError):
            form.add_service_errors(exc)
        else:
            form.add_error(None, error_text(exc))
        return self.show(request, form, trigger, status=exc.status)


class TriggerCreatePage(TriggerFormPage):
    def get(self, request):
        pattern = request.GET.get("pattern", "")
        form = TriggerForm(initial={"pattern": pattern}, **self.choices(request.user))
        return self.show(request, form)

    def post(self, request):
        form = TriggerForm(request.POST, **self.choices(request.user))
        if not form.is_valid():
            return self.show(request, form, status=422)
        try:
            trigger = services.trigger_create(
                actor=request.user, pattern=form.chosen_pattern(), **form.values()
            )
        except BaseAppException as exc:
            return self.refused(request, form, exc)
        messages.success(request, _("The trigger is saved."))
        return HttpResponseRedirect(reverse("patterns:trigger", args=[trigger.pk]))


class TriggerEditPage(TriggerFormPage):
    def get(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        choices = self.choices(trigger.owner, trigger)
        form = TriggerForm(initial=TriggerForm.initial_of(trigger, choices["projects"]), **choices)
        return self.show(request, form, trigger)

    def post(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        form = TriggerForm(request.POST, **self.choices(trigger.owner, trigger))
        if not form.is_valid():
            return self.show(request, form, trigger, status=422)
        try:
            services.trigger_update(
                actor=request.user,
                trigger=trigger,
                pattern=form.chosen_pattern(),
                **form.values(),
            )
        except BaseAppException as exc:
            return self.refused(request, form, exc, trigger)
        messages.success(request, _("The trigger is saved."))
        return HttpResponseRedirect(reverse("patterns:trigger", args=[trigger.pk]))


class TriggerDetailPage(LoginRequiredMixin, View):
    """A trigger's settings and the runs it started, newest first, a page at a time."""

    def get(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        page = Paginator(selectors.firings_of(trigger), FIRINGS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        firings = list(page)
        # The events' types, read once for the page (retention may have purged an event).
        types = dict(
            Event.objects.filter(id__in=[firing.event_id for firing in firings]).values_list(
                "id", "type"
            )
        )
        labels = dict(TriggerOutcome.choices)
        rows = [
            {
                "firing": firing,
                "event_type": types.get(firing.event_id, ""),
                "outcome_label": labels.get(firing.outcome, firing.outcome),
                "problem": firing_problem(firing),
            }
            for firing in firings
        ]
        return render(
            request,
            "patterns/triggers/detail.html",
            {
                "trigger": trigger,
                "scope": scope_names(request.user, [trigger.scope_node]).get(trigger.scope_node),
                "page": page,
                "rows": rows,
                "filter_json": json.dumps(trigger.filter, indent=2, ensure_ascii=False),
                "input_json": json.dumps(trigger.input_map, indent=2, ensure_ascii=False),
            },
        )


class TriggerActiveView(LoginRequiredMixin, View):
    """Turn a trigger on (``active=1``) or off, then back to its page."""

    http_method_names = ["post"]

    def post(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        active = request.POST.get("active") == "1"
        try:
            services.trigger_update(actor=request.user, trigger=trigger, is_active=active)
        except NotFoundError as exc:
            raise Http404 from exc
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request, _("The trigger is on.") if active else _("The trigger is off.")
            )
        return HttpResponseRedirect(reverse("patterns:trigger", args=[trigger.pk]))


class TriggerDeletePage(LoginRequiredMixin, View):
    """Ask, then delete the trigger (and the record of what it did; its runs stay)."""

    def get(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        return render(request, "patterns/triggers/delete.html", {"trigger": trigger})

    def post(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        try:
            services.trigger_delete(actor=request.user, trigger=trigger)
        except NotFoundError as exc:
            raise Http404 from exc
        messages.success(request, _("The trigger is deleted."))
        return HttpResponseRedirect(reverse("patterns:triggers"))
