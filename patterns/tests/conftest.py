"""Step types that exist only in tests (they record what ran and fail or stall on demand), and
running a pattern made of given steps to its end, eagerly."""

from __future__ import annotations

import time
from typing import Any

import pytest

from nexus_site.events.models import Event
from patterns import steps
from patterns.models import Execution
from patterns.services import execution_start
from patterns.steps import StepError, StepType
from patterns.steps.context import StepContext
from patterns.tests.factories import make_pattern

RECORD = "test.record"
FLAKY = "test.flaky"
SLOW = "test.slow"
FAIL = "test.fail"


def run_record(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    event = context.publish("test_done", {"label": parameters["label"]})
    return {"label": parameters["label"], "event": event.id, "value": parameters.get("value")}


def undo_record(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    context.publish("test_undone", {"label": parameters["label"]})


def run_flaky(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    context.publish("test_attempt", {"attempt": context.attempt})
    if context.attempt <= parameters["fail_times"]:
        raise StepError("not yet", code=parameters.get("code", "flaky"))
    return {"attempt": context.attempt}


def run_slow(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    context.publish("test_slow_started", {})
    time.sleep(parameters["seconds"])
    return {"slept": parameters["seconds"]}


def run_fail(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    context.publish("test_failing", {})
    raise StepError("broken", code=parameters.get("code", "broken"))


def _schema(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


TEST_TYPES = (
    StepType(
        name=RECORD,
        schema={**_schema(label={"type": "string"}, value={}), "required": ["label"]},
        run=run_record,
        undo=undo_record,
    ),
    StepType(
        name=FLAKY,
        schema={
            **_schema(fail_times={"type": "integer"}, code={"type": "string"}),
            "required": ["fail_times"],
        },
        run=run_flaky,
    ),
    StepType(
        name=SLOW,
        schema={**_schema(seconds={"type": "number"}), "required": ["seconds"]},
        run=run_slow,
    ),
    StepType(name=FAIL, schema=_schema(code={"type": "string"}), run=run_fail),
)


@pytest.fixture
def test_steps():
    """Register the test-only step types for one test."""
    for step_type in TEST_TYPES:
        steps.register(step_type)
    yield
    for step_type in TEST_TYPES:
        steps.unregister(step_type.name)


def labels(event_type: str) -> list[str]:
    """Return the labels of the recorded test events of ``event_type``, oldest first."""
    return [
        event.payload["label"] for event in Event.objects.filter(type=event_type).order_by("id")
    ]


# A step that always fails (1 < "x" cannot be compared) and undoes the steps before it.
FAILING_STEP = {
    "id": "fail",
    "type": "condition",
    "parameters": {"left": 1, "operator": "lt", "right": "x"},
    "on_error": "compensate",
}


@pytest.fixture
def run_steps(django_capture_on_commit_callbacks):
    """Return a function running ``steps`` as ``actor`` and returning the finished execution."""

    def run(actor, steps: list[dict[str, Any]], input: Any = None) -> Execution:
        pattern = make_pattern(actor, steps=steps)
        with django_capture_on_commit_callbacks(execute=True):
            execution, _created = execution_start(actor=actor, pattern=pattern, input=input or {})
        execution.refresh_from_db()
        return execution

    return run


@pytest.fixture
def run_then_fail(run_steps):
    """Return a function running ``steps`` (compensation on) followed by a failing step."""

    def run(actor, steps: list[dict[str, Any]], input: Any = None) -> Execution:
        undone = [{**step, "compensation": True} for step in steps]
        failing = {**FAILING_STEP, "depends_on": [step["id"] for step in steps]}
        return run_steps(actor, [*undone, failing], input)

    return run


@pytest.fixture
def empty_catalogue(db):
    """Start from no patterns at all (migration 0002 installs the system patterns)."""
    from patterns.models import Pattern

    Pattern.objects.all().delete()
