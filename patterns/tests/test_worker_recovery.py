"""Crash safety: a run whose worker dies is reclaimed once its lease runs out and resumed from
its last committed step on another worker, and no step is ever applied twice."""

import datetime
import os
import signal
import subprocess
import time
import uuid

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from nexus_site.celery import app as celery_app
from nexus_site.definitions.enums import EventType
from nexus_site.events.models import Event
from nexus_site.tests.test_celery_worker import CELERY, ROOT, database_url
from patterns import executor
from patterns.models import Execution, ExecutionStatus, StepStatus
from patterns.runs import new_execution
from patterns.services import execution_start
from patterns.steps import StepError
from patterns.tasks import reclaim_executions
from patterns.tests.factories import make_pattern

LEASE_SECONDS = 3
WAIT_SECONDS = 5
DEADLINE_SECONDS = 90
POLL_SECONDS = 0.2


class WorkerKilled(BaseException):
    """Stands for SIGKILL inside one process: nothing after it runs, nothing is cleaned up."""


def recovery_steps(wait_seconds: float) -> list[dict]:
    """Publish a marker, wait, publish another: the first and last steps change data."""
    return [
        {
            "id": "mark",
            "type": "event.publish",
            "parameters": {"type": "recovery_marker"},
            "timeout_seconds": 2,  # short timeouts keep the lease short after a crash
        },
        {
            "id": "pause",
            "type": "wait",
            "parameters": {"seconds": wait_seconds},
            "depends_on": ["mark"],
            # The wait's own attempt is instant; its sleep is covered by the lease separately.
            "timeout_seconds": 1,
        },
        {
            "id": "after",
            "type": "event.publish",
            "parameters": {"type": "recovery_after"},
            "depends_on": ["pause"],
            "timeout_seconds": 2,
        },
    ]


def events_of(execution, type_: str) -> int:
    return Event.objects.filter(type=type_, payload__execution=str(execution.pk)).count()


def step(execution, step_id: str):
    return execution.steps.get(step_id=step_id)


def expire_lease(execution) -> None:
    Execution.objects.filter(pk=execution.pk).update(
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )


def kill_during_sleep(seconds: float) -> None:
    raise WorkerKilled()


# --- the lease, in one process --------------------------------------------------------------


@pytest.mark.django_db
def test_reclaim_picks_expired_leases_and_leaves_live_ones_alone(settings):
    settings.PATTERNS_LEASE_SECONDS = 60
    owner = UserFactory()
    pattern = make_pattern(owner)
    version = pattern.versions.get()
    now = timezone.now()

    def running(lease_owner: str, expires_in: float) -> Execution:
        execution = new_execution(pattern=pattern, version=version, input={}, actor=owner)
        execution.status = ExecutionStatus.RUNNING
        execution.lease_owner = lease_owner
        execution.lease_expires_at = now + datetime.timedelta(seconds=expires_in)
        execution.save()
        return execution

    expired = running("dead-worker", -1)
    live = running("live-worker", 30)
    finished = running("", -100)
    Execution.objects.filter(pk=finished.pk).update(status=ExecutionStatus.SUCCEEDED)

    reclaimable = executor.executions_to_reclaim(now=now)

    assert expired.pk in reclaimable
    assert live.pk not in reclaimable
    assert finished.pk not in reclaimable


@pytest.mark.django_db
def test_a_live_lease_keeps_a_second_worker_out(settings):
    settings.PATTERNS_INLINE_WAIT_SECONDS = 30
    owner = UserFactory()
    pattern = make_pattern(owner, steps=recovery_steps(0.2))
    execution = new_execution(
        pattern=pattern, version=pattern.versions.get(), input={}, actor=owner
    )
    with pytest.raises(WorkerKilled):
        executor.execution_run(execution.pk, owner="worker-a", sleep=kill_during_sleep)

    assert executor.execution_run(execution.pk, owner="worker-b") is None
    execution.refresh_from_db()
    assert execution.lease_owner == "worker-a"
    assert step(execution, "after").status == StepStatus.PENDING


