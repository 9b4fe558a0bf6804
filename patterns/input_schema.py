"""Checking run input against a pattern's input schema, with regexes that cannot hang a worker.

An input schema's ``pattern`` and ``patternProperties`` regexes come from whoever wrote the
pattern, and the input from whoever runs it. Python's ``re`` has no time limit, so a regex
that backtracks catastrophically (``^(a|aa)+$`` on a long non-matching string) would hold a
web or Celery worker for minutes. These two keywords run on the ``regex`` engine with a time
limit instead; a regex that runs out of time is a problem with the input, answered like any
other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import regex
from django.conf import settings
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError as SchemaValidationError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

if TYPE_CHECKING:
    from patterns.models import Pattern


def regex_timeout_seconds() -> float:
    return float(getattr(settings, "PATTERNS_INPUT_REGEX_TIMEOUT_SECONDS", 0.1))


def bounded_search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text``; TimeoutError past the time limit."""
    return regex.search(pattern, text, timeout=regex_timeout_seconds()) is not None


def too_slow(pattern: str) -> SchemaValidationError:
    return SchemaValidationError(
        _("Checking the value against the pattern %(pattern)s took too long.")
        % {"pattern": pattern}
    )


def pattern_keyword(validator, pattern: str, instance: Any, schema):
    if not validator.is_type(instance, "string"):
        return
    try:
        matched = bounded_search(pattern, instance)
    except TimeoutError:
        yield too_slow(pattern)
        return
    if not matched:
        yield SchemaValidationError(f"{instance!r} does not match {pattern!r}")


def pattern_properties_keyword(validator, patterns: dict[str, Any], instance: Any, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            try:
                matched = bounded_search(pattern, key)
            except TimeoutError:
                yield too_slow(pattern)
                return
            if matched:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


InputValidator = validators.extend(
    Draft202012Validator,
    {"pattern": pattern_keyword, "patternProperties": pattern_properties_keyword},
)


# --- references that loop -------------------------------------------------------------------
#
# A schema may refer to itself ({"properties": {"child": {"$ref": "#"}}} describes a tree): each
# turn of that loop descends into the input, so checking ends with the input. A loop that
# applies to the same value again ({"$ref": "#"}, or two $defs that refer to each other through
# allOf) never ends: the validator recurses until Python stops it. Such schemas are refused.

# Keywords that apply their subschemas to the same value (a loop through them makes no progress).
IN_PLACE = frozenset({"not", "if", "then", "else", "allOf", "anyOf", "oneOf", "dependentSchemas"})
# Keywords by the shape of their value: one subschema, a list of them, a map of them. The ones
# not in IN_PLACE apply to parts of the value, or hold definitions to refer to.
ONE_SUBSCHEMA = frozenset(
    {"not", "if", "then", "else", "additionalProperties", "items", "contains"}
    | {"propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
)
LIST_OF_SUBSCHEMAS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
MAP_OF_SUBSCHEMAS = frozenset(
    {"dependentSchemas", "properties", "patternProperties", "$defs", "definitions"}
)
REFERENCE_KEYWORDS = ("$ref", "$dynamicRef")


def subschemas_of(keyword: str, value: Any, location: str) -> Iterator[tuple[Any, str]]:
    """Yield the subschemas under ``keyword`` with their locations."""
    here = f"{location}/{keyword}"
    if keyword in ONE_SUBSCHEMA:
        yield value, here
    elif keyword in LIST_OF_SUBSCHEMAS and isinstance(value, list):
        yield from ((item, f"{here}/{index}") for index, item in enumerate(value))
    elif keyword in MAP_OF_SUBSCHEMAS and isinstance(value, dict):
        yield from ((item, f"{here}/{name}") for name, item in value.items())


def endless_reference_loop(schema: dict[str, Any]) -> str | None:
    """Return where a loop of references that never descends into the input starts, or None.

    The location is a JSON pointer into ``schema`` ("#/$defs/node"). References that do not
    resolve inside the schema are left to the caller's own check.
    """
    locations: dict[int, str] = {}
    in_place: dict[int, list[int]] = {}
    references: list[tuple[int, str, Any]] = []
    resource = DRAFT202012.create_resource(schema)
    base = resource.id() or ""
    resolver = Registry().with_resource(base, resource).resolver(base_uri=base)
    stack: list[tuple[Any, str, Any, int | None]] = [(schema, "#", resolver, None)]
    while stack:
        current, location, resolver, applied_by = stack.pop()
        if not isinstance(current, dict):
            continue
        key = id(current)
        if applied_by is not None:
            in_place.setdefault(applied_by, []).append(key)
        if key in locations:
            continue
        locations[key] = location
        if isinstance(current.get("$id"), str) and location != "#":
            resolver = resolver.in_subresource(DRAFT202012.create_resource(current))
        references += [
            (key, current[keyword], resolver)
            for keyword in REFERENCE_KEYWORDS
            if isinstance(current.get(keyword), str)
        ]
        for keyword, value in current.items():
            applies_here = key if keyword in IN_PLACE else None
            stack += [
                (item, where, resolver, applies_here)
                for item, where in subschemas_of(keyword, value, location)
            ]
    for key, reference, resolver in references:
        try:
            target = resolver.lookup(reference).contents
        except Unresolvable:
            continue
        if id(target) in locations:
            in_place.setdefault(key, []).append(id(target))
    return first_cycle(in_place, locations)


def first_cycle(edges: dict[int, list[int]], locations: dict[int, str]) -> str | None:
    """Return the location of a node on a cycle of ``edges`` (depth first, in order), or None."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for start in locations:
        if start in state:
            continue
        state[start] = 1
        path = [(start, iter(edges.get(start, ())))]
        while path:
            node, successors = path[-1]
            following = next(successors, None)
            if following is None:
                state[node] = 2
                path.pop()
            elif state.get(following) == 1:
                return locations[following]
            elif following not in state:
                state[following] = 1
                path.append((following, iter(edges.get(following, ()))))
    return None


MAX_INPUT_PROBLEMS = 50
# An input schema's references resolve inside the schema only: nothing is fetched (no
# requests to addresses a user wrote), and a reference to nowhere is refused when saved.
NO_RETRIEVAL = Registry()


def input_problems(pattern: Pattern, data: Any) -> list[dict[str, str]]:
    """Return what is wrong with ``data`` as input of ``pattern`` (empty when it fits)."""
    validator = InputValidator(pattern.input_schema or {}, registry=NO_RETRIEVAL)
    problems = []
    try:
        errors = sorted(validator.iter_errors(data), key=lambda error: list(error.path))
    except Unresolvable as exc:  # a schema saved before references were checked
        message = _("The input schema has a reference that cannot be resolved: %(error)s")
        return [{"path": "", "message": str(message % {"error": exc})}]
    except RecursionError:  # a schema saved before reference loops were refused
        message = _("The input schema refers back to itself endlessly; fix the schema.")
        return [{"path": "", "message": str(message)}]
    for error in errors:
        path = "/".join(str(part) for part in error.path)
        problems.append({"path": path, "message": error.message})
        if len(problems) >= MAX_INPUT_PROBLEMS:
            break
    return problems
