"""The trigger form of the pages: it parses what was typed; patterns.triggers.services decides
the rules, and its refusals are put back beside the fields they name.

The scope is a choice of the owner's projects or, for any other object, a node written
``app_label.model:uuid`` (static/patterns/trigger-form.js suggests them by name from the graph's
search). The filter and the input map are JSON, as the API takes them.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType
from nexus_site.exceptions import BaseAppException
from patterns.forms import JSON_TEXTAREA
from patterns.models import Pattern, PatternTrigger

MAX_SCOPE_PROJECTS = 500
PROJECT_LABEL = "projects.project"
EVENT_TYPE_LIST = "trigger-event-types"
FILTER_EXAMPLE = '[{"path": "payload.status", "equals": "blocked"}]'
INPUT_EXAMPLE = '{"title": "{{ event.payload.title }}"}'


class PrettyJSONField(forms.JSONField):
    """A JSON textarea showing its value indented; a blank box is ``empty``."""

    def __init__(self, *, empty, **kwargs):
        self.empty = empty
        super().__init__(required=False, widget=JSON_TEXTAREA, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        if value is None or value == self.empty:
            return ""
        return json.dumps(value, indent=2, ensure_ascii=False)

    def clean(self, value):
        cleaned = super().clean(value)
        return self.empty if cleaned is None else cleaned

    def bound_data(self, data, initial):
        """Show a submitted box again exactly as it was typed, not re-indented."""
        if self.disabled or data is None:
            return super().bound_data(data, initial)
        return forms.fields.InvalidJSONInput(data)


def _interpolate(text, values: dict[str, Any]) -> str:
    return str(text) % values


# A translated help text with a value filled in when it is shown (in the reader's language).
interpolated = lazy(_interpolate, str)


def event_type_choices() -> list[tuple[str, str]]:
    """Return the known event types, for the event type box's suggestions."""
    return list(EventType.choices)


class TriggerForm(forms.Form):
    """A trigger as the page writes it; ``values()`` gives what the services take."""

    name = forms.CharField(label=_("Name"), max_length=120)
    pattern = forms.ChoiceField(
        label=_("Pattern"),
        help_text=_("Its runs start as the trigger's owner, with their permissions."),
    )
    version = forms.IntegerField(
        label=_("Version"),
        required=False,
        min_value=1,
        help_text=_("Leave empty to run the newest version at the time of the event."),
    )
    event_type = forms.CharField(
        label=_("Event type"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"list": EVENT_TYPE_LIST, "dir": "ltr", "autocomplete": "off"}
        ),
        help_text=_("Choose one from the list, or type your own such as custom.invoice_paid."),
    )
    scope_project = forms.ChoiceField(
        label=_("Scope"),
        required=False,
        help_text=_("Only events about this project."),
    )
    scope_other = forms.CharField(
        label=_("Or another object"),
        required=False,
        max_length=128,
        widget=forms.TextInput(
            attrs={
                "dir": "ltr",
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "projects.task:…",
                "list": "trigger-scope-suggestions",
            }
        ),
        help_text=_("Type a name to find a task, document or room you can see."),
    )
    with_descendants = forms.BooleanField(
        label=_("And everything under it"), required=False, initial=True
    )
    filter = PrettyJSONField(
        label=_("Filter (JSON)"),
        empty=[],
        help_text=interpolated(
            _(
                "Conditions on the event, all of which must hold, e.g. %(example)s. "
                "Use equals or in (a list of values). Leave empty to take every event."
            ),
            {"example": FILTER_EXAMPLE},
        ),
    )
    input_map = PrettyJSONField(
        label=_("Input (JSON)"),
        empty={},
        help_text=interpolated(
            _(
                "The run's input. {{ event.payload.… }} is replaced by the event's value, "
                "e.g. %(example)s."
            ),
            {"example": INPUT_EXAMPLE},
        ),
    )
    rate_per_minute = forms.IntegerField(
        label=_("Runs per minute"),
        required=False,
        min_value=1,
        help_text=_("At most this many runs a minute; leave empty for the site's limit."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, patterns=(), projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.patterns = {pattern.key: pattern for pattern in patterns}
        self.fields["pattern"].choices = [
            ("", "—"),
            *((pattern.key, f"{pattern.name} ({pattern.key})") for pattern in patterns),
        ]
        self.fields["scope_project"].choices = [
            ("", _("Everything I may see")),
            *((f"{PROJECT_LABEL}:{project.pk}", project.name) for project in projects),
        ]

    @classmethod
    def initial_of(cls, trigger: PatternTrigger, projects=()) -> dict[str, Any]:
        """Return the form's initial values for an existing trigger."""
        project_nodes = {f"{PROJECT_LABEL}:{project.pk}" for project in projects}
        scope = trigger.scope_node
        in_list = scope in project_nodes
        return {
            "name": trigger.name,
            "pattern": trigger.pattern.key,
            "version": trigger.version,
            "event_type": trigger.event_type,
            "scope_project": scope if in_list else "",
            "scope_other": "" if in_list else scope,
            "with_descendants": trigger.with_descendants,
            "filter": trigger.filter,
            "input_map": trigger.input_map,
            "rate_per_minute": trigger.rate_per_minute,
            "is_active": trigger.is_active,
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope_project") and (cleaned.get("scope_other") or "").strip():
            self.add_error("scope_other", _("Choose a project or name another object, not both."))
        return cleaned

    @property
    def scope_field(self) -> str:
        return "scope_other" if (self.data.get("scope_other") or "").strip() else "scope_project"

    def chosen_pattern(self) -> Pattern:
        return self.patterns[self.cleaned_data["pattern"]]

    def values(self) -> dict[str, Any]:
        """Return the trigger's fields as trigger_create and trigger_update take them."""
        cleaned = self.cleaned_data
        return {
            "name": cleaned["name"],
            "version": cleaned.get("version"),
            "event_type": cleaned["event_type"].strip(),
            "scope_node": (cleaned.get("scope_other") or "").strip()
            or cleaned.get("scope_project")
            or "",
            "with_descendants": bool(cleaned.get("with_descendants")),
            "filter": cleaned["filter"],
            "input_map": cleaned["input_map"],
            "rate_per_minute": cleaned.get("rate_per_minute"),
            "is_active": bool(cleaned.get("is_active")),
        }

    def add_service_errors(self, exc: BaseAppException) -> None:
        """Put a service's refusal beside the fields it names; the rest above the form."""
        placed = False
        for name, problems in (exc.details or {}).items():
            field = self.scope_field if name == "scope_node" else name
            target = field if field in self.fields else None
            for problem in problems if isinstance(problems, list) else [problems]:
                self.add_error(target, str(problem))
                placed = True
        if not placed:
            self.add_error(None, str(exc.message))
