"""The run loop: steps in dependency order, each in one transaction with its record and its
events; read-only steps batched; retries with backoff, timeouts, compensation and cancel.

A step runs only after its row is locked and found still pending, so two workers that both
believe they own a run (one slow, one that reclaimed it) never apply the same step twice.
"""

from __future__ import annotations

import copy
import datetime
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType
from nexus_site.events.services import (
    chain_depth,
    event_of,
    holding_events,
    publish,
    publish_many,
)
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
from patterns.executor.commits import engine_transaction, relaxed_commits
from patterns.executor.leases import (
    acquire,
    eager,
    hold_lease,
    lease_seconds,
    release_until,
    worker_name,
)
from patterns.executor.rows import load_step_runs, lock_step_run, save_succeeded
from patterns.executor.timeouts import time_limit
from patterns.models import Execution, ExecutionStatus, Pattern, StepRun, StepStatus
from patterns.runs import new_execution, version_to_run
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
MAX_BATCH = 50
UNBATCHED_TYPES = frozenset({"wait"})  # it defers itself: always on its own


class Turn(enum.Enum):
    """What one turn of the loop (a step, a batch, a finish) leaves the loop to do next."""

    NEXT = "next"  # go on with the next ready step
    CANCEL = "cancel"  # a cancel was requested: undo the finished steps and end cancelled
    ONE_BY_ONE = "one_by_one"  # the read-only batch did not run: run the step on its own
    STOP = "stop"  # the run ended, waits for a later time, or another worker drives it now


def inline_wait_seconds() -> float:
    """Waits up to this long are slept through by the worker holding the run."""
    return float(getattr(settings, "PATTERNS_INLINE_WAIT_SECONDS", 2.0))


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


def awaits_people(run: StepRun) -> bool:
    """Whether a pending step waits for a signal (its deferred state names what it awaits)."""
    return isinstance(run.output, dict) and bool(run.output.get("awaiting"))


