"""Celery tasks of patterns: run an execution, reclaim runs whose worker died, schedules."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from nexus_site.outages import OUTAGE_ERRORS
from patterns import executor
from patterns.models import PatternSchedule

logger = logging.getLogger(__name__)

RUN_TASK = "patterns.tasks.run_execution"


def enqueue_execution(execution_id: Any, *, countdown: float = 0) -> bool:
    """Queue a run of ``execution_id`` (call it after commit); eager mode runs it now.

    Return whether the broker took the task. A broker that is down is logged, not raised:
    the run is committed and stays pending (or waiting), and beat's reclaim task queues it
    once the broker answers again, so the request that started it still succeeds.
    """
    options: dict[str, Any] = {}
    if countdown > 0:
        options["countdown"] = countdown
    limit = int(getattr(settings, "PATTERNS_TASK_TIME_LIMIT_SECONDS", 3600))
    options["soft_time_limit"] = limit
    options["time_limit"] = limit + 30
    try:
        run_execution.apply_async(args=[str(execution_id)], **options)
    except OUTAGE_ERRORS as exc:
        logger.warning(
            "Broker unavailable; execution %s is left to the reclaim task: %s", execution_id, exc
        )
        return False
    return True


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
    from patterns.services import execution_start

    schedule = (
        PatternSchedule.objects.select_related("pattern", "run_as").filter(pk=schedule_id).first()
    )
    if schedule is None or not schedule.pattern.is_active or not schedule.run_as.is_active:
        return None
    execution, _created = execution_start(
        actor=schedule.run_as, pattern=schedule.pattern, input=schedule.input
    )
    return str(execution.pk)
