"""The specification's ``error`` event: one per failed step (after its last attempt) and one
per failed or compensated run, with what failed and why; none for retried attempts, successes
or cancels."""

from __future__ import annotations

import pytest

from nexus_site.definitions.enums import EventType
from nexus_site.events.models import Event
from nexus_site.events.selectors import events_visible_to
from patterns import executor
from patterns.models import ExecutionStatus
from patterns.services import execution_start
from patterns.tests.conftest import FAIL, FLAKY, RECORD
from patterns.tests.factories import make_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_steps")]


def run(pattern, user):
    execution, _ = execution_start(actor=user, pattern=pattern, input={})
    executor.execution_run(execution.pk)
    execution.refresh_from_db()
    return execution


def errors_of(execution) -> list[dict]:
    events = Event.objects.filter(type=EventType.ERROR, payload__execution=str(execution.pk))
    return [event.payload for event in events.order_by("id")]


def test_a_failed_step_and_its_failed_run_publish_one_error_each(user):
    pattern = make_pattern(user, steps=[{"id": "boom", "type": FAIL}])

    execution = run(pattern, user)

    assert execution.status == ExecutionStatus.FAILED
    step_error, run_error = errors_of(execution)
    assert step_error["source"] == "step"
    assert (step_error["step"], step_error["step_type"], step_error["attempt"]) == ("boom", FAIL, 1)
    assert step_error["error"]["code"] == execution.error["code"]
    assert step_error["pattern"] == pattern.key
    assert run_error["source"] == "execution"
    assert (run_error["status"], run_error["step"]) == (ExecutionStatus.FAILED, "boom")
    assert run_error["error"] == execution.error


def test_attempts_that_will_be_retried_publish_no_error(user):
    pattern = make_pattern(
        user,
        steps=[
            {
                "id": "flaky",
                "type": FLAKY,
                "parameters": {"fail_times": 2},
                "retry": {"max_attempts": 3, "backoff": {"base": 0.01, "factor": 1}},
            }
        ],
    )

    execution = run(pattern, user)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert Event.objects.filter(type=EventType.STEP_FAILED).count() == 2
    assert errors_of(execution) == []


def test_a_step_that_fails_with_on_error_continue_still_publishes_its_error(user):
    pattern = make_pattern(
        user,
        steps=[
            {"id": "optional", "type": FAIL, "on_error": "continue"},
            {
                "id": "after",
                "type": RECORD,
                "parameters": {"label": "x"},
                "depends_on": ["optional"],
            },
        ],
    )

    execution = run(pattern, user)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert [error["source"] for error in errors_of(execution)] == ["step"]


def test_a_compensated_run_publishes_an_execution_error(user):
    pattern = make_pattern(
        user,
        steps=[
            {"id": "a", "type": RECORD, "parameters": {"label": "a"}, "compensation": True},
            {"id": "boom", "type": FAIL, "depends_on": ["a"], "on_error": "compensate"},
        ],
    )

    execution = run(pattern, user)

    assert execution.status == ExecutionStatus.COMPENSATED
    assert [(error["source"], error.get("status")) for error in errors_of(execution)] == [
        ("step", None),
        ("execution", ExecutionStatus.COMPENSATED),
    ]


def test_the_error_event_reaches_only_the_person_who_started_the_run(user, other_user):
    pattern = make_pattern(user, steps=[{"id": "boom", "type": FAIL}])
    run(pattern, user)

    mine = events_visible_to(user).filter(type=EventType.ERROR)
    theirs = events_visible_to(other_user).filter(type=EventType.ERROR)
    assert mine.count() == 2
    assert not theirs.exists()
