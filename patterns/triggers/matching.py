"""Whether an event matches a trigger, and the input it gives the run.

An event is read as a document: ``{"id", "type", "node", "actor", "created_at",
"chain_depth", "payload"}``. A filter is a list of conditions that must all hold, each
``{"path": "payload.status", "equals": value}`` or ``{"path": …, "in": [values]}``; a path
is dotted keys (``$.`` in front is accepted, as in JSONPath), a digit indexes a list, and a
path that leads nowhere makes its condition false.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from nexus_site.events.models import Event
from patterns.engine.references import (
    TRIGGER_ROOTS,
    PatternReferenceError,
    find_references,
    render_parameters,
)

MAX_CONDITIONS = 20
MAX_CHOICES = 100
PATH = re.compile(r"^(\$\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,9}$")
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
_MISSING = object()


def event_document(event: Event) -> dict[str, Any]:
    """Return ``event`` as filters and input maps read it."""
    return {
        "id": event.id,
        "type": event.type,
        "node": event.audience_node,
        "actor": str(event.actor_id) if event.actor_id else None,
        "created_at": event.created_at.isoformat(),
        "chain_depth": event.chain_depth,
        "payload": event.payload,
    }


def path_value(document: Any, path: str) -> Any:
    """Return the value at ``path`` in ``document``, or ``_MISSING``."""
    current = document
    for key in path.removeprefix("$.").split("."):
        if isinstance(current, dict) and key in current:
            current = current[key]
        elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
            current = current[int(key)]
        else:
            return _MISSING
    return current


def same(left: Any, right: Any) -> bool:
    """JSON equality: ``1 == true`` does not hold, ``1 == 1.0`` does."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    return left == right


def filter_holds(conditions: list[dict[str, Any]], document: dict[str, Any]) -> bool:
    """Whether every condition holds on ``document`` (an empty filter always holds)."""
    for condition in conditions:
        value = path_value(document, condition["path"])
        if value is _MISSING:
            return False
        if "equals" in condition and not same(value, condition["equals"]):
            return False
        if "in" in condition and not any(same(value, choice) for choice in condition["in"]):
            return False
    return True


def filter_problems(conditions: Any) -> list[str]:
    """Return what is wrong with a filter as written (empty when it is valid)."""
    if not isinstance(conditions, list):
        return [str(_("A filter is a list of conditions."))]
    if len(conditions) > MAX_CONDITIONS:
        return [str(_("At most %(count)s conditions.") % {"count": MAX_CONDITIONS})]
    problems = []
    for index, condition in enumerate(conditions, start=1):
        if not isinstance(condition, dict) or not isinstance(condition.get("path"), str):
            problems.append(str(_("Condition %(n)s needs a path.") % {"n": index}))
            continue
        if not PATH.match(condition["path"]):
            problems.append(
                str(_("Condition %(n)s: write the path as dotted names.") % {"n": index})
            )
        operators = set(condition) - {"path"}
        if operators not in ({"equals"}, {"in"}):
            problems.append(
                str(_("Condition %(n)s needs exactly one of equals or in.") % {"n": index})
            )
        elif "in" in condition and (
            not isinstance(condition["in"], list) or not 1 <= len(condition["in"]) <= MAX_CHOICES
        ):
            problems.append(
                str(
                    _("Condition %(n)s: in takes a list of 1 to %(max)s values.")
                    % {"n": index, "max": MAX_CHOICES}
                )
            )
    return problems


def input_map_problems(input_map: Any) -> list[str]:
    """Return what is wrong with an input map (its references must read the event)."""
    if not isinstance(input_map, dict):
        return [str(_("The input is a JSON object."))]
    try:
        find_references(input_map, TRIGGER_ROOTS)
    except PatternReferenceError as exc:
        return [str(exc)]
    return []


def run_input(input_map: dict[str, Any], document: dict[str, Any]) -> Any:
    """Return the run's input: ``input_map`` with ``{{ event.… }}`` filled in."""
    return render_parameters(input_map, {"event": document}, TRIGGER_ROOTS)
