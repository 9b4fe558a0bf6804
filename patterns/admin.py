"""Staff screens for patterns: translated names and descriptions, a definition editor that
publishes new versions, run and dry-run forms, statistics, executions with their step timeline,
and schedules kept in django-celery-beat.

Every write goes through patterns.services, so validation, versions, events and access rules
apply as they do for the API. A form rehearses its writes while it is cleaned (in a savepoint
that is rolled back), so a refusal comes back as form errors; the admin's save then writes.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from nexus_site.exceptions import BaseAppException
from patterns import selectors, services
from patterns.forms import JSONInputForm
from patterns.models import (
    FINISHED_STATUSES,
    Execution,
    ExecutionStatus,
    Pattern,
    PatternKind,
    PatternSchedule,
    PatternVersion,
    StepRun,
    StepStatus,
)

JSON_EDITOR = forms.Textarea(
    attrs={"rows": 20, "cols": 100, "dir": "ltr", "spellcheck": "false", "class": "vLargeTextField"}
)
TRANSLATED_FIELDS = ("name", "description")


class PrettyJSONField(forms.JSONField):
    """A JSON field that shows its value indented, so a definition can be read and edited."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


def problem_text(problem: dict[str, Any]) -> str:
    """Return one definition problem as the editor lists it: code, path, message."""
    path_text = problem.get("path") or "/"
    return f"[{problem.get('code', '')}] {path_text}: {problem.get('message', '')}"


def service_error_text(exc: BaseAppException) -> str:
    parts = [str(exc.message)]
    for field, problems in (exc.details or {}).items():
        for problem in problems if isinstance(problems, list) else [problems]:
            if isinstance(problem, dict):
                parts.append(f"{problem.get('path') or field}: {problem.get('message', '')}")
            else:
                parts.append(f"{field}: {problem}")
    return " ".join(parts)


def add_service_error(form: forms.Form, exc: BaseAppException, *, definition_field: str) -> None:
    """Put a service's refusal on the form: every definition problem, field details per field."""
    details = exc.details or {}
    problems = details.get("problems")
    if isinstance(problems, list):
        for problem in problems:
            form.add_error(definition_field, problem_text(problem))
        return
    placed = False
    for name, messages_ in details.items():
        target = name if name in form.fields else None
        for message in messages_ if isinstance(messages_, list) else [messages_]:
            text = message if not isinstance(message, dict) else problem_text(message)
            form.add_error(target, f"{name}: {text}" if target is None else text)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


