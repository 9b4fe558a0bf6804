"""Run an execution: steps in dependency order, each in one transaction with its record and
its events, retries with backoff, timeouts, compensation, cancel, and a lease that lets
another worker resume a run whose worker died.

Crash safety rests on two facts. A step's work, its ``StepRun`` row and its events commit
together or not at all, so a crash never leaves a step half-applied. And a step runs only
after its row is locked and found still pending, so two workers that both believe they own
a run (one slow, one that reclaimed it) never apply the same step twice.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import datetime
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType
from nexus_site.events.services import event_of, holding_events, publish, publish_many
from nexus_site.exceptions import BaseAppException
from patterns import steps
from patterns.engine.definition import (
    ON_ERROR_COMPENSATE,
    ON_ERROR_CONTINUE,
    PatternDefinition,
    StepDefinition,
)
from patterns.engine.planning import (
    compensation_order,
    next_retry_delay,
    ready_steps,
    should_retry,
    skipped_by_conditions,
)
from patterns.engine.references import PatternReferenceError, render_parameters
from patterns.models import (
    Execution,
    ExecutionStatus,
    Pattern,
    PatternVersion,
    StepRun,
    StepStatus,
)
from patterns.steps import StepDeferred, StepTimeoutError
from patterns.steps.context import StepContext
from patterns.store import definition_for

logger = logging.getLogger(__name__)

FINISH_EVENTS = {
    ExecutionStatus.SUCCEEDED: EventType.PATTERN_EXECUTED,
    ExecutionStatus.FAILED: EventType.PATTERN_FAILED,
    ExecutionStatus.COMPENSATED: EventType.PATTERN_COMPENSATED,
    ExecutionStatus.CANCELLED: EventType.PATTERN_CANCELLED,
}
INTERNAL_ERROR = _("The step failed unexpectedly.")
CANCEL = object()  # what a step attempt returns when it found the run cancelled
BATCH_DECLINED = object()  # the read-only batch did not run: run the step on its own
MAX_BATCH = 50
UNBATCHED_TYPES = frozenset({"wait"})  # it defers itself: always on its own
SUCCESS_FIELDS = [  # what a succeeded step's row changes
    "status",
    "attempts",
    "parameters",
    "output",
    "error",
    "next_attempt_at",
    "started_at",
    "finished_at",
    "finished_seq",
]


# One statement for the rows of succeeded steps, one or a whole batch (PostgreSQL). Only
# placeholders are repeated into it, one row of them per step; Django's bulk_update builds a
# CASE per field and row, and even a one-row save compiles for longer than it runs.
BATCH_UPDATE = """
UPDATE patterns_steprun AS run SET
    status = batch.status, attempts = batch.attempts, parameters = batch.parameters,
    output = batch.output, error = NULL, next_attempt_at = NULL,
    started_at = batch.started_at, finished_at = batch.finished_at,
    finished_seq = batch.finished_seq
FROM (VALUES {rows}) AS batch(id, status, attempts, parameters, output, started_at,
    finished_at, finished_seq)
