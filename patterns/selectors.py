"""Every read of patterns on behalf of a user: access first, then what callers need.

Staff see every pattern and execution. Everyone else sees the system and composite patterns
and their own user patterns, and the executions they started.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from nexus_site.definitions.enums import Role
from nexus_site.queries import first_or_none
from patterns.models import (
    FINISHED_STATUSES,
    Execution,
    ExecutionRollup,
    ExecutionStatus,
    Pattern,
    PatternVersion,
    StepRun,
    StepStatus,
)
from workspace.ai_usage.latency import histogram_of, merge_into, percentiles

# PositiveIntegerField's ceiling on every database we run on; larger numbers name nothing.
MAX_VERSION_NUMBER = 2_147_483_647


def sees_all(user) -> bool:
    return bool(user.is_staff or getattr(user, "role", None) == Role.ADMIN)


def patterns_visible_to(user) -> QuerySet[Pattern]:
    """Return the patterns ``user`` may see and run."""
    patterns = Pattern.objects.select_related("owner")
    if not getattr(user, "is_authenticated", False):
        return patterns.none()
    if sees_all(user):
        return patterns
    return patterns.filter(Q(owner__isnull=True) | Q(owner=user))


def pattern_visible(user, key: str) -> Pattern | None:
    """Return the pattern ``key`` if ``user`` may see it."""
    if not isinstance(key, str):
        return None
    return patterns_visible_to(user).filter(key=key).first()


def versions_of(pattern: Pattern) -> QuerySet[PatternVersion]:
    return pattern.versions.select_related("author").order_by("-number")


def version_of(pattern: Pattern, number: int) -> PatternVersion | None:
    """Return version ``number`` of a visible pattern; None also beyond the column's range."""
    if not 1 <= number <= MAX_VERSION_NUMBER:
        return None
    return versions_of(pattern).select_related("pattern").filter(number=number).first()


def executions_visible_to(user) -> QuerySet[Execution]:
    """Return the executions ``user`` may see, with what their serializers read."""
    executions = Execution.objects.select_related("pattern", "version", "started_by").defer(
        "version__definition"
    )
    if not getattr(user, "is_authenticated", False):
        return executions.none()
    if sees_all(user):
        return executions
    return executions.filter(started_by=user)


def execution_visible(user, execution_id: Any) -> Execution | None:
    """Return the execution if ``user`` may see it, with its steps and their child runs loaded."""
    children = Prefetch(
        "steps__child_executions", queryset=Execution.objects.only("id", "parent_step_id")
    )
    return first_or_none(
        executions_visible_to(user)
        .select_related("parent_step")
        .prefetch_related("steps", children),
        execution_id,
    )


def percentile(values: list[float], fraction: float) -> float | None:
    """Return the ``fraction`` percentile of ``values`` (linear interpolation), None if empty."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def pattern_stats(pattern: Pattern, *, user=None, version: int | None = None) -> dict[str, Any]:
    """Return runs, success rate, p50/p95 duration (ms) and failures by step, per version too.

    Over the runs ``user`` may see: staff see everyone's, anyone else their own (a system
    pattern is run by everybody, and its figures would tell what others do). Without a user
    (operators' commands), over every run. Runs purged by retention count through their
    rollups (``patterns.retention``).
    """
    executions = Execution.objects.filter(pattern=pattern)
    rollups = ExecutionRollup.objects.filter(pattern=pattern)
    if user is not None and not sees_all(user):
        executions = executions.filter(started_by=user)
        rollups = rollups.filter(started_by=user)
    if version is not None:
        executions = executions.filter(version__number=version)
        rollups = rollups.filter(version_number=version)
    rows = list(
        executions.filter(status__in=FINISHED_STATUSES).values_list(
            "version__number", "status", "started_at", "finished_at"
        )
    )
    failures = Counter(
        StepRun.objects.filter(execution__in=executions, status=StepStatus.FAILED).values_list(
            "step_id", flat=True
        )
    )
    tallies: dict[int, Tally] = {}
    for number, status, started, finished in rows:
        tallies.setdefault(number, Tally()).add_run(status, started, finished)
    for rollup in rollups:
        tallies.setdefault(rollup.version_number, Tally()).add_rollup(rollup)
        failures.update(rollup.failures)
    total = Tally()
    for tally in tallies.values():
        total.merge(tally)
    return {
        "pattern": pattern.key,
        **total.summary(),
        "running": executions.filter(
            status__in=[ExecutionStatus.PENDING, ExecutionStatus.RUNNING]
        ).count(),
        "failures_by_step": dict(sorted(failures.items(), key=lambda item: (-item[1], item[0]))),
        "versions": [
            {"version": number, **tally.summary()}
            for number, tally in sorted(tallies.items(), reverse=True)
        ],
    }


@dataclass
class Tally:
    """Runs of one version (or all): exact durations of the runs still kept, and the
    histogram, counts and sum of those purged into rollups."""

    runs: int = 0
    succeeded: int = 0
    durations: list[float] = field(default_factory=list)
    histogram: dict[int, int] = field(default_factory=dict)
    rolled_count: int = 0
    rolled_sum: float = 0.0

    def add_run(self, status: str, started, finished) -> None:
        self.runs += 1
        self.succeeded += status == ExecutionStatus.SUCCEEDED
        if started is not None and finished is not None:
            self.durations.append((finished - started).total_seconds() * 1000)

    def add_rollup(self, rollup: ExecutionRollup) -> None:
        self.runs += rollup.runs
        self.succeeded += rollup.succeeded
        merge_into(self.histogram, rollup.durations)
        self.rolled_count += rollup.duration_count
        self.rolled_sum += rollup.duration_sum_ms

    def merge(self, other: Tally) -> None:
        self.runs += other.runs
        self.succeeded += other.succeeded
        self.durations += other.durations
        merge_into(self.histogram, other.histogram)
        self.rolled_count += other.rolled_count
        self.rolled_sum += other.rolled_sum

    def summary(self) -> dict[str, Any]:
        if self.histogram:  # some runs are rollups: percentiles from the merged histogram
            merged = merge_into(
                dict(self.histogram), histogram_of(round(d) for d in self.durations)
            )
            p50, p95 = percentiles(merged, [0.5, 0.95])
        else:
            p50, p95 = percentile(self.durations, 0.5), percentile(self.durations, 0.95)
        count = len(self.durations) + self.rolled_count
        mean = (sum(self.durations) + self.rolled_sum) / count if count else None
        return {
            "runs": self.runs,
            "succeeded": self.succeeded,
            "success_rate": round(self.succeeded / self.runs, 4) if self.runs else None,
            "p50_ms": None if p50 is None else round(p50, 3),
            "p95_ms": None if p95 is None else round(p95, 3),
            "mean_ms": None if mean is None else round(mean, 3),
        }
