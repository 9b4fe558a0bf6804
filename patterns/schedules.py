"""Reads of pattern schedules on behalf of a user: which they see, when each runs next and last,
and the runs each started.

A schedule is seen by the user it runs as (staff: every schedule). Its runs are the executions
whose idempotency key starts with ``schedule:<id>:`` (patterns.services.schedule_run_key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber, Substr
from django.utils import timezone

from nexus_site.queries import first_or_none
from patterns.models import Execution, PatternSchedule
from patterns.selectors import executions_visible_to, sees_all
from patterns.services import SCHEDULE_RUN_PREFIX

RECENT_RUNS = 5
# "schedule:" and a UUID with its dashes and the colon after it.
RUN_PREFIX_LENGTH = len(SCHEDULE_RUN_PREFIX) + 36 + 1


@dataclass(frozen=True)
class Timing:
    """When a schedule runs: every N minutes, or a crontab expression (five fields, UTC)."""

    every_minutes: int | None
    crontab: str


def schedules_visible_to(user) -> QuerySet[PatternSchedule]:
    """Return the schedules ``user`` sees, with their pattern, user and timing loaded."""
    schedules = PatternSchedule.objects.select_related(
        "pattern", "run_as", "periodic_task__interval", "periodic_task__crontab"
    ).order_by("-created_at", "-id")
    if not getattr(user, "is_authenticated", False):
        return schedules.none()
    if sees_all(user):
        return schedules
    return schedules.filter(run_as=user)


def schedule_visible(user, schedule_id: Any) -> PatternSchedule | None:
    """Return the schedule if ``user`` sees it (None also for ids that are no UUID)."""
    return first_or_none(schedules_visible_to(user), schedule_id)


def run_prefix(schedule: PatternSchedule) -> str:
    return f"{SCHEDULE_RUN_PREFIX}{schedule.pk}:"


def timing_of(schedule: PatternSchedule) -> Timing:
    """Return the schedule's interval or crontab, as its periodic task holds it."""
    task = schedule.periodic_task
    if task is not None and task.interval is not None:
        return Timing(every_minutes=task.interval.every, crontab="")
    if task is not None and task.crontab is not None:
        cron = task.crontab
        fields = [cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week]
        return Timing(every_minutes=None, crontab=" ".join(fields))
    return Timing(every_minutes=None, crontab="")


def is_enabled(schedule: PatternSchedule) -> bool:
    return schedule.periodic_task is not None and schedule.periodic_task.enabled


def next_run_at(schedule: PatternSchedule, *, now: datetime | None = None) -> datetime | None:
    """Return when beat starts the schedule next; None while it is paused.

    As beat reckons: an interval counts from the last run (or from the last change of the
    task when it never ran); a crontab is the next matching minute after now, in its time zone.
    """
    task = schedule.periodic_task
    if task is None or not task.enabled or (task.interval is None and task.crontab is None):
        return None
    now = now or timezone.now()
    if task.interval is not None:
        start = task.last_run_at or task.date_changed or now
        return max(now, start + timedelta(minutes=task.interval.every))
    due = now + task.crontab.schedule.remaining_estimate(now)
    # celery answers a hair before the minute (…:59.9998): the run is at the minute.
    return (due + timedelta(seconds=30)).replace(second=0, microsecond=0)


def recent_runs_of(
    user, schedules: list[PatternSchedule], *, limit: int = RECENT_RUNS
) -> dict[Any, list[Execution]]:
    """Return the newest ``limit`` runs each schedule started that ``user`` may see, by id.

    One query for all the schedules, whatever their number.
    """
    if not schedules:
        return {}
    wanted = Q()
    for schedule in schedules:
        wanted |= Q(
            pattern_id=schedule.pattern_id, idempotency_key__startswith=run_prefix(schedule)
        )
    runs = (
        executions_visible_to(user)
        .filter(wanted)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[Substr("idempotency_key", 1, RUN_PREFIX_LENGTH)],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=limit)
        .order_by("-created_at", "-id")
    )
    by_schedule: dict[Any, list[Execution]] = {schedule.pk: [] for schedule in schedules}
    by_prefix = {run_prefix(schedule): schedule.pk for schedule in schedules}
    for run in runs:
        schedule_id = by_prefix.get(run.idempotency_key[:RUN_PREFIX_LENGTH])
        if schedule_id is not None:
            by_schedule[schedule_id].append(run)
    return by_schedule


@dataclass
class ScheduleShown:
    """A schedule with what its readers show: timing, state, next and last run, recent runs."""

    schedule: PatternSchedule
    timing: Timing
    enabled: bool
    next_run_at: datetime | None
    recent_runs: list[Execution]

    @property
    def last_run_at(self) -> datetime | None:
        return self.recent_runs[0].created_at if self.recent_runs else None


def shown_schedules(
    user, schedules: list[PatternSchedule], *, limit: int = RECENT_RUNS
) -> list[ScheduleShown]:
    """Return each schedule with its timing, next run and recent runs (one query for the runs)."""
    now = timezone.now()
    runs = recent_runs_of(user, schedules, limit=limit)
    return [
        ScheduleShown(
            schedule=schedule,
            timing=timing_of(schedule),
            enabled=is_enabled(schedule),
            next_run_at=next_run_at(schedule, now=now),
            recent_runs=runs.get(schedule.pk, []),
        )
        for schedule in schedules
    ]