WHERE run.id = batch.id
"""
BATCH_ROW = (
    "(%s::uuid, %s, %s::integer, %s::jsonb, %s::jsonb, %s::timestamptz, %s::timestamptz,"
    " %s::integer)"
)


def save_succeeded(runs: list[StepRun]) -> None:
    """Write the rows of succeeded steps (``SUCCESS_FIELDS``): one statement on PostgreSQL,
    one per row elsewhere."""
    if connection.vendor != "postgresql":
        for run in runs:
            StepRun.objects.filter(pk=run.pk).update(
                **{name: getattr(run, name) for name in SUCCESS_FIELDS}
            )
        return
    from psycopg.types.json import Jsonb

    values: list[Any] = []
    for run in runs:
        values += [
            run.pk,
            run.status,
            run.attempts,
            Jsonb(run.parameters),
            Jsonb(run.output),
            run.started_at,
            run.finished_at,
            run.finished_seq,
        ]
    sql = BATCH_UPDATE.format(rows=", ".join([BATCH_ROW] * len(runs)))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


# The row of one step, locked, with its run's cancel flag: the first statement of every step's
# transaction, raw because compiling it through the ORM cost more than running it.
LOCK_STEP_RUN = """
SELECT run.*, execution.cancel_requested AS cancel_requested
FROM patterns_steprun AS run
JOIN patterns_execution AS execution ON execution.id = run.execution_id
WHERE run.id = %s
"""

# A run's step rows (Runner._load_runs), raw for the same reason.
LOAD_STEP_RUNS = "SELECT * FROM patterns_steprun WHERE execution_id = %s"


def db_value(model, pk: Any) -> Any:
    """Return ``pk`` as the database stores it, for a raw statement (SQLite keeps UUIDs as hex)."""
    return model._meta.pk.get_db_prep_value(pk, connection)


def lock_step_run(pk: Any) -> StepRun:
    """Return the step row ``pk`` locked until the transaction ends, with ``cancel_requested``."""
    sql = LOCK_STEP_RUN
    if connection.features.has_select_for_update_of:
        sql += "FOR UPDATE OF run"
    return next(iter(StepRun.objects.raw(sql, [db_value(StepRun, pk)])))


class _BatchDeclined(Exception):
    """Nothing could join the batch: leave it to the one-step path."""


def lease_seconds() -> int:
    return int(getattr(settings, "PATTERNS_LEASE_SECONDS", 60))


def inline_wait_seconds() -> float:
    """Waits up to this long are slept through by the worker holding the run."""
    return float(getattr(settings, "PATTERNS_INLINE_WAIT_SECONDS", 2.0))


def synchronous_commit() -> bool:
    """False: the engine's commits do not wait for the disk (PostgreSQL only, opt-in)."""
    return bool(getattr(settings, "PATTERNS_SYNCHRONOUS_COMMIT", True))


@contextlib.contextmanager
def engine_transaction() -> Iterator[None]:
    """One transaction of the engine: a step with its record and events, a lease, a finish.

    With ``PATTERNS_SYNCHRONOUS_COMMIT`` off, PostgreSQL acknowledges its commit before the
    WAL reaches the disk. Each transaction stays all or nothing; a database crash can lose
    the last fraction of a second of them, and the run then resumes before the lost step.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if (
            outermost
            and not _relaxed_session.get()
            and connection.vendor == "postgresql"
            and not synchronous_commit()
        ):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


_relaxed_session: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "patterns_relaxed_session", default=False
)


@contextlib.contextmanager
def relaxed_commits() -> Iterator[None]:
    """For one run, turn off waiting for the disk once per session instead of per transaction.

    Only with ``PATTERNS_SYNCHRONOUS_COMMIT`` off, on PostgreSQL, outside any transaction;
    the setting is reset afterwards so the connection goes back to the pool as it came.
    """
    if (
        synchronous_commit()
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
        or _relaxed_session.get()
    ):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    token = _relaxed_session.set(True)
    try:
        yield
    finally:
        _relaxed_session.reset(token)
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def worker_name() -> str:
    """Return this worker's name for leases: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def error_of(exc: BaseException) -> dict[str, Any]:
    """Return the code and message of an error as stored and shown."""
    if isinstance(exc, BaseAppException):
        error = {"code": exc.code, "message": str(exc.message)}
        if exc.details:
            error["details"] = exc.details
        return error
    if isinstance(exc, PatternReferenceError):
        return {"code": "unresolved_reference", "message": str(exc)}
    return {"code": "internal_error", "message": str(INTERNAL_ERROR)}