def adopt(obj, saved) -> None:
    """Point the admin's unsaved instance at the row a service created."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj._state.db = saved._state.db


# --- patterns -----------------------------------------------------------------------------


class Rehearsal(Exception):
    """Raised to roll back writes made only to learn whether the services accept them."""


class PatternAdminForm(forms.ModelForm):
    """The pattern, its translations, and the definition editor.

    On add the definition is the first version; on change a different definition is published
    as the next version. An invalid definition lists every problem and nothing is saved.
    """

    new_definition = PrettyJSONField(
        label=_("New definition"),
        widget=JSON_EDITOR,
        required=False,
        help_text=_(
            "The steps of the pattern as JSON. Saving a changed definition publishes it as a "
            "new version; runs already started keep their version."
        ),
    )

    input_schema = PrettyJSONField(
        label=_("input schema"),
        widget=JSON_EDITOR,
        required=False,
        help_text=_("A JSON Schema for the input of a run; the run form is generated from it."),
    )

    actor = None  # the staff user, set per request by PatternAdmin.get_form

    class Meta:
        model = Pattern
        fields = ("key", "name", "description", "kind", "owner", "is_active", "input_schema")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_definition = None
        self.definition_to_publish = None
        if not self.instance._state.adding:
            version = self.instance.versions.filter(number=self.instance.current_version).first()
            if version is not None:
                self.current_definition = version.definition
                self.fields["new_definition"].initial = version.definition
        else:
            self.fields["new_definition"].required = True
            self.fields["new_definition"].label = _("Definition")
            self.fields["new_definition"].initial = {"steps": []}

    def translations(self) -> dict[str, dict[str, Any]]:
        """Return, per language, the translated fields the form holds."""
        by_language: dict[str, dict[str, Any]] = {}
        for code, _name in settings.LANGUAGES:
            for field in TRANSLATED_FIELDS:
                name = f"{field}_{code.replace('-', '_')}"
                if name in self.cleaned_data:
                    by_language.setdefault(code, {})[field] = self.cleaned_data[name] or ""
        return by_language

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        definition = cleaned.get("new_definition")
        changed = definition is not None and definition != self.current_definition
        self.definition_to_publish = definition if changed else None
        adding = self.instance._state.adding
        if adding and cleaned.get("kind") == PatternKind.USER and not cleaned.get("owner"):
            cleaned["owner"] = self.actor
        key = cleaned.get("key") if adding else self.instance.key
        if changed:
            problems = services.definition_problems(definition, pattern_key=key)
            if problems:
                for problem in problems:
                    self.add_error("new_definition", problem_text(problem.as_dict()))
                return cleaned
        # Rehearse the writes and roll them back: a refusal becomes a form error here, and
        # nothing is kept until the admin saves the whole page (PatternAdmin.save_model).
        try:
            with transaction.atomic():
                self.write()
                raise Rehearsal
        except Rehearsal:
            pass
        except BaseAppException as exc:
            add_service_error(self, exc, definition_field="new_definition")
        return cleaned

    def write(self) -> Pattern:
        """Save the form through the services; return the pattern."""
        if self.instance._state.adding:
            return self.write_new()
        return self.write_change()

    def write_new(self) -> Pattern:
        cleaned = self.cleaned_data
        kind = cleaned.get("kind") or PatternKind.USER
        texts = self.translations()
        default = texts.pop(settings.MODELTRANSLATION_DEFAULT_LANGUAGE, {})
        pattern = services.pattern_create(
            actor=cleaned.get("owner") if kind == PatternKind.USER else self.actor,
            key=cleaned.get("key") or "",
            name=default.get("name", ""),
            description=default.get("description", ""),
            kind=kind,
            input_schema=cleaned.get("input_schema"),
            is_active=cleaned.get("is_active", True),
            definition=self.definition_to_publish,
        )
        self.save_translations(pattern, texts)
        return pattern

    def write_change(self) -> Pattern:
        cleaned = self.cleaned_data
        # The stored row, not the form's instance: that one already holds the new values.
        pattern = Pattern.objects.get(pk=self.instance.pk)
        services.pattern_update(
            actor=self.actor,
            pattern=pattern,
            is_active=cleaned.get("is_active", pattern.is_active),
            input_schema=cleaned.get("input_schema") or {},
        )
        self.save_translations(pattern, self.translations())
        if self.definition_to_publish is not None:
            services.pattern_version_publish(
                actor=self.actor, pattern=pattern, definition=self.definition_to_publish
            )
        return pattern

    def save_translations(self, pattern: Pattern, texts: dict[str, dict[str, Any]]) -> None:
        """Write each language's name and description through pattern_update, in that language."""
        for code, fields in texts.items():
            changed = {
                field: value
                for field, value in fields.items()
                if (getattr(pattern, f"{field}_{code}") or "") != value
            }
            if changed:
                with translation.override(code):
                    services.pattern_update(actor=self.actor, pattern=pattern, **changed)