@pytest.mark.django_db
def test_a_second_worker_resumes_after_the_last_committed_step(settings):
    settings.PATTERNS_INLINE_WAIT_SECONDS = 30
    owner = UserFactory()
    pattern = make_pattern(owner, steps=recovery_steps(0.2))
    execution = new_execution(
        pattern=pattern, version=pattern.versions.get(), input={}, actor=owner
    )
    with pytest.raises(WorkerKilled):  # worker a dies while sleeping through the wait
        executor.execution_run(execution.pk, owner="worker-a", sleep=kill_during_sleep)
    marked = step(execution, "mark")
    assert marked.status == StepStatus.SUCCEEDED
    assert step(execution, "pause").next_attempt_at is not None  # mid-wait, state committed
    expire_lease(execution)

    finished = executor.execution_run(execution.pk, owner="worker-b")

    assert finished.status == ExecutionStatus.SUCCEEDED
    again = step(execution, "mark")
    assert again.attempts == 1
    assert again.finished_at == marked.finished_at
    assert step(execution, "pause").attempts == 1
    assert step(execution, "after").attempts == 1
    assert events_of(execution, "custom.recovery_marker") == 1
    assert events_of(execution, "custom.recovery_after") == 1
    assert events_of(execution, EventType.PATTERN_STARTED) == 1


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_does_not_finish_the_run_again(settings):
    settings.PATTERNS_INLINE_WAIT_SECONDS = 30
    owner = UserFactory()
    pattern = make_pattern(owner, steps=recovery_steps(0))
    execution = new_execution(
        pattern=pattern, version=pattern.versions.get(), input={}, actor=owner
    )
    # Worker a takes the lease, then stalls (a long pause) until it has run out.
    stalled = executor.Runner(executor.acquire(execution.pk, "worker-a"), owner="worker-a")
    expire_lease(execution)
    executor.execution_run(execution.pk, owner="worker-b")

    result = stalled.run()

    assert result.status == ExecutionStatus.SUCCEEDED
    assert events_of(execution, "custom.recovery_marker") == 1
    assert events_of(execution, EventType.PATTERN_EXECUTED) == 1


@pytest.mark.django_db
def test_a_stale_workers_failed_attempt_leaves_a_step_another_worker_finished():
    owner = UserFactory()
    pattern = make_pattern(owner, steps=recovery_steps(0))
    execution = new_execution(
        pattern=pattern, version=pattern.versions.get(), input={}, actor=owner
    )
    # Worker a loads the run and starts the first step; it stalls past its lease while the
    # reclaimed run is finished by worker b; then a's attempt fails and a records it.
    stalled = executor.Runner(executor.acquire(execution.pk, "worker-a"), owner="worker-a")
    stalled.runs = {run.step_id: run for run in execution.steps.all()}
    expire_lease(execution)
    executor.execution_run(execution.pk, owner="worker-b")

    stalled._record_failure(
        stalled.definition.step("mark"),
        stalled.runs["mark"],
        1,
        StepError("lost"),
        {},
        timezone.now(),
    )

    marked = step(execution, "mark")
    assert marked.status == StepStatus.SUCCEEDED
    assert marked.failures == []
    assert events_of(execution, EventType.STEP_FAILED) == 0
    assert Execution.objects.get(pk=execution.pk).status == ExecutionStatus.SUCCEEDED


@pytest.mark.django_db
def test_a_worker_sleeping_through_a_wait_holds_its_lease_past_the_wake_up(settings):
    settings.PATTERNS_LEASE_SECONDS = 3
    settings.PATTERNS_INLINE_WAIT_SECONDS = 30
    owner = UserFactory()
    pattern = make_pattern(owner, steps=recovery_steps(WAIT_SECONDS))
    execution = new_execution(
        pattern=pattern, version=pattern.versions.get(), input={}, actor=owner
    )
    with pytest.raises(WorkerKilled):
        executor.execution_run(execution.pk, owner="worker-a", sleep=kill_during_sleep)

    execution.refresh_from_db()
    wake = step(execution, "pause").next_attempt_at
    assert execution.lease_owner == "worker-a"
    assert execution.lease_expires_at >= wake + datetime.timedelta(seconds=LEASE_SECONDS / 2)
    assert execution.pk not in executor.executions_to_reclaim(now=wake)


