"""Step types that steer a run and touch no domain: wait, condition, event.publish."""

from __future__ import annotations

import datetime
import operator
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType, Permission
from patterns.steps import StepDeferred, StepError, StepType, register
from patterns.steps.context import StepContext
from relations.access import require
from relations.nodes import parse_node

CUSTOM_PREFIX = "custom."

MAX_WAIT_SECONDS = 7 * 24 * 60 * 60

OPERATORS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda left, right: left in right,
    "not_in": lambda left, right: left not in right,
}


def run_wait(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Wait ``seconds`` without holding a worker: defer until then, then succeed."""
    seconds = float(parameters["seconds"])
    if context.dry_run or seconds <= 0:
        return {"seconds": seconds}
    until = parse_datetime(context.state["until"]) if "until" in context.state else None
    if until is None:
        until = timezone.now() + datetime.timedelta(seconds=seconds)
    if timezone.now() < until:
        raise StepDeferred(until, {"until": until.isoformat()})
    return {"seconds": seconds}


def run_condition(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"result": bool}``; a false result skips every step that depends on this one."""
    if "value" in parameters:
        return {"result": bool(parameters["value"])}
    left, right = parameters["left"], parameters.get("right")
    try:
        result = OPERATORS[parameters["operator"]](left, right)
    except TypeError as exc:
        raise StepError(
            _("These values cannot be compared: %(error)s") % {"error": exc},
            code="invalid_comparison",
        ) from exc
    return {"result": bool(result)}


def custom_event_type(name: str) -> str:
    """Return the event type a step publishes for ``name``: always in the ``custom.`` namespace,
    so no run can pass its events off as the platform's own."""
    return name if name.startswith(CUSTOM_PREFIX) else f"{CUSTOM_PREFIX}{name}"


def run_event_publish(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Publish a ``custom.*`` event, as the run's user, to the execution's audience and, if
    given, the viewers of ``node`` (which needs edit on it: posting to everyone who sees a
    project is a change to that project, not a view of it)."""
    node = parameters.get("node") or ""
    if node:
        require(context.actor, Permission.EDIT, parse_node(node, field="node"))
    event_type = custom_event_type(parameters["type"])
    event = context.publish(event_type, parameters.get("payload") or {}, node=node)
    return {"event": event.id, "type": event_type}


register(
    StepType(
        name="wait",
        description=_("Wait a number of seconds without holding a worker."),
        schema={
            "type": "object",
            "properties": {
                "seconds": {"type": "number", "minimum": 0, "maximum": MAX_WAIT_SECONDS},
            },
            "required": ["seconds"],
            "additionalProperties": False,
        },
        run=run_wait,
        changes_data=False,
    )
)

register(
    StepType(
        name="condition",
        description=_("Decide whether the steps that depend on this one run."),
        schema={
            "type": "object",
            "oneOf": [
                {"required": ["value"]},
                {"required": ["left", "operator"]},
            ],
            "properties": {
                "value": {},
                "left": {},
                "operator": {"enum": sorted(OPERATORS)},
                "right": {},
            },
            "additionalProperties": False,
        },
        run=run_condition,
        changes_data=False,
    )
)

register(
    StepType(
        name="event.publish",
        description=_(
            "Publish a custom event to the people following the run, or to the viewers of a "
            "node the run's user may edit."
        ),
        schema={
            "type": "object",
            "properties": {
                "type": {
                    "type": "string",
                    "pattern": "^(custom\\.)?[a-z][a-z0-9_.]{0,55}$",
                    "not": {"enum": list(EventType.values)},
                    "description": _(
                        "Published as custom.<type>; the platform's own event types are refused."
                    ),
                },
                "payload": {"type": "object"},
                "node": {"type": "string", "maxLength": 128},
            },
            "required": ["type"],
            "additionalProperties": False,
        },
        run=run_event_publish,
        changes_data=False,
    )
)