class VersionInline(admin.TabularInline):
    model = PatternVersion
    fields = ("number", "checksum", "author", "created_at")
    readonly_fields = fields
    ordering = ("-number",)
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Pattern)
class PatternAdmin(TranslationAdmin):
    form = PatternAdminForm
    list_display = (
        "key",
        "name",
        "kind",
        "owner",
        "is_active",
        "current_version",
        "runs",
        "success_rate",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("key", "name", "owner__email")
    list_select_related = ("owner",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "key",
                    "name",
                    "description",
                    "kind",
                    "owner",
                    "is_active",
                    "current_version",
                )
            },
        ),
        (_("Input"), {"fields": ("input_schema",)}),
        (_("Definition"), {"fields": ("new_definition",)}),
    )
    inlines = [VersionInline]
    change_form_template = "patterns/admin/pattern_change_form.html"

    def get_queryset(self, request):
        finished = Q(executions__parent_step__isnull=True, executions__status__in=FINISHED_STATUSES)
        return (
            super()
            .get_queryset(request)
            .annotate(
                run_count=Count("executions", filter=finished),
                success_count=Count(
                    "executions",
                    filter=finished & Q(executions__status=ExecutionStatus.SUCCEEDED),
                ),
            )
        )

    @admin.display(description=_("runs"), ordering="run_count")
    def runs(self, obj: Pattern) -> int:
        return obj.run_count

    @admin.display(description=_("success rate"))
    def success_rate(self, obj: Pattern) -> str:
        if not obj.run_count:
            return "—"
        return f"{100 * obj.success_count / obj.run_count:.0f}%"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("current_version",)
        return ("key", "kind", "owner", "current_version")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a fresh class per call, so per request
        return form

    def save_model(self, request, obj, form, change) -> None:
        """Write through the services what the form rehearsed while it was cleaned."""
        saved = form.write()
        if not change:
            adopt(obj, saved)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.kind != PatternKind.USER:
            return False  # system and composite patterns are deactivated, not deleted
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj: Pattern) -> None:
        services.pattern_delete(actor=request.user, pattern=obj)

    def delete_queryset(self, request, queryset) -> None:
        for pattern in queryset:
            try:
                with transaction.atomic():
                    services.pattern_delete(actor=request.user, pattern=pattern)
            except BaseAppException as exc:
                self.message_user(request, f"{pattern}: {exc.message}", messages.ERROR)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pattern = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if pattern is not None:
            extra["stats"] = selectors.pattern_stats(pattern, user=request.user)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    # --- run and dry run ------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/run/", view(self.run_view), name="patterns_pattern_run"),
            path(
                "<path:object_id>/dry-run/",
                view(self.dry_run_view),
                name="patterns_pattern_dry_run",
            ),
            *super().get_urls(),
        ]

    def action_context(self, request, object_id, title) -> tuple[Pattern, dict[str, Any]]:
        if not self.has_view_permission(request):
            raise PermissionDenied
        pattern = self.get_object(request, object_id)
        if pattern is None:
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": pattern,
            "title": title % {"key": pattern.key},
        }
        return pattern, context

    def input_form(self, request, pattern: Pattern) -> JSONInputForm:
        if request.method == "POST":
            return JSONInputForm(request.POST)
        defaults = {
            name: schema["default"]
            for name, schema in (pattern.input_schema.get("properties") or {}).items()
            if isinstance(schema, dict) and "default" in schema
        }
        return JSONInputForm(initial={"input": defaults})

    def run_view(self, request, object_id):
        """Start a run as the staff user and show it."""
        pattern, context = self.action_context(request, object_id, _("Run %(key)s"))
        form = self.input_form(request, pattern)
        if request.method == "POST" and form.is_valid():
            try:
                execution, _created = services.execution_start(
                    actor=request.user,
                    pattern=pattern,
                    input=form.cleaned_data["input"],
                    version=form.cleaned_data.get("version"),
                )
            except BaseAppException as exc:
                add_service_error(form, exc, definition_field="input")
            else:
                self.message_user(request, _("The run has started."), messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:patterns_execution_change", args=[execution.pk])
                )
        context.update(form=form, action="run", submit=_("Run"))
        return TemplateResponse(request, "patterns/admin/run.html", context)

    def dry_run_view(self, request, object_id):
        """Show what each step would do with an input; nothing is kept."""
        pattern, context = self.action_context(request, object_id, _("Dry run of %(key)s"))
        form = self.input_form(request, pattern)
        if request.method == "POST" and form.is_valid():
            try:
                report = services.pattern_dry_run(
                    actor=request.user,
                    pattern=pattern,
                    input=form.cleaned_data["input"],
                    version=form.cleaned_data.get("version"),
                )
            except BaseAppException as exc:
                add_service_error(form, exc, definition_field="input")
            else:
                report["status_label"] = ExecutionStatus(report["status"]).label
                for step in report["steps"]:
                    step["status_label"] = StepStatus(step["status"]).label
                context["report"] = report
        context.update(form=form, action="dry-run", submit=_("Dry run"))
        return TemplateResponse(request, "patterns/admin/run.html", context)


# --- executions ---------------------------------------------------------------------------