class _BatchDeclined(Exception):
    """Nothing could join the batch: leave it to the one-step path."""


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
        self.runs = load_step_runs(self.execution.pk)
        # Everything the run publishes, its steps' domain events included, carries its depth.
        with chain_depth(self.execution.chain_depth):
            while True:
                turn = self._turn()
                if turn is Turn.CANCEL:
                    self._compensate()
                    self._finish(ExecutionStatus.CANCELLED, None)
                    return self.execution
                if turn is Turn.STOP:
                    return self.execution

    def _turn(self) -> Turn:
        """Take one turn: skip what conditions rule out, run the next due step (or a batch),
        finish, sleep through a short wait, or give the run back until a later time."""
        states = {step_id: run.status for step_id, run in self.runs.items()}
        outputs = {
            step_id: run.output
            for step_id, run in self.runs.items()
            if run.status == StepStatus.SUCCEEDED
        }
        skipped = skipped_by_conditions(self.definition, states, outputs)
        if skipped:
            self._mark_skipped(skipped)
            return Turn.NEXT
        ready = ready_steps(self.definition, states)
        now = timezone.now()
        due = [
            step_id
            for step_id in ready
            if self.runs[step_id].next_attempt_at is None
            or self.runs[step_id].next_attempt_at <= now
        ]
        if due:
            turn = self._run_read_only_batch(due[0], states, outputs)
            if turn is Turn.ONE_BY_ONE:
                # The step's transaction reads the cancel flag with the step's row: no
                # query of its own per step, and as fresh as a check just before it.
                turn = self._run_step(self.definition.step(due[0]), outputs)
            return turn
        if not ready:  # nothing left to run; the finish reads the cancel flag itself
            return self._finish(ExecutionStatus.SUCCEEDED, None)
        if not self.inline and self._cancel_requested():  # before sleeping
            return Turn.CANCEL
        # Every ready step waits for a later time.
        wake = min(self.runs[step_id].next_attempt_at for step_id in ready)
        delay = (wake - now).total_seconds()
        # A step waiting for people (a signal, an approval) is never slept through: the run
        # gives its worker back at once, and the answer wakes it (or the deadline does).
        for_people = all(
            awaits_people(self.runs[step_id])
            for step_id in ready
            if self.runs[step_id].next_attempt_at == wake
        )
        if not for_people and (self.inline or eager() or delay <= inline_wait_seconds()):
            if not self.inline and not hold_lease(self.execution, self.owner, delay):
                return Turn.STOP  # another worker owns the run now
            if not self.dry_run:
                self.sleep(max(delay, 0))
            else:
                for step_id in ready:
                    self.runs[step_id].next_attempt_at = None
            return Turn.NEXT
        release_until(self.execution, self.owner, wake)
        return Turn.STOP

    def _cancel_requested(self) -> bool:
        return Execution.objects.filter(pk=self.execution.pk, cancel_requested=True).exists()

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
    ) -> Turn:
        """Run ``first`` and the read-only steps ready after it in one transaction.

        A step that changes no data (a condition, a path search, a no-op) can run again
        without harm, so consecutive ones share one transaction: their rows, their events
        and one commit. Anything unusual (an error, a timeout, a wait, a step another worker
        holds) rolls the whole batch back and returns ``Turn.ONE_BY_ONE``: the steps then run
        one transaction each, as every data-changing step always does.
        """
        if self.inline or self.batching_off or not self._batchable(first):
            return Turn.ONE_BY_ONE
        if not hold_lease(self.execution, self.owner, self.definition.step(first).timeout_seconds):
            return Turn.STOP  # another worker owns the run now
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
                    return Turn.CANCEL
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
            return Turn.ONE_BY_ONE
        for run in done:
            self.runs[run.step_id] = run
        return Turn.NEXT

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
            can_wait=not self.inline,
            children=InlineChildren(
                parent_step=run,
                actor=self.actor,
                dry_run=self.dry_run,
                chain_depth=self.execution.chain_depth,
            ),
        )

    def _run_step(self, step: StepDefinition, outputs: dict[str, Any]) -> Turn:
        """Run one attempt of ``step``; ``Turn.CANCEL`` when a cancel was requested (the step
        is left untouched), ``Turn.STOP`` when the run ended because of it."""
        run = self.runs[step.id]
        attempt = run.attempts + 1
        if not self.inline and not hold_lease(self.execution, self.owner, step.timeout_seconds):
            return Turn.STOP  # another worker owns the run now
        context = self._context(step, run, attempt)
        started = timezone.now()
        parameters: Any = None
        try:
            with engine_transaction():
                locked = lock_step_run(run.pk)
                if locked.status != StepStatus.PENDING:
                    self.runs[step.id] = locked  # done by a worker that held the run before
                    return Turn.NEXT
                if locked.cancel_requested and not self.inline:
                    return Turn.CANCEL
                parameters = self._parameters(step, outputs)
                output = self._call(step, context, parameters)
                self._mark_succeeded(
                    locked, step, attempt, parameters, output, started, self._next_seq()
                )
                save_succeeded([locked])
            self.runs[step.id] = locked
            return Turn.NEXT
        except StepDeferred as deferred:
            self._save_deferral(run, deferred, started)
            return Turn.NEXT
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
            if deferred.announce is not None:
                deferred.announce()  # with the deferral, in its transaction

    def _record_failure(
        self,
        step: StepDefinition,
        run: StepRun,
        attempt: int,
        exc: BaseException,
        parameters: Any,
        started,
    ) -> Turn:
        error = error_of(exc)
        retry = should_retry(step.retry, attempt, error["code"])
        delay = (next_retry_delay(step.retry, attempt) or 0) if retry else None
        now = timezone.now()
        with engine_transaction():
            if not self._still_pending(step.id):
                return Turn.NEXT
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
            if not retry:
                # The specification's ``error`` event: what failed and why, for triggers.
                self._publish(
                    EventType.ERROR,
                    source="step",
                    step=step.id,
                    step_type=step.type,
                    attempt=attempt,
                    error=error,
                )
        if retry or step.on_error == ON_ERROR_CONTINUE:
            return Turn.NEXT
        failure = {"step": step.id, **error}
        if step.on_error == ON_ERROR_COMPENSATE:
            if self._compensate():
                return self._finish(ExecutionStatus.COMPENSATED, failure)
            return self._finish(ExecutionStatus.FAILED, {**failure, "compensation": "incomplete"})
        return self._finish(ExecutionStatus.FAILED, failure)

    # --- compensation -------------------------------------------------------------------

    def compensate(self) -> bool:
        """Undo the finished steps of this run (a composite step being undone)."""
        self.runs = load_step_runs(self.execution.pk)
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

    def _mark_skipped(self, step_ids: list[str]) -> None:
        StepRun.objects.filter(execution=self.execution, step_id__in=step_ids).update(
            status=StepStatus.SKIPPED
        )
        for step_id in step_ids:
            self.runs[step_id].status = StepStatus.SKIPPED

    def _finish(self, status: str, error: dict[str, Any] | None) -> Turn:
        """End the run with ``status`` (``Turn.STOP``); ``Turn.CANCEL`` instead of succeeding
        when a cancel came.

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
                    return Turn.CANCEL
                return Turn.STOP  # the run is another worker's now, or finished by it
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
            if status in (ExecutionStatus.FAILED, ExecutionStatus.COMPENSATED):
                self._publish(
                    EventType.ERROR,
                    source="execution",
                    status=status,
                    step=(error or {}).get("step"),
                    error=error,
                )
        return Turn.STOP

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


@dataclass
class InlineChildren:
    """The child runs of one step (``pattern.run``): run inside the step's transaction, so
    they commit or roll back with it, and undone through their own runner."""

    parent_step: StepRun
    actor: Any
    dry_run: bool = False
    chain_depth: int = 0

    def run(self, pattern: Pattern, *, version: int | None, input: Any) -> Execution:
        child = new_execution(
            pattern=pattern,
            version=version_to_run(pattern, version),
            input=input,
            actor=self.actor,
            parent_step=self.parent_step,
            chain_depth=self.chain_depth,
        )
        return execution_run_inline(child, dry_run=self.dry_run)

    def compensate(self, execution: Execution) -> bool:
        return Runner(execution, inline=True).compensate()
