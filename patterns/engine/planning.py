"""Plan a pattern run: the order of steps, which may start, which are skipped, what to undo.

Skipping rule: a pending step is skipped when ANY of its dependencies was skipped, or when
any of its dependencies is a ``condition`` step that succeeded with a false outcome. A step
that also depends on other, successful steps is still skipped; skipping therefore spreads
to every transitive dependant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from patterns.engine.definition import (
    CONDITION_STEP_TYPE,
    ON_ERROR_CONTINUE,
    PatternDefinition,
    RetryPolicy,
)
from relations.algorithms import CycleError, topological_order

StepState = Literal["pending", "running", "succeeded", "failed", "skipped", "compensated"]

PENDING = "pending"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"
COMPENSATED = "compensated"
STEP_STATES: tuple[str, ...] = (PENDING, RUNNING, SUCCEEDED, FAILED, SKIPPED, COMPENSATED)

MAX_RETRY_DELAY_SECONDS = 60 * 60


def execution_order(definition: PatternDefinition) -> list[str]:
    """Return the step ids with every step after its dependencies, ties in definition order.

    Raises ``CycleError`` (from the relations engine) naming the step ids of a cycle.
    """
    # Steps are numbered by position so topological_order breaks ties by definition order.
    position = {step.id: index for index, step in enumerate(definition.steps)}
    ids = definition.step_ids
    try:
        order = topological_order(
            {
                position[step.id]: [position[dependency] for dependency in step.depends_on]
                for step in definition.steps
            }
        )
    except CycleError as error:
        raise CycleError([ids[index] for index in error.cycle]) from None
    return [ids[index] for index in order]


def condition_outcome(output: Any) -> bool:
    """Return a condition step's verdict: a bool output, or the ``result`` of a mapping."""
    if isinstance(output, Mapping):
        return bool(output.get("result"))
    return bool(output)


def ready_steps(definition: PatternDefinition, states: Mapping[str, str]) -> list[str]:
    """Return the pending steps whose dependencies are all done, in execution order.

    A dependency is done when it succeeded, or when it failed and its ``on_error`` is
    ``continue``. A step missing from ``states`` is pending.
    """
    ready = []
    for step_id in definition.order:
        if states.get(step_id, PENDING) != PENDING:
            continue
        step = definition.step(step_id)
        if all(_is_done(definition, dependency, states) for dependency in step.depends_on):
            ready.append(step_id)
    return ready


def skipped_by_conditions(
    definition: PatternDefinition, states: Mapping[str, str], outputs: Mapping[str, Any]
) -> list[str]:
    """Return the pending steps to mark skipped, transitively, in execution order.

    ``outputs`` holds the output of finished steps by id; a condition step is read only
    once it has succeeded.
    """
    skipped = {step_id for step_id, state in states.items() if state == SKIPPED}
    newly_skipped = []
    for step_id in definition.order:
        if states.get(step_id, PENDING) != PENDING:
            continue
        step = definition.step(step_id)
        if any(
            dependency in skipped or _condition_said_no(definition, dependency, states, outputs)
            for dependency in step.depends_on
        ):
            skipped.add(step_id)
            newly_skipped.append(step_id)
    return newly_skipped


def compensation_order(
    completed_step_ids: Iterable[str], definition: PatternDefinition
) -> list[str]:
    """Return the steps to compensate: those with compensation on, latest completed first."""
    wanted = {step.id for step in definition.steps if step.compensation}
    return [step_id for step_id in reversed(list(completed_step_ids)) if step_id in wanted]


def next_retry_delay(policy: RetryPolicy, attempt: int) -> float | None:
    """Return the seconds to wait after failed ``attempt`` (1-based), None when none is left.

    Uses the policy's schedule (its last delay repeating) or ``base * factor ** (attempt-1)``,
    capped at ``MAX_RETRY_DELAY_SECONDS``.
    """
    if attempt < 1 or attempt >= policy.max_attempts:
        return None
    if policy.backoff_schedule:
        delay = policy.backoff_schedule[min(attempt, len(policy.backoff_schedule)) - 1]
    else:
        try:
            delay = policy.backoff_base * policy.backoff_factor ** (attempt - 1)
        except OverflowError:
            delay = MAX_RETRY_DELAY_SECONDS
    return float(min(delay, MAX_RETRY_DELAY_SECONDS))


def should_retry(policy: RetryPolicy, attempt: int, error_code: str) -> bool:
    """Return whether failed ``attempt`` with ``error_code`` earns another attempt."""
    return policy.is_retryable(error_code) and next_retry_delay(policy, attempt) is not None


def _is_done(definition: PatternDefinition, step_id: str, states: Mapping[str, str]) -> bool:
    """Return whether dependants of ``step_id`` may start given its state."""
    state = states.get(step_id, PENDING)
    if state == SUCCEEDED:
        return True
    return state == FAILED and definition.step(step_id).on_error == ON_ERROR_CONTINUE


def _condition_said_no(
    definition: PatternDefinition,
    step_id: str,
    states: Mapping[str, str],
    outputs: Mapping[str, Any],
) -> bool:
    """Return whether ``step_id`` is a condition that succeeded with a false outcome."""
    step = definition.step(step_id)
    return (
        step.type == CONDITION_STEP_TYPE
        and states.get(step_id) == SUCCEEDED
        and not condition_outcome(outputs.get(step_id))
    )