# --- a real worker killed with SIGKILL ------------------------------------------------------


@pytest.fixture
def worker_queue(settings):
    """Send this test's tasks to a queue of its own (others may share this Redis)."""
    queue = f"nexus-test-{uuid.uuid4().hex[:12]}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.PATTERNS_LEASE_SECONDS = LEASE_SECONDS
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    yield queue
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous


@pytest.fixture
def start_worker(worker_queue, tmp_path):
    """Start real prefork workers on the test's queue, each in a process group of its own."""
    started = []

    def start(name: str):
        log_path = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_POOL_MIN": "0",
            "PYTHONUNBUFFERED": "1",
            "PATTERNS_LEASE_SECONDS": str(LEASE_SECONDS),
            "PATTERNS_INLINE_WAIT_SECONDS": "30",  # the worker sleeps through the wait
            # What the worker sends itself (a run a trigger started) stays on this queue.
            "CELERY_TASK_DEFAULT_QUEUE": worker_queue,
        }
        command = [
            str(CELERY), "-A", "nexus_site", "worker", "-Q", worker_queue,
            "--concurrency=1", "-l", "info", "-n", f"{name}-{worker_queue}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with log_path.open("w") as log:
            worker = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(worker)
        return worker, log_path

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)


def wait_for(check, what: str, worker=None, log_path=None):
    """Poll ``check`` until it returns something true, with a generous deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker stopped while waiting for {what}:\n{log_path.read_text()}")
        result = check()
        if result:
            return result
        time.sleep(POLL_SECONDS)
    log = log_path.read_text() if log_path else ""
    pytest.fail(f"no {what} within {DEADLINE_SECONDS}s:\n{log}")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_worker_is_killed_finishes_on_another_without_repeating_a_step(
    start_worker,
):
    owner = UserFactory()
    pattern = make_pattern(owner, steps=recovery_steps(WAIT_SECONDS))
    first, first_log = start_worker("first")

    execution, _created = execution_start(actor=owner, pattern=pattern, input={})

    # Step 1 committed, step 2 (the wait) has begun: the worker is sleeping through it.
    wait_for(
        lambda: step(execution, "pause").next_attempt_at is not None,
        "wait step in progress",
        first,
        first_log,
    )
    killed_at = timezone.now()
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.RUNNING
    assert execution.lease_owner != ""  # the dead worker still holds the run
    assert execution.pk not in executor.executions_to_reclaim(now=killed_at)
    assert step(execution, "mark").status == StepStatus.SUCCEEDED
    assert step(execution, "after").status == StepStatus.PENDING
    assert events_of(execution, "custom.recovery_marker") == 1

    second, second_log = start_worker("second")
    wait_for(
        lambda: execution.pk in executor.executions_to_reclaim(),
        "expired lease",
        second,
        second_log,
    )
    assert reclaim_executions() == 1  # what beat runs every 30 s: re-queue the run

    wait_for(
        lambda: Execution.objects.get(pk=execution.pk).is_finished,
        "finished execution",
        second,
        second_log,
    )
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert step(execution, "mark").attempts == 1
    assert step(execution, "pause").status == StepStatus.SUCCEEDED
    assert step(execution, "after").attempts == 1
    assert events_of(execution, "custom.recovery_marker") == 1
    assert events_of(execution, "custom.recovery_after") == 1
    assert events_of(execution, EventType.PATTERN_STARTED) == 1
    assert events_of(execution, EventType.PATTERN_EXECUTED) == 1
    assert "Task patterns.tasks.run_execution[" in second_log.read_text()  # resumed there
