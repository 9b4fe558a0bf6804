"""Serializer fields every app's API shares."""

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Deeper JSON than any real document or setting; it would exhaust the stack of the recursive
# code it reaches (json itself, when a form field carries it as text).
MAX_JSON_DEPTH = 100


def json_problem(value: Any, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Return "nul" or "depth" when JSON data holds a NUL character or nests too deep."""
    # Iterative, so that no nesting the parser accepts can exhaust the stack here.
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, str):
            if "\x00" in current:
                return "nul"
            continue
        if not isinstance(current, dict | list):
            continue
        if depth > max_depth:
            return "depth"
        items = current.items() if isinstance(current, dict) else enumerate(current)
        for key, item in items:
            stack.append((key, depth))
            stack.append((item, depth + 1))
    return None


class JSONDataField(serializers.JSONField):
    """Any JSON value that PostgreSQL's jsonb can store (no NUL character), nested at most
    ``max_depth`` deep: a 422, not a 500, for what the database or the parser would refuse."""

    default_error_messages = {"nul": _("Text may not contain NUL characters.")}
    max_depth = MAX_JSON_DEPTH

    def __init__(self, *, max_depth: int | None = None, **kwargs):
        if max_depth is not None:
            self.max_depth = max_depth
        super().__init__(**kwargs)
        self.error_messages.setdefault(
            "depth", format_lazy(_("Nested at most {max} levels deep."), max=self.max_depth)
        )

    def to_internal_value(self, data):
        try:
            value = super().to_internal_value(data)
        except RecursionError:  # a form field's JSON text nested past what json can parse
            self.fail("depth")
        problem = json_problem(value, self.max_depth)
        if problem is not None:
            self.fail(problem)
        return value


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(JSONDataField):
    """A JSON object (see ``JSONDataField``)."""

    default_error_messages = {"not_an_object": _("Must be a JSON object.")}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_an_object")
        return value
