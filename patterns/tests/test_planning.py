"""Planning a run: order, ready steps, condition skips, compensation and backoff."""

from typing import Any

import pytest

from patterns.engine.definition import PatternDefinition, RetryPolicy
from patterns.engine.planning import (
    compensation_order,
    execution_order,
    next_retry_delay,
    ready_steps,
    should_retry,
    skipped_by_conditions,
)
from relations.algorithms import CycleError


def definition(*steps: dict[str, Any]) -> PatternDefinition:
    return PatternDefinition.from_dict({"steps": list(steps)})


def step(step_id: str, *depends_on: str, **fields: Any) -> dict[str, Any]:
    return {"id": step_id, "type": "noop", "depends_on": list(depends_on), **fields}


DIAMOND = definition(
    step("start"), step("left", "start"), step("right", "start"), step("end", "left", "right")
)


def test_execution_order_puts_dependencies_first_and_keeps_definition_order():
    pattern = definition(step("z"), step("b", "z"), step("a"), step("m", "a", "b"))

    assert execution_order(pattern) == ["z", "b", "a", "m"]


def test_execution_order_names_a_cycle():
    with pytest.raises(CycleError) as error:
        execution_order(definition(step("a", "b"), step("b", "a")))

    assert error.value.cycle == ["a", "b"]


def test_only_steps_without_dependencies_are_ready_at_first():
    assert ready_steps(DIAMOND, {}) == ["start"]


def test_parallel_branches_become_ready_together():
    assert ready_steps(DIAMOND, {"start": "succeeded"}) == ["left", "right"]


def test_join_waits_for_every_branch():
    states = {"start": "succeeded", "left": "succeeded", "right": "running"}

    assert ready_steps(DIAMOND, states) == []


def test_join_is_ready_when_every_branch_succeeded():
    states = {"start": "succeeded", "left": "succeeded", "right": "succeeded"}

    assert ready_steps(DIAMOND, states) == ["end"]


def test_failed_dependency_with_continue_counts_as_done():
    pattern = definition(step("a", on_error="continue"), step("b", "a"))

    assert ready_steps(pattern, {"a": "failed"}) == ["b"]


def test_failed_dependency_without_continue_blocks():
    pattern = definition(step("a"), step("b", "a"))

    assert ready_steps(pattern, {"a": "failed"}) == []


def test_false_condition_skips_its_dependants_transitively():
    pattern = definition(
        step("check", type="condition"), step("act", "check"), step("after", "act"), step("other")
    )

    skipped = skipped_by_conditions(pattern, {"check": "succeeded"}, {"check": False})

    assert skipped == ["act", "after"]


def test_true_condition_skips_nothing():
    pattern = definition(step("check", type="condition"), step("act", "check"))

    assert skipped_by_conditions(pattern, {"check": "succeeded"}, {"check": {"result": True}}) == []


def test_step_is_skipped_when_any_dependency_was_skipped():
    pattern = definition(step("a"), step("b"), step("join", "a", "b"))

    assert skipped_by_conditions(pattern, {"a": "succeeded", "b": "skipped"}, {}) == ["join"]


def test_skipped_dependency_never_makes_a_step_ready():
    pattern = definition(step("a"), step("b", "a"))

    assert ready_steps(pattern, {"a": "skipped"}) == []


def test_compensation_runs_in_reverse_completion_order_for_compensable_steps():
    pattern = definition(
        step("a", compensation=True), step("b"), step("c", compensation=True), step("d")
    )

    assert compensation_order(["a", "c", "b", "d"], pattern) == ["c", "a"]


def test_exponential_backoff_grows_by_factor():
    policy = RetryPolicy(max_attempts=4, backoff_base=2, backoff_factor=3)

    delays = [next_retry_delay(policy, attempt) for attempt in (1, 2, 3, 4)]

    assert delays == [2.0, 6.0, 18.0, None]


def test_backoff_schedule_repeats_its_last_delay():
    policy = RetryPolicy(max_attempts=5, backoff_schedule=(1, 5))

    assert [next_retry_delay(policy, attempt) for attempt in (1, 2, 3)] == [1.0, 5.0, 5.0]


def test_backoff_is_capped():
    policy = RetryPolicy(max_attempts=100, backoff_base=10, backoff_factor=10)

    assert next_retry_delay(policy, 50) == 3600.0


def test_only_retryable_errors_are_retried():
    policy = RetryPolicy(max_attempts=3, retryable_errors=("timeout",))

    assert should_retry(policy, 1, "timeout")
    assert not should_retry(policy, 1, "bad_request")
    assert not should_retry(policy, 3, "timeout")
