"""Fixtures of the pattern tests: run a pattern made of given steps to its end, eagerly."""

from __future__ import annotations

from typing import Any

import pytest

from patterns.models import Execution
from patterns.services import execution_start
from patterns.tests.factories import make_pattern

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