class StepRunInline(admin.TabularInline):
    """The step timeline of an execution, in definition order."""

    model = StepRun
    fields = (
        "step_id",
        "type",
        "status",
        "attempts",
        "started_at",
        "finished_at",
        "duration",
        "error",
        "failures",
        "compensated_at",
        "compensation_error",
    )
    readonly_fields = fields
    ordering = ("position",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("duration"))
    def duration(self, obj: StepRun) -> str:
        return "—" if obj.duration_ms is None else f"{obj.duration_ms:.0f} ms"


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "pattern",
        "version_number",
        "status",
        "started_by",
        "created_at",
        "duration",
    )
    list_filter = ("status", ("pattern", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=id", "pattern__key", "started_by__email")
    list_select_related = ("pattern", "version", "started_by")
    date_hierarchy = "created_at"
    fields = (
        "id",
        "pattern",
        "version_number",
        "status",
        "started_by",
        "input",
        "error",
        "cancel_requested",
        "parent_step",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
    )
    readonly_fields = fields
    inlines = [StepRunInline]
    actions = ["cancel_executions"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("version__definition")

    @admin.display(description=_("version"), ordering="version__number")
    def version_number(self, obj: Execution) -> int:
        return obj.version.number

    @admin.display(description=_("duration"))
    def duration(self, obj: Execution) -> str:
        seconds = obj.duration_seconds
        return "—" if seconds is None else f"{seconds:.2f} s"

    def has_add_permission(self, request):
        return False  # runs are started from a pattern's Run form, the pages and the API

    def has_change_permission(self, request, obj=None):
        return False  # an execution is a record

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel the selected running executions"))
    def cancel_executions(self, request, queryset):
        done = 0
        running = queryset.filter(status__in=[ExecutionStatus.PENDING, ExecutionStatus.RUNNING])
        for execution in running:
            try:
                services.execution_cancel(actor=request.user, execution=execution)
            except BaseAppException as exc:
                self.message_user(request, f"{execution.pk}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d execution is being cancelled.",
                    "%(count)d executions are being cancelled.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("None of the selected executions is running."))


# --- schedules ----------------------------------------------------------------------------


class PatternScheduleForm(forms.ModelForm):
    """A schedule and its timing, saved through pattern_schedule_save."""

    every_minutes = forms.IntegerField(
        label=_("Every N minutes"),
        min_value=1,
        required=False,
        help_text=_("Run at this interval; leave empty to use a crontab expression."),
    )
    crontab = forms.CharField(
        label=_("Crontab expression"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"dir": "ltr", "size": 30}),
        help_text=_('Five fields in UTC: minute hour day month weekday, e.g. "0 7 * * 1-5".'),
    )

    actor = None  # the staff user, set per request by PatternScheduleAdmin.get_form

    class Meta:
        model = PatternSchedule
        fields = ("pattern", "input", "run_as")
        widgets = {"input": forms.Textarea(attrs={"rows": 6, "dir": "ltr"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        task = None if self.instance._state.adding else self.instance.periodic_task
        if task is not None and task.interval is not None:
            self.fields["every_minutes"].initial = task.interval.every
        elif task is not None and task.crontab is not None:
            cron = task.crontab
            self.fields["crontab"].initial = " ".join(
                [cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week]
            )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.write()
                raise Rehearsal
        except Rehearsal:
            pass
        except BaseAppException as exc:
            details = exc.details or {}
            if "schedule" in details:
                self.add_error(None, str(exc.message))
            else:
                add_service_error(self, exc, definition_field="input")
        return cleaned

    def write(self) -> PatternSchedule:
        """Save the schedule and its periodic task through the service; return the schedule."""
        cleaned = self.cleaned_data
        return services.pattern_schedule_save(
            actor=self.actor,
            pattern=cleaned["pattern"],
            input=cleaned.get("input") or {},
            run_as=cleaned["run_as"],
            every_minutes=cleaned.get("every_minutes"),
            crontab=cleaned.get("crontab") or "",
            schedule=None if self.instance._state.adding else self.instance,
        )


@admin.register(PatternSchedule)
class PatternScheduleAdmin(admin.ModelAdmin):
    form = PatternScheduleForm
    list_display = ("pattern", "run_as", "timing", "enabled", "last_run_at", "created_at")
    list_select_related = (
        "pattern",
        "run_as",
        "periodic_task",
        "periodic_task__interval",
        "periodic_task__crontab",
    )
    readonly_fields = ("periodic_task_link",)
    fields = ("pattern", "input", "run_as", "every_minutes", "crontab", "periodic_task_link")
    autocomplete_fields = ()

    @admin.display(description=_("schedule"))
    def timing(self, obj: PatternSchedule) -> str:
        task = obj.periodic_task
        if task is None:
            return "—"
        if task.interval is not None:
            return ngettext(
                "every %(count)d minute", "every %(count)d minutes", task.interval.every
            ) % {"count": task.interval.every}
        if task.crontab is not None:
            cron = task.crontab
            return (
                f"{cron.minute} {cron.hour} {cron.day_of_month} "
                f"{cron.month_of_year} {cron.day_of_week}"
            )
        return "—"

    @admin.display(description=_("enabled"), boolean=True)
    def enabled(self, obj: PatternSchedule) -> bool:
        return bool(obj.periodic_task and obj.periodic_task.enabled)

    @admin.display(description=_("last run"))
    def last_run_at(self, obj: PatternSchedule):
        return obj.periodic_task.last_run_at if obj.periodic_task else None

    @admin.display(description=_("periodic task"))
    def periodic_task_link(self, obj: PatternSchedule) -> str:
        if obj.periodic_task_id is None:
            return "—"
        url = reverse("admin:django_celery_beat_periodictask_change", args=[obj.periodic_task_id])
        return format_html('<a href="{}">{}</a>', url, obj.periodic_task.name)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change) -> None:
        """Write through the service what the form rehearsed while it was cleaned."""
        saved = form.write()
        if not change:
            adopt(obj, saved)

    def delete_model(self, request, obj: PatternSchedule) -> None:
        services.pattern_schedule_delete(actor=request.user, schedule=obj)

    def delete_queryset(self, request, queryset) -> None:
        for schedule in queryset.select_related("pattern", "run_as", "periodic_task"):
            services.pattern_schedule_delete(actor=request.user, schedule=schedule)


# --- triggers (their screens live beside the pages' trigger modules) ----------------------

from patterns import trigger_admin  # noqa: E402, F401  (registers the trigger screens)
