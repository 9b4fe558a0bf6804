"""Forms of the pattern pages and admin: a run form generated from a pattern's input JSON Schema,
and the JSON input forms of the staff screens.

The generated form only shapes the input; ``execution_start`` validates it against the schema,
and its problems are put back on the fields they name.

People inputs: a property holding a user id or a list of them (a uuid string, or an array of
uuid strings, whose name says it holds people: ``members``, ``user``, ``assignee``, ``from`` ...)
is asked as e-mail addresses separated by commas, and the people picker
(static/js/people-picker.js) enhances the box. Each entry is resolved as the picker's own
search resolves it (accounts.people): an exact e-mail names its active owner, an id names a
person the runner may find; anything else is refused with the same words whether or not
someone has it.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.people import is_email
from projects.models import Project
from relations.access import people_reach_filter, visible_filter

JSON_TEXTAREA = forms.Textarea(attrs={"rows": 6, "dir": "ltr", "spellcheck": "false"})
SIMPLE_TYPES = {"string", "number", "integer", "boolean"}
WHOLE_INPUT = "input"
# Property names that hold people (a user id, or a list of them).
PEOPLE_NAMES = frozenset(
    {"user", "users", "member", "members", "people", "person", "assignee", "assignees"}
    | {"owner", "owners", "participants", "recipients", "reviewer", "reviewers", "from", "to"}
)
ENTRY_SEPARATORS = re.compile(r"[\s,;]+")
MAX_PEOPLE = 100
MAX_PROJECT_CHOICES = 500
REQUIRED_PROPERTY = re.compile(r"^'([^']+)' is a required property$")


class OptionalJSONField(forms.JSONField):
    """A JSON textarea that starts empty instead of showing ``null`` when it has no value.

    Required means "answer something": ``[]``, ``{}`` and ``""`` written out are answers (the
    schema decides whether they fit); only a blank box is missing.
    """

    def __init__(self, *, required: bool = True, **kwargs):
        super().__init__(required=False, **kwargs)
        self.must_answer = required

    def prepare_value(self, value):
        if value is None:
            return ""
        return super().prepare_value(value)

    def clean(self, value):
        if self.must_answer and (value is None or not str(value).strip()):
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return super().clean(value)


class LinesField(forms.CharField):
    """A list of strings written one per line; blank lines are dropped, an empty box is []."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, *, required: bool = True, **kwargs):
        super().__init__(required=False, strip=False, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class PeopleInput(forms.TextInput):
    """The people box: a text input the people picker enhances; the entries already written
    are handed to the picker as its chosen people, so a form shown again keeps them."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if "data-people-multiple" in context["widget"]["attrs"] and value:
            entries = [entry for entry in ENTRY_SEPARATORS.split(str(value)) if entry]
            context["widget"]["attrs"]["data-people-initial"] = json.dumps(
                [{"id": entry, "name": entry, "email": entry} for entry in entries]
            )
        return context


class PeopleField(forms.CharField):
    """People written as e-mail addresses (or user ids), separated by commas.

    Cleaning only splits the entries; ``PatternInputForm.clean`` resolves them all at once.
    """

    def __init__(self, *, many: bool, required: bool = True, **kwargs):
        self.many = many
        widget = PeopleInput(
            attrs={
                "dir": "ltr",
                "spellcheck": "false",
                "autocomplete": "off",
                "data-people-picker": "",
                "data-people-empty": _("No one found. Type their full e-mail address."),
                "data-people-hint": _("Type a name or an e-mail address"),
                "data-people-remove": _("Remove"),
            }
        )
        if many:
            widget.attrs["data-people-multiple"] = ""
        with contextlib.suppress(NoReverseMatch):  # without the route, addresses are typed
            widget.attrs["data-people-url"] = reverse("accounts:people")
        # A list may be empty (the schema decides); one person must be named when required.
        super().__init__(required=required and not many, widget=widget, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        entries = []
        for entry in ENTRY_SEPARATORS.split(text):
            if entry and entry.casefold() not in {known.casefold() for known in entries}:
                entries.append(entry)
        return entries

    def validate(self, value) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if not self.many and len(value) > 1:
            raise forms.ValidationError(_("Name one person only."), code="one_person")
        if len(value) > MAX_PEOPLE:
            raise forms.ValidationError(
                _("Name at most %(limit)d people.") % {"limit": MAX_PEOPLE}, code="too_many"
            )


def as_uuid(entry: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(entry)
    except ValueError:
        return None


def is_uuid_string(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and property_type(schema) == "string"
        and schema.get("format") == "uuid"
    )


def people_kind(name: str, schema: dict[str, Any]) -> str | None:
    """Return "one" or "many" when the property holds people (see the module), else None."""
    if name.casefold() not in PEOPLE_NAMES:
        return None
    if is_uuid_string(schema):
        return "one"
    if property_type(schema) == "array" and is_uuid_string(schema.get("items")):
        return "many"
    return None


def is_string_list(schema: dict[str, Any]) -> bool:
    items = schema.get("items")
    return (
        property_type(schema) == "array"
        and isinstance(items, dict)
        and property_type(items) == "string"
        and not items.get("enum")
        and not items.get("format")
    )


def property_type(schema: dict[str, Any]) -> str | None:
    """Return the one JSON type a property schema allows besides null (None if not one)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [item for item in kind if item != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    return kind if isinstance(kind, str) else None


def enum_choice(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def field_for(schema: dict[str, Any], *, required: bool, name: str = "") -> forms.Field:
    """Return the form field for one property of the input schema."""
    label = schema.get("title")
    help_text = schema.get("description", "")
    options: dict[str, Any] = {"required": required, "help_text": help_text}
    if label:
        options["label"] = label
    default = schema.get("default")
    kind = property_type(schema)
    people = people_kind(name, schema)
    if people:
        field = PeopleField(many=people == "many", **options)
        field.help_text = help_text or (
            _("E-mail addresses, separated by commas. Leave empty for nobody.")
            if people == "many"
            else _("The person's e-mail address.")
        )
        return field
    if is_string_list(schema):
        field = LinesField(**options)
        field.help_text = help_text or _("One per line.")
        if isinstance(default, list):
            field.initial = default
        return field
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

    def __init__(self, schema: dict[str, Any] | None, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
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
            self.fields[name] = field_for(
                property_schema, required=name in required, name=str(name)
            )
            if name == "project" and is_uuid_string(property_schema) and user is not None:
                self.fields[name] = self.project_field(self.fields[name], required=name in required)
            self.fields[name].label = self.fields[name].label or name.replace("_", " ").capitalize()
            self.fields[name].schema_required = name in required

    def project_field(self, field: forms.Field, *, required: bool) -> forms.ChoiceField:
        """Return a choice of the projects the runner may see, in place of a typed id."""
        projects = (
            Project.objects.filter(visible_filter(self.user, Project))
            .order_by("name", "id")
            .values_list("id", "name")[:MAX_PROJECT_CHOICES]
        )
        choices = [("", "—"), *((str(pk), name) for pk, name in projects)]
        return forms.ChoiceField(
            choices=choices,
            required=required,
            label=field.label,
            help_text=field.help_text or _("One of the projects you can see."),
        )

    @property
    def has_people(self) -> bool:
        return any(isinstance(field, PeopleField) for field in self.fields.values())

    def clean(self):
        """Resolve every people field's entries to user ids, in one query for the form."""
        cleaned = super().clean()
        people = {
            name: cleaned[name]
            for name, field in self.fields.items()
            if isinstance(field, PeopleField) and name in cleaned
        }
        entries = [entry for values in people.values() for entry in values]
        if not entries:
            return cleaned
        ids = [found for entry in entries if (found := as_uuid(entry)) is not None]
        emails = [entry for entry in entries if is_email(entry)]
        # As the picker finds people: an id among those the runner may find, an exact e-mail
        # whoever has it (accounts.people).
        wanted = Q(pk__in=ids) & people_reach_filter(self.user) if ids else Q(pk__in=[])
        for email in emails:
            wanted |= Q(email__iexact=email)
        found = list(
            get_user_model().objects.filter(wanted, is_active=True).values_list("pk", "email")
        )
        by_entry = {str(pk): str(pk) for pk, _email in found}
        by_entry |= {email.casefold(): str(pk) for pk, email in found}
        for name, values in people.items():
            resolved, missing = [], []
            for entry in values:
                key = str(as_uuid(entry)) if as_uuid(entry) is not None else entry.casefold()
                if key in by_entry:
                    if by_entry[key] not in resolved:
                        resolved.append(by_entry[key])
                else:
                    missing.append(entry)
            for entry in missing:
                # The same words whether the address exists or not: nothing leaks.
                self.add_error(
                    name,
                    _("%(entry)s: no one you can choose has this address.") % {"entry": entry},
                )
            if not missing:
                field = self.fields[name]
                cleaned[name] = resolved if field.many else (resolved[0] if resolved else None)
        return cleaned

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
            elif isinstance(field, PeopleField) and not field.many:
                if value:
                    data[name] = value
            elif isinstance(field, PeopleField | LinesField) and value == []:
                if getattr(field, "schema_required", False):
                    data[name] = []  # an empty list is an answer; the schema says if it fits
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
            if not name and (missing := REQUIRED_PROPERTY.match(message)):
                name = missing.group(1)  # "'title' is a required property" belongs to title
                message = str(forms.Field.default_error_messages["required"])
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
