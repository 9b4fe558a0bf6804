"""Forms of the pattern pages and admin: a run form generated from a pattern's input JSON Schema,
and the JSON input forms of the staff screens.

The generated form only shapes the input; ``execution_start`` validates it against the schema,
and its problems are put back on the fields they name.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

JSON_TEXTAREA = forms.Textarea(attrs={"rows": 6, "dir": "ltr", "spellcheck": "false"})
SIMPLE_TYPES = {"string", "number", "integer", "boolean"}
WHOLE_INPUT = "input"


class OptionalJSONField(forms.JSONField):
    """A JSON textarea that starts empty instead of showing ``null`` when it has no value."""

    def prepare_value(self, value):
        if value is None:
            return ""
        return super().prepare_value(value)


def property_type(schema: dict[str, Any]) -> str | None:
    """Return the one JSON type a property schema allows besides null (None if not one)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [item for item in kind if item != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    return kind if isinstance(kind, str) else None


def enum_choice(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def field_for(schema: dict[str, Any], *, required: bool) -> forms.Field:
    """Return the form field for one property of the input schema."""
    label = schema.get("title")
    help_text = schema.get("description", "")
    options: dict[str, Any] = {"required": required, "help_text": help_text}
    if label:
        options["label"] = label
    default = schema.get("default")
    kind = property_type(schema)
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        choices = [(enum_choice(value), str(value)) for value in schema["enum"]]
        if not required:
            choices.insert(0, ("", "—"))
        field: forms.Field = forms.TypedChoiceField(
            choices=choices, coerce=json.loads, empty_value=None, **options
        )
        if default is not None:
            field.initial = enum_choice(default)
        return field
    if kind == "boolean":
        # An unticked box is an answer (false), so the box itself is never "required".
        field = forms.BooleanField(**{**options, "required": False})
        field.schema_required = required
    elif kind == "integer":
        field = forms.IntegerField(
            min_value=schema.get("minimum"), max_value=schema.get("maximum"), **options
        )
    elif kind == "number":
        field = forms.FloatField(
            min_value=schema.get("minimum"), max_value=schema.get("maximum"), **options
        )
    elif kind == "string":
        field = forms.CharField(
            max_length=schema.get("maxLength"),
            min_length=schema.get("minLength"),
            strip=False,
            **options,
        )
        if schema.get("format") == "date":
            field.widget = forms.DateInput(attrs={"type": "date"})
    else:
        field = OptionalJSONField(widget=JSON_TEXTAREA, **options)
        field.json_fallback = True
    if default is not None:
        field.initial = default
    return field


class PatternInputForm(forms.Form):
    """The run form of a pattern: one field per property of its input schema.

    A schema without properties gets one JSON textarea for the whole input.
    """

    def __init__(self, schema: dict[str, Any] | None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        schema = schema if isinstance(schema, dict) else {}
        properties = schema.get("properties")
        self.whole_input = not (isinstance(properties, dict) and properties)
        if self.whole_input:
            self.fields[WHOLE_INPUT] = forms.JSONField(
                label=_("Input (JSON)"),
                initial={},
                required=False,
                widget=JSON_TEXTAREA,
                help_text=_("The pattern's input as a JSON object."),
            )
            return
        required = set(schema.get("required") or [])
        for name, property_schema in properties.items():
            if not isinstance(property_schema, dict):
                property_schema = {}
            self.fields[name] = field_for(property_schema, required=name in required)
            self.fields[name].label = self.fields[name].label or name.replace("_", " ").capitalize()
            self.fields[name].schema_required = name in required

    def input(self) -> Any:
        """Return the input the cleaned form describes; blank optional fields are left out."""
        if self.whole_input:
            value = self.cleaned_data.get(WHOLE_INPUT)
            return {} if value is None else value
        data = {}
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if isinstance(field, forms.BooleanField):
                data[name] = bool(value)
            elif value is None or (value == "" and not getattr(field, "schema_required", False)):
                continue
            else:
                data[name] = value
        return data

    def add_input_problems(self, problems: list[dict[str, str]]) -> None:
        """Put each schema problem on the field its path names, the others on the form."""
        for problem in problems:
            path = str(problem.get("path") or "")
            name = path.split("/", 1)[0]
            message = problem.get("message", "")
            if self.whole_input or name not in self.fields:
                self.add_error(None, f"{path}: {message}" if path else message)
            else:
                self.add_error(name, message)


class JSONInputForm(forms.Form):
    """The staff run and dry-run forms: the input as JSON, and optionally a version."""

    input = forms.JSONField(
        label=_("Input (JSON)"), initial=dict, required=False, widget=JSON_TEXTAREA
    )
    version = forms.IntegerField(
        label=_("Version"),
        min_value=1,
        required=False,
        help_text=_("Leave empty to run the current version."),
    )

    def clean_input(self) -> Any:
        value = self.cleaned_data.get("input")
        return {} if value is None else value
