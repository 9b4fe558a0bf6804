"""The executor: order, branches, references, retries, timeouts, compensation, cancel, pinning."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from nexus_site.events.models import Event
from nexus_site.events.selectors import events_visible_to
from patterns import executor
from patterns.models import Execution, ExecutionStatus, StepRun, StepStatus
from patterns.services import (
    execution_cancel,
    execution_start,
    pattern_version_publish,
)
from patterns.tests.conftest import FAIL, FLAKY, RECORD, SLOW, labels
from patterns.tests.factories import make_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_steps")]


def record(step_id: str, *, depends_on=(), compensation=False, **extra) -> dict:
    return {
        "id": step_id,
        "type": RECORD,
        "parameters": {"label": step_id},
        "depends_on": list(depends_on),
        "compensation": compensation,
        **extra,
    }


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """Start an execution and let the after-commit enqueue run it (Celery is eager)."""

    def start(pattern, actor, input=None, **options) -> Execution:
        with django_capture_on_commit_callbacks(execute=True):
            execution, _created = execution_start(
                actor=actor, pattern=pattern, input=input or {}, **options
            )
        execution.refresh_from_db()
        return execution

    return start


def step_states(execution: Execution) -> dict[str, str]:
    return dict(execution.steps.values_list("step_id", "status"))


def finish_order(execution: Execution) -> list[str]:
    return list(
        execution.steps.exclude(finished_seq=None)
        .order_by("finished_seq")
        .values_list("step_id", flat=True)
    )


# --- order and branches ---------------------------------------------------------------------


def test_steps_run_after_their_dependencies(user, start):
    pattern = make_pattern(
        user,
        steps=[
            record("last", depends_on=["middle"]),
            record("middle", depends_on=["first"]),
            record("first"),
        ],
    )

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert finish_order(execution) == ["first", "middle", "last"]
    assert labels("test_done") == ["first", "middle", "last"]


def test_a_join_waits_for_every_branch(user, start):
    pattern = make_pattern(
        user,
        steps=[
            record("root"),
            record("left", depends_on=["root"]),
            record("right", depends_on=["root"]),
            record("join", depends_on=["left", "right"]),
        ],
    )

    execution = start(pattern, user)

    order = finish_order(execution)
    assert order[0] == "root"
    assert order[-1] == "join"
    assert set(order[1:3]) == {"left", "right"}


def test_a_waiting_branch_does_not_hold_up_the_other(user, start):
    pattern = make_pattern(
        user,
        steps=[
            record("root"),
            {"id": "pause", "type": "wait", "parameters": {"seconds": 0.3}, "depends_on": ["root"]},
            record("quick", depends_on=["root"]),
            record("join", depends_on=["pause", "quick"]),
        ],
    )

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert finish_order(execution) == ["root", "quick", "pause", "join"]


def test_outputs_flow_into_later_parameters_keeping_their_type(user, start):
    pattern = make_pattern(
        user,
        input_schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        steps=[
            {"id": "first", "type": RECORD, "parameters": {"label": "a", "value": "{{ input.n }}"}},
            {
                "id": "second",
                "type": RECORD,
                "depends_on": ["first"],
                "parameters": {
                    "label": "n is {{ steps.first.output.value }}",
                    "value": "{{ steps.first.output.value }}",
                },
            },
        ],
    )

    execution = start(pattern, user, {"n": 7})

    second = execution.steps.get(step_id="second")
    assert second.parameters == {"label": "n is 7", "value": 7}
    assert second.output["value"] == 7


def test_a_false_condition_skips_its_dependants_only(user, start):
    pattern = make_pattern(
        user,
        steps=[
            {"id": "gate", "type": "condition", "parameters": {"value": False}},
            record("gated", depends_on=["gate"]),
            record("after_gated", depends_on=["gated"]),
            record("free"),
        ],
    )

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert step_states(execution) == {
        "gate": StepStatus.SUCCEEDED,
        "gated": StepStatus.SKIPPED,
        "after_gated": StepStatus.SKIPPED,
        "free": StepStatus.SUCCEEDED,
    }
    assert labels("test_done") == ["free"]


# --- retries and timeouts -------------------------------------------------------------------


def test_a_retryable_error_is_retried_with_exponential_backoff(user):
    pattern = make_pattern(
        user,
        steps=[
            {
                "id": "flaky",
                "type": FLAKY,
                "parameters": {"fail_times": 2},
                "retry": {"max_attempts": 3, "backoff": {"base": 0.01, "factor": 3}},
            }
        ],
    )
    execution, _ = execution_start(actor=user, pattern=pattern, input={})

    executor.execution_run(execution.pk)

    execution.refresh_from_db()
    run = execution.steps.get()
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert run.attempts == 3
    assert [failure["attempt"] for failure in run.failures] == [1, 2]
    retries = Event.objects.filter(type="step_failed", payload__will_retry=True).order_by("id")
    assert [event.payload["retry_in_seconds"] for event in retries] == [0.01, pytest.approx(0.03)]


def test_an_error_outside_retryable_errors_fails_at_once(user, start):
    pattern = make_pattern(
        user,
        steps=[
            {
                "id": "flaky",
                "type": FLAKY,
                "parameters": {"fail_times": 1, "code": "fatal"},
                "retry": {"max_attempts": 5, "backoff": [0.01], "retryable_errors": ["flaky"]},
            }
        ],
    )

    execution = start(pattern, user)

    run = execution.steps.get()
    assert execution.status == ExecutionStatus.FAILED
    assert run.attempts == 1
    assert execution.error == {"step": "flaky", "code": "fatal", "message": "not yet"}


def test_attempts_stop_at_max_attempts(user, start):
    pattern = make_pattern(
        user,
        steps=[
            {
                "id": "flaky",
                "type": FLAKY,
                "parameters": {"fail_times": 10},
                "retry": {"max_attempts": 3, "backoff": [0.01]},
            }
        ],
    )

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.FAILED
    assert execution.steps.get().attempts == 3
    assert Event.objects.filter(type="test_attempt").count() == 0  # each attempt rolled back


def test_a_long_backoff_gives_the_worker_back_and_resumes_later(user, settings):
    settings.PATTERNS_INLINE_WAIT_SECONDS = 0.01
    pattern = make_pattern(
        user,
        steps=[
            {
                "id": "flaky",
                "type": FLAKY,
                "parameters": {"fail_times": 1},
                "retry": {"max_attempts": 2, "backoff": [30]},
            }
        ],
    )
    execution, _ = execution_start(actor=user, pattern=pattern, input={})
    from nexus_site.celery import app

    app.conf.task_always_eager = False  # a deferral must not run again in-process
    try:
        executor.execution_run(execution.pk)
    finally:
        app.conf.task_always_eager = True

    execution.refresh_from_db()
    run = execution.steps.get()
    assert execution.status == ExecutionStatus.RUNNING
    assert execution.lease_owner == ""
    assert run.status == StepStatus.PENDING
    assert run.attempts == 1
    assert execution.resume_at == run.next_attempt_at
    assert run.next_attempt_at > timezone.now() + datetime.timedelta(seconds=25)


def test_a_step_past_its_timeout_fails_and_keeps_nothing(user, start):
    pattern = make_pattern(
        user,
        steps=[{"id": "slow", "type": SLOW, "parameters": {"seconds": 3}, "timeout_seconds": 1}],
    )

    execution = start(pattern, user)

    run = execution.steps.get()
    assert execution.status == ExecutionStatus.FAILED
    assert run.error["code"] == "timeout"
    assert not Event.objects.filter(type="test_slow_started").exists()


# --- failure handling and compensation ----------------------------------------------------


def test_compensation_undoes_finished_steps_newest_first(user, start):
    pattern = make_pattern(
        user,
        steps=[
            record("a", compensation=True),
            record("b", depends_on=["a"], compensation=True),
            record("c", depends_on=["b"], compensation=False),
            record("d", depends_on=["c"], compensation=True),
            {"id": "boom", "type": FAIL, "depends_on": ["d"], "on_error": "compensate"},
        ],
    )

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.COMPENSATED
    assert labels("test_undone") == ["d", "b", "a"]
    assert step_states(execution) == {
        "a": StepStatus.COMPENSATED,
        "b": StepStatus.COMPENSATED,
        "c": StepStatus.SUCCEEDED,
        "d": StepStatus.COMPENSATED,
        "boom": StepStatus.FAILED,
    }
    assert Event.objects.filter(type="step_compensated").count() == 3
    assert Event.objects.filter(type="pattern_compensated").count() == 1


def test_on_error_fail_fails_without_undoing(user, start):
    pattern = make_pattern(
        user,
        steps=[
            record("a", compensation=True),
            {"id": "boom", "type": FAIL, "depends_on": ["a"]},
            record("never", depends_on=["boom"]),
        ],
    )

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.FAILED
    assert labels("test_undone") == []
    assert step_states(execution)["never"] == StepStatus.SKIPPED
    assert Event.objects.filter(type="pattern_failed").count() == 1


def test_on_error_continue_lets_dependants_run(user, start):
    pattern = make_pattern(
        user,
        steps=[
            {"id": "optional", "type": FAIL, "on_error": "continue"},
            record("after", depends_on=["optional"]),
        ],
    )

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert step_states(execution) == {"optional": StepStatus.FAILED, "after": StepStatus.SUCCEEDED}


def test_a_failed_step_keeps_none_of_its_own_writes(user, start):
    pattern = make_pattern(user, steps=[{"id": "boom", "type": FAIL}])

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.FAILED
    assert not Event.objects.filter(type="test_failing").exists()
    assert Event.objects.filter(type="step_failed", payload__step="boom").count() == 1


# --- cancel -------------------------------------------------------------------------------


def test_cancelling_a_pending_run_ends_it_cancelled(user, django_capture_on_commit_callbacks):
    pattern = make_pattern(user, steps=[record("a")])
    execution, _ = execution_start(actor=user, pattern=pattern, input={})  # not run yet

    with django_capture_on_commit_callbacks(execute=True):
        execution_cancel(actor=user, execution=execution)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED
    assert labels("test_done") == []
    assert Event.objects.filter(type="pattern_cancelled").count() == 1


def test_cancel_stops_scheduling_and_compensates(user, start):
    pattern = make_pattern(
        user,
        steps=[
            record("a", compensation=True),
            record("cancel_here", depends_on=["a"]),
            record("c", depends_on=["cancel_here"], compensation=True),
        ],
    )
    execution, _ = execution_start(actor=user, pattern=pattern, input={})
    real_run = executor.Runner._run_step

    def cancel_after_second_step(runner, step, outputs):
        outcome = real_run(runner, step, outputs)
        if step.id == "cancel_here":
            Execution.objects.filter(pk=runner.execution.pk).update(cancel_requested=True)
        return outcome

    executor.Runner._run_step = cancel_after_second_step
    try:
        executor.execution_run(execution.pk)
    finally:
        executor.Runner._run_step = real_run

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED
    assert labels("test_done") == ["a", "cancel_here"]
    assert labels("test_undone") == ["a"]
    assert step_states(execution)["c"] == StepStatus.SKIPPED


def test_a_finished_run_cannot_be_cancelled(user, start):
    from nexus_site.exceptions import ConflictError

    execution = start(make_pattern(user), user)

    with pytest.raises(ConflictError):
        execution_cancel(actor=user, execution=execution)


# --- idempotency, pinning, leases -----------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_execution(user, other_user):
    pattern = make_pattern(user)
    from patterns.models import PatternKind

    shared = make_pattern(None, kind=PatternKind.SYSTEM)

    first, created_first = execution_start(
        actor=user, pattern=pattern, input={}, idempotency_key="k1"
    )
    again, created_again = execution_start(
        actor=user, pattern=pattern, input={}, idempotency_key="k1"
    )
    other, _ = execution_start(actor=user, pattern=pattern, input={}, idempotency_key="k2")
    mine, _ = execution_start(actor=user, pattern=shared, input={}, idempotency_key="k1")
    theirs, _ = execution_start(actor=other_user, pattern=shared, input={}, idempotency_key="k1")

    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert len({first.pk, other.pk, mine.pk, theirs.pk}) == 4


def test_a_run_keeps_the_version_it_started_with(user, start):
    pattern = make_pattern(user, steps=[record("old")])
    execution, _ = execution_start(actor=user, pattern=pattern, input={})

    pattern_version_publish(actor=user, pattern=pattern, definition={"steps": [record("new")]})
    executor.execution_run(execution.pk)
    later = start(pattern, user)

    execution.refresh_from_db()
    assert execution.version.number == 1
    assert step_states(execution) == {"old": StepStatus.SUCCEEDED}
    assert later.version.number == 2
    assert step_states(later) == {"new": StepStatus.SUCCEEDED}


def test_a_live_lease_keeps_other_workers_out(user):
    pattern = make_pattern(user, steps=[record("a")])
    execution, _ = execution_start(actor=user, pattern=pattern, input={})

    assert executor.acquire(execution.pk, "worker-1") is not None
    assert executor.acquire(execution.pk, "worker-2") is None
    Execution.objects.filter(pk=execution.pk).update(
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert executor.acquire(execution.pk, "worker-2") is not None


def test_a_resumed_run_never_repeats_a_committed_step(user):
    pattern = make_pattern(user, steps=[record("a"), record("b", depends_on=["a"])])
    execution, _ = execution_start(actor=user, pattern=pattern, input={})
    taken = executor.acquire(execution.pk, "dead-worker")
    runner = executor.Runner(taken, owner="dead-worker")
    runner.runs = {run.step_id: run for run in taken.steps.all()}
    runner._run_step(runner.definition.step("a"), {})  # the worker dies right after step a
    Execution.objects.filter(pk=execution.pk).update(
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert execution.pk in executor.executions_to_reclaim()
    executor.execution_run(execution.pk, owner="new-worker")

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert labels("test_done") == ["a", "b"]
    assert execution.steps.get(step_id="a").attempts == 1


def test_runs_with_live_workers_are_not_reclaimed(user):
    pattern = make_pattern(user, steps=[record("a")])
    execution, _ = execution_start(actor=user, pattern=pattern, input={})
    executor.acquire(execution.pk, "alive")

    assert execution.pk not in executor.executions_to_reclaim()


# --- events ---------------------------------------------------------------------------------


def test_a_run_publishes_its_events_in_order_and_they_replay_from_a_cursor(user, other_user, start):
    pattern = make_pattern(user, steps=[record("a"), record("b", depends_on=["a"])])

    execution = start(pattern, user)

    events = list(events_visible_to(user, after=0, types=[], pattern=pattern.key))
    assert [event.type for event in events] == [
        "pattern_started",
        "test_done",
        "step_succeeded",
        "test_done",
        "step_succeeded",
        "pattern_executed",
    ]
    assert {event.payload["execution"] for event in events} == {str(execution.pk)}
    cursor = events[2].id
    assert [
        e.type for e in events_visible_to(user, after=cursor, types=[], pattern=pattern.key)
    ] == [
        "test_done",
        "step_succeeded",
        "pattern_executed",
    ]
    assert list(events_visible_to(other_user, after=0, types=[], pattern=pattern.key)) == []


def test_step_runs_record_timings_and_attempts(user, start):
    execution = start(make_pattern(user, steps=[record("a")]), user)

    run = StepRun.objects.get(execution=execution)
    assert run.attempts == 1
    assert run.started_at <= run.finished_at
    assert execution.started_at <= execution.finished_at


def test_compensation_leaves_a_step_without_undo_succeeded(user, start):
    pattern = make_pattern(
        user,
        steps=[
            record("a", compensation=True),
            {
                "id": "told",
                "type": "event.publish",
                "parameters": {"type": "told"},
                "depends_on": ["a"],
                "compensation": True,
            },
            {"id": "boom", "type": FAIL, "depends_on": ["told"], "on_error": "compensate"},
        ],
    )

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.COMPENSATED
    assert step_states(execution)["told"] == StepStatus.SUCCEEDED
    assert step_states(execution)["a"] == StepStatus.COMPENSATED
