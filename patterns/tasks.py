"""Celery tasks of patterns: run an execution, reclaim runs whose worker died, schedules."""

from __future__ import annotations

import uuid

from celery import shared_task

from patterns import executor
from patterns.dispatch import RUN_TASK, enqueue_execution
from patterns.services import SCHEDULE_TASK, pattern_schedule_run
from patterns.triggers import firing
from patterns.triggers.firing import FIRE_TASK


@shared_task(name=RUN_TASK)
def run_execution(execution_id: str) -> str | None:
    """Run an execution as far as it can go; a run held by a live worker is left alone."""
    execution = executor.execution_run(execution_id)
    return None if execution is None else execution.status


@shared_task(name="patterns.tasks.reclaim_executions")
def reclaim_executions() -> int:
    """Re-queue the runs no live worker drives (lease ran out, wake-up lost); return how many."""
    reclaimed = executor.executions_to_reclaim()
    return sum(enqueue_execution(execution_id) for execution_id in reclaimed)


@shared_task(name=SCHEDULE_TASK, bind=True)
def run_scheduled_pattern(self, schedule_id: str) -> str | None:
    """Start the pattern of a schedule with its input, as its user; return the execution id.

    One run per tick: a message delivered again (its worker died) finds the run it started.
    """
    message_id = self.request.id or uuid.uuid4().hex  # called directly, outside a worker
    execution = pattern_schedule_run(schedule_id=schedule_id, message_id=message_id)
    return None if execution is None else str(execution.pk)


@shared_task(name=FIRE_TASK)
def fire_triggers(event_ids: list[int]) -> int:
    """Start the runs of the triggers these committed events match; return how many."""
    return firing.fire_events(event_ids)


@shared_task(name="patterns.tasks.catch_up_triggers")
def catch_up_triggers() -> int:
    """Fire the triggers of the events after the cursor that nothing fired yet (beat)."""
    return firing.catch_up()
