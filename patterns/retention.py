"""Purging finished runs past ``PATTERNS_EXECUTION_RETENTION_DAYS``, keeping their statistics.

A beat sweep (``nexus_site.retention``) calls ``executions_purge`` with its batch size and
deadline. Each batch is one transaction: it takes the oldest finished top-level runs past the
keep time (``SKIP LOCKED``, so it never waits on a run in use), with the runs their
``pattern.run`` steps started, folds each into its ``ExecutionRollup`` (per pattern, version
and person), and deletes them; their step runs, signals and child runs go with them. A trigger
firing keeps its row without the run. ``patterns.selectors.pattern_stats`` adds the rollups to
what is still there, so the figures do not change when runs are purged (percentiles: within
1 % above 100 ms).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db import connection, transaction

from nexus_site.retention import Sweep, keep_days
from patterns.models import (
    FINISHED_STATUSES,
    Execution,
    ExecutionRollup,
    ExecutionStatus,
    StepRun,
    StepStatus,
)
from workspace.ai_usage.latency import as_json, histogram_of, merge_into

Key = tuple[Any, int, Any]  # pattern id, version number, started_by id


def duration_ms(started, finished) -> float | None:
    if started is None or finished is None:
        return None
    return (finished - started).total_seconds() * 1000


def with_children(ids: list) -> list:
    """``ids`` and every run their composite steps started, however deep."""
    found, frontier = list(ids), list(ids)
    while frontier:
        frontier = list(
            Execution.objects.filter(parent_step__execution__in=frontier).values_list(
                "pk", flat=True
            )
        )
        found += frontier
    return found


def fold(ids: list) -> int:
    """Add the runs ``ids`` to their rollups; return how many rollups changed."""
    rows = Execution.objects.filter(pk__in=ids).values_list(
        "pk",
        "pattern_id",
        "version__number",
        "started_by_id",
        "status",
        "started_at",
        "finished_at",
    )
    runs: dict[Key, list[tuple[str, float | None]]] = defaultdict(list)
    key_of: dict[Any, Key] = {}
    for pk, pattern_id, number, started_by, status, started, finished in rows:
        key = (pattern_id, number, started_by)
        key_of[pk] = key
        runs[key].append((status, duration_ms(started, finished)))
    failures: dict[Key, Counter] = defaultdict(Counter)
    for execution_id, step_id in StepRun.objects.filter(
        execution__in=ids, status=StepStatus.FAILED
    ).values_list("execution_id", "step_id"):
        failures[key_of[execution_id]][step_id] += 1
    for key, items in runs.items():
        pattern_id, number, started_by = key
        rollup = (
            ExecutionRollup.objects.select_for_update()
            .filter(pattern_id=pattern_id, version_number=number, started_by_id=started_by)
            .first()
        ) or ExecutionRollup(pattern_id=pattern_id, version_number=number, started_by_id=started_by)
        durations = [ms for _status, ms in items if ms is not None]
        rollup.runs += len(items)
        rollup.succeeded += sum(1 for status, _ms in items if status == ExecutionStatus.SUCCEEDED)
        rollup.duration_count += len(durations)
        rollup.duration_sum_ms += sum(durations)
        rollup.durations = as_json(
            merge_into(
                merge_into({}, rollup.durations),
                histogram_of(round(ms) for ms in durations),
            )
        )
        rollup.failures = dict(Counter(rollup.failures) + failures[key])
        rollup.save()
    return len(runs)


def executions_purge(sweep: Sweep) -> int:
    """Fold and delete the finished runs past their keep time, a batch per transaction."""
    cutoff = sweep.cutoff(keep_days("PATTERNS_EXECUTION_RETENTION_DAYS"))
    if cutoff is None:
        return 0
    deleted = 0
    while not sweep.out_of_time:
        with transaction.atomic():
            old = Execution.objects.filter(
                parent_step__isnull=True, status__in=FINISHED_STATUSES, finished_at__lt=cutoff
            ).order_by("finished_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                old = old.select_for_update(skip_locked=True)
            batch = list(old.values_list("pk", flat=True)[: sweep.batch_size])
            if not batch:
                break
            every = with_children(batch)
            fold(every)
            Execution.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
        if len(batch) < sweep.batch_size:
            break
    return deleted
