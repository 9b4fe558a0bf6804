"""Celery tasks of patterns: run an execution, reclaim runs whose worker died, schedules."""

from __future__ import annotations

from celery import shared_task

from patterns import executor
from patterns.dispatch import RUN_TASK, enqueue_execution
from patterns.models import PatternSchedule
from patterns.services import execution_start
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


@shared_task(name="patterns.tasks.run_scheduled_pattern")
def run_scheduled_pattern(schedule_id: str) -> str | None:
    """Start the pattern of a schedule with its input, as its user; return the execution id."""
    schedule = (
        PatternSchedule.objects.select_related("pattern", "run_as").filter(pk=schedule_id).first()
    )
    if schedule is None or not schedule.pattern.is_active or not schedule.run_as.is_active:
        return None
    execution, _created = execution_start(
        actor=schedule.run_as, pattern=schedule.pattern, input=schedule.input
    )
    return str(execution.pk)


@shared_task(name=FIRE_TASK)
def fire_triggers(event_ids: list[int]) -> int:
    """Start the runs of the triggers these committed events match; return how many."""
    return firing.fire_events(event_ids)


@shared_task(name="patterns.tasks.catch_up_triggers")
def catch_up_triggers() -> int:
    """Fire the triggers of the events after the cursor that nothing fired yet (beat)."""
    return firing.catch_up()
