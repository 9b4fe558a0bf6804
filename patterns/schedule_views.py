"""The schedule pages at /patterns/schedules/: my schedules, a new one, one schedule with the runs
it started, its edit form, pausing and resuming it, and its deletion.

Thin, like the other pattern pages: schedules are read through patterns.schedules (another
person's schedule is 404 on every page; staff reach all) and written through patterns.services,
whose refusals are shown beside the fields they name. A schedule runs as its user, so its input
form offers that user's projects and people, also to staff.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from nexus_site.exceptions import BaseAppException, error_text
from patterns import schedules, selectors, services
from patterns.forms import PatternInputForm
from patterns.models import Pattern, PatternSchedule
from patterns.schedule_forms import INPUT_PREFIX, ScheduleForm

SCHEDULES_PER_PAGE = 50
RECENT_RUNS_SHOWN = 20
MAX_PATTERN_CHOICES = 500


def schedule_or_404(user, schedule_id) -> PatternSchedule:
    schedule = schedules.schedule_visible(user, schedule_id)
    if schedule is None:
        raise Http404
    return schedule


class ScheduleListPage(LoginRequiredMixin, View):
    """My schedules, each with its timing, next and last run and the newest runs it started."""

    def get(self, request):
        mine = schedules.schedules_visible_to(request.user).filter(run_as=request.user)
        page = Paginator(mine, SCHEDULES_PER_PAGE).get_page(request.GET.get("page"))
        rows = schedules.shown_schedules(request.user, list(page))
        return render(request, "patterns/schedules/list.html", {"page": page, "rows": rows})


class ScheduleFormPage(LoginRequiredMixin, View):
    """What the new and edit pages share: the timing form and the pattern's own input form."""

    template_name = "patterns/schedules/form.html"

    def forms_for(self, request, pattern: Pattern, run_as, *, initial=None, input_initial=None):
        data = request.POST if request.method == "POST" else None
        form = ScheduleForm(data, initial=initial)
        input_form = PatternInputForm(
            pattern.input_schema, data, user=run_as, prefix=INPUT_PREFIX, initial=input_initial
        )
        return form, input_form

    def show(self, request, pattern, form, input_form, schedule=None, status: int = 200):
        context = {"pattern": pattern, "form": form, "input_form": input_form}
        context["schedule"] = schedule
        return render(request, self.template_name, context, status=status)

    def save(self, request, pattern, run_as, schedule=None):
        form, input_form = self.forms_for(request, pattern, run_as)
        if not (form.is_valid() & input_form.is_valid()):
            return self.show(request, pattern, form, input_form, schedule, status=422)
        try:
            schedule = services.pattern_schedule_save(
                actor=request.user,
                pattern=pattern,
                input=input_form.input(),
                run_as=run_as,
                every_minutes=form.cleaned_data.get("every_minutes"),
                crontab=form.cleaned_data.get("crontab") or "",
                schedule=schedule,
                enabled=form.cleaned_data.get("enabled", False),
            )
        except BaseAppException as exc:
            form.add_service_errors(exc, input_form)
            return self.show(request, pattern, form, input_form, schedule, status=exc.status)
        messages.success(request, _("The schedule is saved."))
        return HttpResponseRedirect(reverse("patterns:schedule", args=[schedule.pk]))


class ScheduleCreatePage(ScheduleFormPage):
    """Choose a pattern (?pattern=key), then its input and timing."""

    def pattern_of(self, request) -> Pattern | None:
        key = request.GET.get("pattern", "")
        if not key:
            return None
        pattern = selectors.pattern_visible(request.user, key)
        if pattern is None or not pattern.is_active:
            raise Http404
        return pattern

    def get(self, request):
        pattern = self.pattern_of(request)
        if pattern is None:
            choices = (
                selectors.patterns_visible_to(request.user)
                .filter(is_active=True)
                .order_by("name", "key")[:MAX_PATTERN_CHOICES]
            )
            return render(request, "patterns/schedules/choose.html", {"patterns": choices})
        form, input_form = self.forms_for(request, pattern, request.user)
        return self.show(request, pattern, form, input_form)

    def post(self, request):
        pattern = self.pattern_of(request)
        if pattern is None:
            raise Http404
        return self.save(request, pattern, request.user)


class ScheduleEditPage(ScheduleFormPage):
    def get(self, request, schedule_id):
        schedule = schedule_or_404(request.user, schedule_id)
        pattern = schedule.pattern
        form, input_form = self.forms_for(
            request,
            pattern,
            schedule.run_as,
            initial=ScheduleForm.initial_of(
                schedules.timing_of(schedule), schedules.is_enabled(schedule)
            ),
            input_initial=input_initial_of(pattern, schedule.input),
        )
        return self.show(request, pattern, form, input_form, schedule)

    def post(self, request, schedule_id):
        schedule = schedule_or_404(request.user, schedule_id)
        return self.save(request, schedule.pattern, schedule.run_as, schedule)


def input_initial_of(pattern: Pattern, value) -> dict:
    """Return a schedule's input as the initial values of the pattern's input form."""
    form = PatternInputForm(pattern.input_schema)
    if form.whole_input:
        return {"input": value}
    return value if isinstance(value, dict) else {}


class ScheduleDetailPage(LoginRequiredMixin, View):
    """A schedule's timing, input, next and last run, and the newest runs it started."""

    def get(self, request, schedule_id):
        schedule = schedule_or_404(request.user, schedule_id)
        row = schedules.shown_schedules(request.user, [schedule], limit=RECENT_RUNS_SHOWN)[0]
        input_json = json.dumps(schedule.input, indent=2, ensure_ascii=False)
        return render(
            request, "patterns/schedules/detail.html", {"row": row, "input_json": input_json}
        )


class ScheduleEnabledView(LoginRequiredMixin, View):
    """Pause (``enabled=0``) or resume a schedule, then back to where the button was."""

    http_method_names = ["post"]

    def post(self, request, schedule_id):
        schedule = schedule_or_404(request.user, schedule_id)
        enabled = request.POST.get("enabled") == "1"
        try:
            services.pattern_schedule_pause(actor=request.user, schedule=schedule, enabled=enabled)
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                _("The schedule runs again.") if enabled else _("The schedule is paused."),
            )
        if request.POST.get("next") == "list":
            return HttpResponseRedirect(reverse("patterns:schedules"))
        return HttpResponseRedirect(reverse("patterns:schedule", args=[schedule.pk]))


class ScheduleDeletePage(LoginRequiredMixin, View):
    """Ask, then delete the schedule; the runs it started stay."""

    def get(self, request, schedule_id):
        schedule = schedule_or_404(request.user, schedule_id)
        return render(request, "patterns/schedules/delete.html", {"schedule": schedule})

    def post(self, request, schedule_id):
        schedule = schedule_or_404(request.user, schedule_id)
        try:
            services.pattern_schedule_delete(actor=request.user, schedule=schedule)
        except BaseAppException as exc:
            messages.error(request, error_text(exc))
            return HttpResponseRedirect(reverse("patterns:schedule", args=[schedule.pk]))
        messages.success(request, _("The schedule is deleted."))
        return HttpResponseRedirect(reverse("patterns:schedules"))