class _Alarm(BaseException):
    """Raised by SIGALRM inside a step; a BaseException so no step swallows it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` where signals allow it (the main thread).

    Elsewhere the caller measures the elapsed time afterwards; the step's transaction is
    rolled back either way, so a timed-out step leaves nothing behind.
    """
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not usable or seconds <= 0:
        yield
        return

    def interrupt(signum, frame):
        raise _Alarm()

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Alarm:
        raise StepTimeoutError() from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Runner:
    """Drive one execution until it finishes, defers or loses its lease.

    ``inline`` runs a child execution inside its caller's step transaction: no lease, and
    every wait is slept through. ``dry_run`` runs inside a transaction that the caller
    rolls back; waits return at once.
    """

    def __init__(
        self,
        execution: Execution,
        *,
        owner: str = "",
        inline: bool = False,
        dry_run: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.execution = execution
        self.owner = owner or worker_name()
        self.inline = inline or dry_run
        self.dry_run = dry_run
        self.sleep = sleep
        pattern = execution.pattern
        version = execution.version
        self.definition: PatternDefinition = definition_for(
            pattern.key, version_id=version.pk, number=version.number, checksum=version.checksum
        )
        self.actor = execution.started_by
        self.runs: dict[str, StepRun] = {}
        self.batching_off = False

    # --- the loop -----------------------------------------------------------------------

    def run(self) -> Execution:
        """Run steps until the execution finishes or has to wait for a later time."""
        self.runs = self._load_runs()
        while True:
            states = {step_id: run.status for step_id, run in self.runs.items()}
            outputs = {
                step_id: run.output
                for step_id, run in self.runs.items()
                if run.status == StepStatus.SUCCEEDED
            }
            skipped = skipped_by_conditions(self.definition, states, outputs)
            if skipped:
                self._mark_skipped(skipped)
                continue
            ready = ready_steps(self.definition, states)
            now = timezone.now()
            due = [
                step_id
                for step_id in ready
                if self.runs[step_id].next_attempt_at is None
                or self.runs[step_id].next_attempt_at <= now
            ]
            if due:
                outcome = self._run_read_only_batch(due[0], states, outputs)
                if outcome is BATCH_DECLINED:
                    # The step's transaction reads the cancel flag with the step's row: no
                    # query of its own per step, and as fresh as a check just before it.
                    outcome = self._run_step(self.definition.step(due[0]), outputs)
                if outcome is CANCEL:
                    return self._cancel()
                if outcome is not None:
                    return outcome
                continue
            if not ready:  # nothing left to run; the finish reads the cancel flag itself
                finished = self._finish(ExecutionStatus.SUCCEEDED, None)
                return self._cancel() if finished is CANCEL else finished
            if not self.inline and self._cancel_requested():  # before sleeping
                return self._cancel()
            # Every ready step waits for a later time.
            wake = min(self.runs[step_id].next_attempt_at for step_id in ready)
            delay = (wake - now).total_seconds()
            if self.inline or self._eager() or delay <= inline_wait_seconds():
                if not self.inline and not self._hold_lease(delay):
                    return self.execution  # another worker owns the run now
                if not self.dry_run:
                    self.sleep(max(delay, 0))
                else:
                    for step_id in ready:
                        self.runs[step_id].next_attempt_at = None
                continue
            return self._defer(wake)

    def _load_runs(self) -> dict[str, StepRun]:
        """Return the run's step rows by step id (raw: compiling it cost more than the read)."""
        rows = StepRun.objects.raw(LOAD_STEP_RUNS, [db_value(Execution, self.execution.pk)])
        return {run.step_id: run for run in rows}

    def _eager(self) -> bool:
        from nexus_site.celery import app

        return bool(app.conf.task_always_eager)

    def _cancel_requested(self) -> bool:
        return Execution.objects.filter(pk=self.execution.pk, cancel_requested=True).exists()

    def _cancel(self) -> Execution:
        self._compensate()
        return self._finish(ExecutionStatus.CANCELLED, None)

    # --- steps that change nothing, together ----------------------------------------------

    def _batchable(self, step_id: str) -> bool:
        """Whether a step may join a batch: it changes no data and starts fresh."""
        step = self.definition.step(step_id)
        run = self.runs[step_id]
        return (
            not steps.get(step.type).changes_data
            and step.type not in UNBATCHED_TYPES
            and run.status == StepStatus.PENDING
            and run.attempts == 0
            and not run.output
        )

    def _run_read_only_batch(
        self, first: str, states: dict[str, str], outputs: dict[str, Any]
    ) -> Execution | object | None:
        """Run ``first`` and the read-only steps ready after it in one transaction.

        A step that changes no data (a condition, a path search, a no-op) can run again
        without harm, so consecutive ones share one transaction: their rows, their events
        and one commit. Anything unusual (an error, a timeout, a wait, a step another worker
        holds) rolls the whole batch back and returns ``BATCH_DECLINED``: the steps then run
        one transaction each, as every data-changing step always does.
        """
        if self.inline or self.batching_off or not self._batchable(first):
            return BATCH_DECLINED
        if not self._hold_lease(self.definition.step(first).timeout_seconds):
            return self.execution  # another worker owns the run now
        states, outputs = dict(states), dict(outputs)
        done: list[StepRun] = []
        clock = time.monotonic()
        seq = self._next_seq()
        try:
            with engine_transaction(), holding_events():
                locked = dict(
                    StepRun.objects.select_for_update(of=("self",))
                    .filter(execution=self.execution, status=StepStatus.PENDING)
                    .values_list("step_id", "execution__cancel_requested")
                )
                if any(locked.values()):
                    return CANCEL
                step_id: str | None = first
                while step_id is not None:
                    if step_id not in locked or len(done) >= MAX_BATCH:
                        break
                    run = self._run_in_batch(self.definition.step(step_id), outputs, seq)
                    seq += 1
                    done.append(run)
                    states[step_id] = StepStatus.SUCCEEDED
                    outputs[step_id] = run.output
                    if time.monotonic() - clock > lease_seconds() / 2:
                        break
                    step_id = self._next_batchable(states, outputs)
                if not done:
                    raise _BatchDeclined()
                save_succeeded(done)
        except Exception as exc:
            if not isinstance(exc, _BatchDeclined):
                self.batching_off = True  # the steps go one by one from here, errors and all
            return BATCH_DECLINED
        for run in done:
            self.runs[run.step_id] = run
        return None

    def _next_batchable(self, states: dict[str, str], outputs: dict[str, Any]) -> str | None:
        if skipped_by_conditions(self.definition, states, outputs):
            return None  # skipping is written by the main loop
        now = timezone.now()
        for step_id in ready_steps(self.definition, states):
            run = self.runs[step_id]
            if run.next_attempt_at is not None and run.next_attempt_at > now:
                continue
            return step_id if self._batchable(step_id) else None
        return None

    def _run_in_batch(self, step: StepDefinition, outputs: dict[str, Any], seq: int) -> StepRun:
        """Run one read-only step inside the batch's transaction; its row, not yet saved."""
        run = copy.copy(self.runs[step.id])
        started = timezone.now()
        parameters = self._parameters(step, outputs)
        output = self._call(step, self._context(step, run, 1), parameters)
        self._mark_succeeded(run, step, 1, parameters, output, started, seq)
        return run

    # --- one step -----------------------------------------------------------------------

    def _context(self, step: StepDefinition, run: StepRun, attempt: int) -> StepContext:
        state = (
            run.output if run.status == StepStatus.PENDING and isinstance(run.output, dict) else {}
        )
        return StepContext(
            execution=self.execution,
            step=step,
            actor=self.actor,
            attempt=attempt,
            dry_run=self.dry_run,
            state=state or {},
        )

    def _run_step(self, step: StepDefinition, outputs: dict[str, Any]) -> Execution | object | None:
        """Run one attempt of ``step``; return the execution when the run ended because of it,
        ``CANCEL`` when a cancel was requested (the step is left untouched)."""
        run = self.runs[step.id]
        attempt = run.attempts + 1
        if not self.inline and not self._hold_lease(step.timeout_seconds):
            return self.execution  # another worker owns the run now
        context = self._context(step, run, attempt)
        started = timezone.now()
        parameters: Any = None
        try:
            with engine_transaction():
                locked = lock_step_run(run.pk)
                if locked.status != StepStatus.PENDING:
                    self.runs[step.id] = locked  # done by a worker that held the run before
                    return None
                if locked.cancel_requested and not self.inline:
                    return CANCEL
                parameters = self._parameters(step, outputs)
                output = self._call(step, context, parameters)
                self._mark_succeeded(
                    locked, step, attempt, parameters, output, started, self._next_seq()
                )
                save_succeeded([locked])
            self.runs[step.id] = locked
            return None
        except StepDeferred as deferred:
            self._save_deferral(run, deferred, started)
            return None
        except Exception as exc:
            if not isinstance(exc, BaseAppException | PatternReferenceError):
                logger.exception("Step %s of execution %s failed", step.id, self.execution.pk)
            return self._record_failure(step, run, attempt, exc, parameters, started)

    def _parameters(self, step: StepDefinition, outputs: dict[str, Any]) -> Any:
        """Return the step's parameters with its references filled in."""
        return render_parameters(
            step.parameters,
            {
                "input": self.execution.input,
                "steps": {k: {"output": v} for k, v in outputs.items()},
            },
        )

    def _call(self, step: StepDefinition, context: StepContext, parameters: Any) -> Any:
        """Run the step's function under its timeout; return its output."""
        clock = time.monotonic()
        with time_limit(step.timeout_seconds):
            output = steps.get(step.type).run(context, parameters)
        if time.monotonic() - clock > step.timeout_seconds:
            raise StepTimeoutError()
        return output

    def _mark_succeeded(
        self,
        run: StepRun,
        step: StepDefinition,
        attempt: int,
        parameters: Any,
        output: Any,
        started: datetime.datetime,
        seq: int,
    ) -> None:
        """Fill ``run`` as succeeded (the caller saves it) and publish ``step_succeeded``."""
        run.status = StepStatus.SUCCEEDED
        run.attempts = attempt
        run.parameters = parameters
        run.output = output
        run.error = None
        run.next_attempt_at = None
        run.started_at = run.started_at or started
        run.finished_at = timezone.now()
        run.finished_seq = seq
        self._publish(
            EventType.STEP_SUCCEEDED,
            step=step.id,
            step_type=step.type,
            attempt=attempt,
            duration_ms=round((run.finished_at - run.started_at).total_seconds() * 1000, 3),
        )

    def _next_seq(self) -> int:
        done = [run.finished_seq or 0 for run in self.runs.values()]
        return max(done, default=0) + 1

    def _still_pending(self, step_id: str) -> bool:
        """Lock the step's row; False, keeping the row as it is now, once another worker ran it.

        A worker that lost its lease during a failed or deferred attempt must not write its
        outcome over the step that the worker holding the run now has finished.
        """
        locked = StepRun.objects.select_for_update().get(pk=self.runs[step_id].pk)
        if locked.status == StepStatus.PENDING:
            return True
        self.runs[step_id] = locked
        return False

    def _save_deferral(self, run: StepRun, deferred: StepDeferred, started) -> None:
        with engine_transaction():
            if not self._still_pending(run.step_id):
                return
            run.output = deferred.state
            run.next_attempt_at = deferred.until
            run.started_at = run.started_at or started
            run.save(update_fields=["output", "next_attempt_at", "started_at"])

    def _record_failure(
        self,
        step: StepDefinition,
        run: StepRun,
        attempt: int,
        exc: BaseException,
        parameters: Any,
        started,
    ) -> Execution | None:
        error = error_of(exc)
        retry = should_retry(step.retry, attempt, error["code"])
        delay = (next_retry_delay(step.retry, attempt) or 0) if retry else None
        now = timezone.now()
        with engine_transaction():
            if not self._still_pending(step.id):
                return None
            run.attempts = attempt
            run.parameters = parameters
            run.error = error
            run.failures = [*run.failures, {"attempt": attempt, **error, "at": now.isoformat()}]
            run.started_at = run.started_at or started
            if retry:
                run.status = StepStatus.PENDING
                run.next_attempt_at = now + datetime.timedelta(seconds=delay)
                run.output = None
            else:
                run.status = StepStatus.FAILED
                run.next_attempt_at = None
                run.finished_at = now
                run.finished_seq = self._next_seq()
            run.save(
                update_fields=[
                    "attempts",
                    "parameters",
                    "error",
                    "failures",
                    "started_at",
                    "status",
                    "next_attempt_at",
                    "output",
                    "finished_at",
                    "finished_seq",
                ]
            )
            self._publish(
                EventType.STEP_FAILED,
                step=step.id,
                step_type=step.type,
                attempt=attempt,
                will_retry=retry,
                retry_in_seconds=delay,
                error=error,
            )
        if retry or step.on_error == ON_ERROR_CONTINUE:
            return None
        failure = {"step": step.id, **error}
        if step.on_error == ON_ERROR_COMPENSATE:
            if self._compensate():
                return self._finish(ExecutionStatus.COMPENSATED, failure)
            return self._finish(ExecutionStatus.FAILED, {**failure, "compensation": "incomplete"})
        return self._finish(ExecutionStatus.FAILED, failure)

    # --- compensation -------------------------------------------------------------------

    def compensate(self) -> bool:
        """Undo the finished steps of this run (a composite step being undone)."""
        self.runs = self._load_runs()
        return self._compensate()

    def _compensate(self) -> bool:
        """Undo the finished steps that have compensation on, newest first; True if all undone."""
        finished = sorted(
            (run for run in self.runs.values() if run.status == StepStatus.SUCCEEDED),
            key=lambda run: run.finished_seq or 0,
        )
        complete = True
        for step_id in compensation_order([run.step_id for run in finished], self.definition):
            step = self.definition.step(step_id)
            step_type = steps.get(step.type)
            if step_type.undo is None:
                continue  # nothing can be undone (a sent mail): the step stays succeeded
            run = self.runs[step_id]
            try:
                with engine_transaction():
                    locked = StepRun.objects.select_for_update().get(pk=run.pk)
                    if locked.status != StepStatus.SUCCEEDED:
                        continue
                    step_type.undo(
                        self._context(step, locked, locked.attempts),
                        locked.parameters or {},
                        locked.output,
                    )
                    locked.status = StepStatus.COMPENSATED
                    locked.compensated_at = timezone.now()
                    locked.compensation_error = None
                    locked.save(update_fields=["status", "compensated_at", "compensation_error"])
                    self._publish(EventType.STEP_COMPENSATED, step=step_id, type=step.type)
                self.runs[step_id] = locked
            except Exception as exc:
                if not isinstance(exc, BaseAppException):
                    logger.exception("Undo of %s in %s failed", step_id, self.execution.pk)
                complete = False
                run.compensation_error = error_of(exc)
                with engine_transaction():
                    run.save(update_fields=["compensation_error"])
        return complete

    # --- the execution's own state ------------------------------------------------------

    def _hold_lease(self, busy_seconds: float) -> bool:
        """Make sure the lease outlives the next step or sleep; False when another worker took it.

        ``busy_seconds`` is how long this worker may go without renewing: a step's timeout, or
        a wait it sleeps through (a lease shorter than the sleep would let the reclaim task
        hand a live run to a second worker).
        """
        now = timezone.now()
        needed = now + datetime.timedelta(seconds=busy_seconds + lease_seconds())
        expires = self.execution.lease_expires_at
        if expires is not None and expires >= needed - datetime.timedelta(
            seconds=lease_seconds() / 2
        ):
            return True
        renewed = Execution.objects.filter(pk=self.execution.pk, lease_owner=self.owner).update(
            lease_expires_at=needed
        )
        if renewed:
            self.execution.lease_expires_at = needed
        return bool(renewed)

    def _mark_skipped(self, step_ids: list[str]) -> None:
        StepRun.objects.filter(execution=self.execution, step_id__in=step_ids).update(
            status=StepStatus.SKIPPED
        )
        for step_id in step_ids:
            self.runs[step_id].status = StepStatus.SKIPPED

    def _defer(self, wake: datetime.datetime) -> Execution:
        """Give the run back until ``wake``; a task picks it up then (or the reclaim task)."""
        from patterns.tasks import enqueue_execution

        with engine_transaction():
            Execution.objects.filter(pk=self.execution.pk, lease_owner=self.owner).update(
                lease_owner="", lease_expires_at=None, resume_at=wake
            )
            countdown = max((wake - timezone.now()).total_seconds(), 0)
            transaction.on_commit(lambda: enqueue_execution(self.execution.pk, countdown=countdown))
        self.execution.lease_owner, self.execution.resume_at = "", wake
        return self.execution

    def _finish(self, status: str, error: dict[str, Any] | None) -> Execution | object:
        """End the run with ``status``; ``CANCEL`` instead of succeeding when a cancel came.

        One statement writes the end and checks that this worker still holds the lease: a
        worker that lost it (paused past it) must not finish the run a second time.
        """
        execution = self.execution
        now = timezone.now()
        with engine_transaction():
            held = Execution.objects.filter(pk=execution.pk)
            if not self.inline:
                held = held.filter(status=ExecutionStatus.RUNNING, lease_owner=self.owner)
                if status == ExecutionStatus.SUCCEEDED:
                    held = held.filter(cancel_requested=False)
            finished = held.update(
                status=status,
                error=error,
                finished_at=now,
                started_at=Coalesce("started_at", now),
                lease_owner="",
                lease_expires_at=None,
                resume_at=None,
            )
            if not finished:
                execution.refresh_from_db()
                owned = execution.status == ExecutionStatus.RUNNING
                if owned and execution.lease_owner == self.owner and execution.cancel_requested:
                    return CANCEL
                return execution  # the run is another worker's now, or finished by it
            pending = [
                run.step_id
                for run in self.runs.values()
                if run.status in (StepStatus.PENDING, StepStatus.RUNNING)
            ]
            if pending:
                self._mark_skipped(pending)
            execution.status = status
            execution.error = error
            execution.finished_at = now
            execution.started_at = execution.started_at or now
            execution.lease_owner = ""
            execution.lease_expires_at = None
            execution.resume_at = None
            self._publish(
                FINISH_EVENTS[status],
                status=status,
                version=execution.version.number,
                duration_ms=round((now - execution.started_at).total_seconds() * 1000, 3),
                error=error,
            )
        return execution

    def _publish(self, event_type: str, **payload: Any) -> None:
        """Publish an event of the run; held inside a read-only batch (written with its rows)."""
        execution = self.execution
        started_by = execution.started_by_id
        event = event_of(
            event_type,
            {"pattern": execution.pattern.key, "execution": str(execution.pk), **payload},
            user_ids=[started_by] if started_by else (),
            actor=self.actor,
        )
        publish_many([event], held=True)


# A run with what a worker needs of its pattern and version, in one statement that the ORM
# took longer to compile than PostgreSQL to run (a worker starts every run with it).
LOAD_RUN = """
SELECT execution.*, pattern.key AS pattern_key, version.number AS version_number,
    version.checksum AS version_checksum
FROM patterns_execution AS execution
JOIN patterns_pattern AS pattern ON pattern.id = execution.pattern_id
JOIN patterns_patternversion AS version ON version.id = execution.version_id
WHERE execution.id = %s
"""


def load_run(execution_id: Any) -> Execution | None:
    """Return the execution locked until the transaction ends, its pattern and version loaded
    as far as a run reads them (the rest loads on first use); None when there is none."""
    sql = LOAD_RUN
    if connection.features.has_select_for_update_of:
        sql += "FOR UPDATE OF execution"
    found = list(Execution.objects.raw(sql, [db_value(Execution, execution_id)]))
    if not found:
        return None
    execution = found[0]
    execution.pattern = Pattern.from_db(
        connection.alias, ["id", "key"], [execution.pattern_id, execution.pattern_key]
    )
    execution.version = PatternVersion.from_db(
        connection.alias,
        ["id", "pattern_id", "number", "checksum"],
        [
            execution.version_id,
            execution.pattern_id,
            execution.version_number,
            execution.version_checksum,
        ],
    )
    return execution


def acquire(execution_id: Any, owner: str) -> Execution | None:
    """Take the lease of a run that is pending, running unowned, or whose lease ran out.

    Returns the execution, or None when it is finished, unknown or held by a live worker.
    The first worker to take it publishes ``pattern_started``.
    """
    now = timezone.now()
    with engine_transaction():
        execution = load_run(execution_id)
        if execution is None or not (
            execution.status in (ExecutionStatus.PENDING, ExecutionStatus.RUNNING)
            and (
                execution.lease_owner in ("", owner)
                or execution.lease_expires_at is None
                or execution.lease_expires_at < now
            )
        ):
            return None
        first_start = execution.status == ExecutionStatus.PENDING
        version = execution.version
        longest_step = max(
            step.timeout_seconds
            for step in definition_for(
                execution.pattern.key,
                version_id=version.pk,
                number=version.number,
                checksum=version.checksum,
            ).steps
        )
        execution.status = ExecutionStatus.RUNNING
        execution.lease_owner = owner
        # Long enough for any one step: a run renews it only when it runs long in total.
        execution.lease_expires_at = now + datetime.timedelta(
            seconds=lease_seconds() + longest_step
        )
        execution.started_at = execution.started_at or now
        execution.resume_at = None
        execution.save(
            update_fields=["status", "lease_owner", "lease_expires_at", "started_at", "resume_at"]
        )
        if first_start:
            publish(
                EventType.PATTERN_STARTED,
                {
                    "pattern": execution.pattern.key,
                    "execution": str(execution.pk),
                    "version": execution.version.number,
                },
                user_ids=[execution.started_by_id] if execution.started_by_id else (),
                actor=execution.started_by,
            )
    return execution


def execution_run(execution_id: Any, *, owner: str = "", sleep=time.sleep) -> Execution | None:
    """Run an execution as far as it can go now; None when another worker holds it."""
    owner = owner or worker_name()
    with relaxed_commits():
        execution = acquire(execution_id, owner)
        if execution is None:
            return None
        return Runner(execution, owner=owner, sleep=sleep).run()


def execution_run_inline(execution: Execution, *, dry_run: bool = False) -> Execution:
    """Run a fresh execution to its end in the caller's transaction (composites, dry runs)."""
    now = timezone.now()
    execution.status = ExecutionStatus.RUNNING
    execution.started_at = now
    execution.save(update_fields=["status", "started_at"])
    publish(
        EventType.PATTERN_STARTED,
        {
            "pattern": execution.pattern.key,
            "execution": str(execution.pk),
            "version": execution.version.number,
        },
        user_ids=[execution.started_by_id] if execution.started_by_id else (),
        actor=execution.started_by,
    )
    return Runner(execution, inline=True, dry_run=dry_run).run()


def executions_to_reclaim(now: datetime.datetime | None = None) -> list[Any]:
    """Return the runs no live worker is driving: lease expired, or due but unowned."""
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=lease_seconds())
    return list(
        Execution.objects.filter(parent_step__isnull=True)
        .filter(
            Q(status=ExecutionStatus.RUNNING, lease_expires_at__lt=now)
            | Q(status=ExecutionStatus.RUNNING, lease_owner="", resume_at__lt=now - grace)
            | Q(status=ExecutionStatus.PENDING, created_at__lt=now - grace)
        )
        .values_list("pk", flat=True)
    )
