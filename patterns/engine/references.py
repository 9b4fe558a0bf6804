"""References in step parameters: ``{{ input.user }}``, ``{{ steps.find.output.path }}``.

A reference names the pattern input (``input``, then keys) or a step's output
(``steps.<id>.output``, then keys). A key is a name or, for lists, a zero-based index.

Rendering: a string that is exactly one reference becomes the referenced value, keeping
its type. References inside longer strings are written as text: strings as they are,
anything else as JSON (``true``, ``null``, ``[1, 2]``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REFERENCE_ROOTS: tuple[str, ...] = ("input", "steps")
# A trigger's input map reads the event that fired it: ``{{ event.payload.task }}``.
TRIGGER_ROOTS: tuple[str, ...] = ("event",)

_REFERENCE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")

ParameterPath = tuple[str | int, ...]


class PatternReferenceError(Exception):
    """Base class of every problem with a parameter reference."""

    code = "reference_error"

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(message)
        self.expression = expression


class MalformedReferenceError(PatternReferenceError, ValueError):
    """Raised when a reference is not written ``input...`` or ``steps.<id>.output...``."""

    code = "malformed_reference"


class UnknownReferenceRootError(PatternReferenceError, ValueError):
    """Raised when a reference starts with something other than ``input`` or ``steps``."""

    code = "unknown_reference_root"


class UnresolvedReferenceError(PatternReferenceError, LookupError):
    """Raised when rendering meets a reference to a value the context does not hold."""

    code = "unresolved_reference"


@dataclass(frozen=True)
class Reference:
    """A parsed reference: its root, the step it reads (for ``steps``) and the keys after."""

    expression: str
    root: str
    step_id: str | None
    keys: tuple[str, ...]


@dataclass(frozen=True)
class ReferenceSite:
    """Where a reference expression was written inside the parameters."""

    path: ParameterPath
    expression: str


def parse_reference(expression: str, roots: tuple[str, ...] = REFERENCE_ROOTS) -> Reference:
    """Return the reference written in ``expression`` (the text between the braces).

    ``roots`` are the names a reference may start with; every root but ``steps`` is read
    like ``input``: the root, then keys.
    """
    text = expression.strip()
    segments = text.split(".")
    if not text or not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise MalformedReferenceError(
            expression, f"malformed reference {{{{ {text} }}}}: write dotted names"
        )
    root = segments[0]
    if root not in roots:
        raise UnknownReferenceRootError(
            expression, f"reference {{{{ {text} }}}} must start with {' or '.join(roots)}"
        )
    if root != "steps":
        return Reference(expression=text, root=root, step_id=None, keys=tuple(segments[1:]))
    if len(segments) < 3 or segments[2] != "output":
        raise MalformedReferenceError(
            expression, f"malformed reference {{{{ {text} }}}}: write steps.<id>.output"
        )
    return Reference(expression=text, root=root, step_id=segments[1], keys=tuple(segments[3:]))


def whole_reference(value: object) -> str | None:
    """Return the expression when ``value`` is a string made of exactly one reference."""
    if not isinstance(value, str):
        return None
    match = _REFERENCE.fullmatch(value)
    if match is None or "{{" in match.group(1):
        return None
    return match.group(1)


def reference_sites(value: Any, path: ParameterPath = ()) -> list[ReferenceSite]:
    """Return every reference expression in nested ``value``, depth first, with its path.

    An unclosed ``{{`` is reported as a site whose expression cannot be parsed.
    """
    sites: list[ReferenceSite] = []
    if isinstance(value, str):
        for match in _REFERENCE.finditer(value):
            sites.append(ReferenceSite(path, match.group(1)))
        if "{{" in _REFERENCE.sub("", value):
            sites.append(ReferenceSite(path, "{{"))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            sites.extend(reference_sites(item, (*path, key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            sites.extend(reference_sites(item, (*path, index)))
    return sites


def find_references(value: Any, roots: tuple[str, ...] = REFERENCE_ROOTS) -> list[Reference]:
    """Return every reference in nested ``value``; raises on a malformed one."""
    return [parse_reference(site.expression, roots) for site in reference_sites(value)]


def render_parameters(
    value: Any, context: Mapping[str, Any], roots: tuple[str, ...] = REFERENCE_ROOTS
) -> Any:
    """Return ``value`` with every reference replaced from ``context``.

    ``context`` is ``{"input": ..., "steps": {step_id: {"output": ...}}}`` (one key per root).
    """
    if isinstance(value, str):
        return _render_string(value, context, roots)
    if isinstance(value, Mapping):
        return {key: render_parameters(item, context, roots) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_parameters(item, context, roots) for item in value]
    return value


def resolve_reference(reference: Reference, context: Mapping[str, Any]) -> Any:
    """Return the value ``reference`` names in ``context``."""
    if reference.root != "steps":
        current = _lookup(context, reference.root, reference)
    else:
        steps = _lookup(context, "steps", reference)
        step = _lookup(steps, reference.step_id or "", reference)
        current = _lookup(step, "output", reference)
    for key in reference.keys:
        current = _lookup(current, key, reference)
    return current


def _render_string(text: str, context: Mapping[str, Any], roots: tuple[str, ...]) -> Any:
    """Return the value of a whole-string reference, or the text with references filled in."""
    expression = whole_reference(text)
    if expression is not None:
        return resolve_reference(parse_reference(expression, roots), context)
    if "{{" in _REFERENCE.sub("", text):
        raise MalformedReferenceError(text, f"unclosed reference in {text!r}")

    def replace(match: re.Match[str]) -> str:
        value = resolve_reference(parse_reference(match.group(1), roots), context)
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    return _REFERENCE.sub(replace, text)


def _lookup(container: Any, key: str, reference: Reference) -> Any:
    """Return ``container[key]`` (an index for lists) or raise UnresolvedReferenceError."""
    if isinstance(container, Mapping) and key in container:
        return container[key]
    if isinstance(container, list | tuple) and key.isdigit() and int(key) < len(container):
        return container[int(key)]
    raise UnresolvedReferenceError(
        reference.expression,
        f"reference {{{{ {reference.expression} }}}} has no value: {key!r} is missing",
    )
