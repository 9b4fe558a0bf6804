"""Daily rollups of AI usage: what statistics and budgets read for whole days, so raw
interactions can be purged (workspace.ai_usage.retention) and a year of usage sums fast.

Every UTC day before the watermark (``AIUsageWatermark.rolled_up_before``) is in the rollups,
once per grain (models.RollupGrain): per user, project, model and module (``scope``, what a
user who sees only part of the usage reads), and per model, module, user, project and day
alone (what someone who sees everything reads: fewer rows). A beat task
(``roll_up``) rolls up each finished day after the watermark in one transaction that writes
its rows and moves the watermark past it; a day is rolled up from its raw rows once, so the
job is idempotent and may stop anywhere (time budget) and go on later. With a month's last
day, the month is rolled up too, from its day rows (every grain but ``day``): a range over
whole months reads a row per month and key instead of one per day.

A call recorded for a day already rolled up (a client may send an old ``occurred_at``) adds
its own rollup rows in the recording transaction (``interaction_rolled``). Locks make that
exact whatever the timing, on PostgreSQL: recording takes a shared advisory lock on its
day (and on the "first watermark" key) before it reads the watermark; rolling up a day takes
the day's lock exclusively before it reads the raw rows, so a recording in flight has either
committed (and is read) or sees the moved watermark afterwards (and adds its rows). A
recording also takes its month's last day shared, which the month's roll-up holds. SQLite
serialises writing transactions anyway.

Readers split a time range at the watermark (``split``): whole rolled-up days from the
rollups, the rest (today, partial first and last days) from raw rows.
"""

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone

from workspace.ai_usage import latency
from workspace.ai_usage.models import (
    AIInteraction,
    AIUsageRollup,
    AIUsageWatermark,
    InteractionStatus,
    RollupGrain,
    RollupSpan,
)

# First key of the advisory locks on days ("AIUS"); the second is the day's ordinal, and 0
# stands for the creation of the first watermark.
LOCK_CLASS = 0x41495553
FIRST_WATERMARK = 0
GRAIN_KEYS: dict[str, tuple[str, ...]] = {
    RollupGrain.SCOPE: ("user_id", "project_id", "model", "module"),
    RollupGrain.MODEL: ("model",),
    RollupGrain.MODULE: ("module",),
    RollupGrain.USER: ("user_id",),
    RollupGrain.PROJECT: ("project_id",),
    RollupGrain.DAY: (),
}
# The raw columns a rollup is computed from, in this order.
RAW_COLUMNS = (
    "user_id",
    "project_id",
    "model",
    "module",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cost",
    "status",
    "latency_ms",
)
READ_CHUNK = 5_000


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_last_day(day: date) -> date:
    return next_month(day) - timedelta(days=1)


def watermark() -> date | None:
    """Return the first day not rolled up (every day before it is); None before the first run."""
    return AIUsageWatermark.objects.filter(pk=1).values_list("rolled_up_before", flat=True).first()


def lock(*keys: int, shared: bool) -> None:
    """Take advisory locks on days (ordinals, or FIRST_WATERMARK) until the transaction ends."""
    if connection.vendor != "postgresql" or not keys:
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    calls = ", ".join(f"{function}(%s, %s)" for _key in keys)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", [value for key in keys for value in (LOCK_CLASS, key)])


# --- computing ------------------------------------------------------------------------------


@dataclass
class Figures:
    """The additive figures of some interactions and their latency histogram."""

    count: int = 0
    input: int = 0
    output: int = 0
    cached: int = 0
    cost: Decimal = Decimal(0)
    errors: int = 0
    histogram: latency.Histogram = field(default_factory=dict)

    def add(self, input_tokens, output_tokens, cached_tokens, cost, status, latency_ms) -> None:
        self.count += 1
        self.input += input_tokens
        self.output += output_tokens
        self.cached += cached_tokens
        self.cost += cost
        self.errors += status == InteractionStatus.ERROR
        bucket = latency.bucket_of(latency_ms)
        self.histogram[bucket] = self.histogram.get(bucket, 0) + 1

    def add_rollup(self, rollup: AIUsageRollup) -> None:
        self.count += rollup.count
        self.input += rollup.input_tokens
        self.output += rollup.output_tokens
        self.cached += rollup.cached_tokens
        self.cost += rollup.cost
        self.errors += rollup.errors
        latency.merge_into(self.histogram, rollup.latency)

    def rollup(self, **fields) -> AIUsageRollup:
        return AIUsageRollup(
            **fields,
            count=self.count,
            input_tokens=self.input,
            output_tokens=self.output,
            cached_tokens=self.cached,
            cost=self.cost,
            errors=self.errors,
            latency=latency.as_json(self.histogram),
        )


def rollups_of(day: date, rows: Iterable[tuple]) -> list[AIUsageRollup]:
    """Return the unsaved rollup rows of ``day`` for raw rows (values of RAW_COLUMNS)."""
    groups: dict[tuple, Figures] = {}
    for row in rows:
        values = dict(zip(RAW_COLUMNS[:4], row[:4], strict=True))
        measures = row[4:]
        for grain, keys in GRAIN_KEYS.items():
            key = (grain, *(values[name] for name in keys))
            figures = groups.get(key)
            if figures is None:
                figures = groups[key] = Figures()
            figures.add(*measures)
    return [
        figures.rollup(day=day, grain=grain, **dict(zip(GRAIN_KEYS[grain], key, strict=True)))
        for (grain, *key), figures in groups.items()
    ]


COPIED = (
    "grain",
    "user_id",
    "project_id",
    "model",
    "module",
    "count",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cost",
    "errors",
    "latency",
)


def as_month(rollups: list[AIUsageRollup]) -> list[AIUsageRollup]:
    """Return copies of day rollups as rows of their month (the ``day`` grain has none)."""
    return [
        AIUsageRollup(
            day=month_of(rollup.day),
            span=RollupSpan.MONTH,
            **{name: getattr(rollup, name) for name in COPIED},
        )
        for rollup in rollups
        if rollup.grain != RollupGrain.DAY
    ]


def raw_rows_of(day: date):
    return (
        AIInteraction.objects.filter(
            occurred_at__gte=start_of(day), occurred_at__lt=start_of(day + timedelta(days=1))
        )
        .order_by()
        .values_list(*RAW_COLUMNS)
        .iterator(chunk_size=READ_CHUNK)
    )


def day_roll_up(day: date) -> int:
    """Roll up ``day`` from its raw rows (replacing any rows it had), and its month when it is
    the month's last day, then move the watermark past it, in one transaction; return how
    many rollup rows it wrote."""
    with transaction.atomic():
        lock(day.toordinal(), shared=False)
        AIUsageRollup.objects.filter(span=RollupSpan.DAY, day=day).delete()
        rollups = rollups_of(day, raw_rows_of(day))
        AIUsageRollup.objects.bulk_create(rollups, batch_size=READ_CHUNK)
        written = len(rollups)
        if day == month_last_day(day):
            written += month_roll_up(month_of(day))
        AIUsageWatermark.objects.update_or_create(
            pk=1, defaults={"rolled_up_before": day + timedelta(days=1)}
        )
    return written


def month_roll_up(first: date) -> int:
    """Replace the month rows of the month starting ``first`` by the sums of its day rows;
    return how many were written. Called by ``day_roll_up`` with the month's last day locked."""
    AIUsageRollup.objects.filter(span=RollupSpan.MONTH, day=first).delete()
    groups: dict[tuple, Figures] = {}
    days = AIUsageRollup.objects.filter(
        span=RollupSpan.DAY, day__gte=first, day__lt=next_month(first)
    ).exclude(grain=RollupGrain.DAY)
    for rollup in days.order_by().iterator(chunk_size=READ_CHUNK):
        keys = GRAIN_KEYS[rollup.grain]
        key = (rollup.grain, *(getattr(rollup, name) for name in keys))
        groups.setdefault(key, Figures()).add_rollup(rollup)
    rollups = [
        figures.rollup(
            day=first,
            span=RollupSpan.MONTH,
            grain=grain,
            **dict(zip(GRAIN_KEYS[grain], key, strict=True)),
        )
        for (grain, *key), figures in groups.items()
    ]
    AIUsageRollup.objects.bulk_create(rollups, batch_size=READ_CHUNK)
    return len(rollups)


def first_watermark(today: date) -> date:
    """Create the watermark at the first day with raw rows (today without any); return it.

    Exclusive on the "first watermark" key: a recording in flight (holding it shared) has
    committed before the earliest day is read, or reads the new watermark afterwards.
    """
    with transaction.atomic():
        lock(FIRST_WATERMARK, shared=False)
        existing = watermark()
        if existing is not None:
            return existing
        earliest = AIInteraction.objects.aggregate(first=Min("occurred_at"))["first"]
        first = min(day_of(earliest), today) if earliest else today
        AIUsageWatermark.objects.create(pk=1, rolled_up_before=first)
    return first


def roll_up(*, now: datetime | None = None, budget_seconds: float | None = None) -> int:
    """Roll up the finished days after the watermark, oldest first, until ``budget_seconds``
    have passed (all of them without one); return how many days were rolled up."""
    today = day_of(now or timezone.now())
    started = time.monotonic()
    mark = watermark()
    if mark is None:
        mark = first_watermark(today)
    days = 0
    while mark < today:
        if budget_seconds is not None and time.monotonic() - started >= budget_seconds:
            break
        day_roll_up(mark)
        mark += timedelta(days=1)
        days += 1
    return days


def interaction_rolled(interaction: AIInteraction) -> bool:
    """Add ``interaction`` (just recorded) to the rollups when its day is already rolled up
    (and to its month's when that month is); return whether it was. Called in the recording
    transaction."""
    return interactions_rolled([interaction]) == 1


def interactions_rolled(interactions: list[AIInteraction]) -> int:
    """Add the interactions just written whose day is already rolled up to the rollups (and
    to their month's when that month is); return how many were. Called in the writing
    transaction (recording one call; a bulk write such as the demo's)."""
    days = sorted({day_of(interaction.occurred_at) for interaction in interactions})
    ends = {day.toordinal() for day in days} | {month_last_day(day).toordinal() for day in days}
    lock(FIRST_WATERMARK, *sorted(ends), shared=True)
    mark = watermark()
    if mark is None:
        return 0
    late = [interaction for interaction in interactions if day_of(interaction.occurred_at) < mark]
    rollups: list[AIUsageRollup] = []
    for day in sorted({day_of(interaction.occurred_at) for interaction in late}):
        rows = [
            tuple(getattr(interaction, name) for name in RAW_COLUMNS)
            for interaction in late
            if day_of(interaction.occurred_at) == day
        ]
        day_rollups = rollups_of(day, rows)
        rollups += day_rollups
        if next_month(day) <= mark:
            rollups += as_month(day_rollups)
    AIUsageRollup.objects.bulk_create(rollups, batch_size=READ_CHUNK)
    return len(late)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A time range cut at the watermark: whole rolled-up days [first_day, end_day) read from
    rollups (None when there are none), and the condition on raw rows for the rest."""

    first_day: date | None
    end_day: date | None
    rolled: bool
    raw: Q


def ceil_day(moment: datetime) -> date:
    day = day_of(moment)
    return day if start_of(day) == moment else day + timedelta(days=1)


def split(start: datetime | None, end: datetime | None, mark: date | None) -> Split:
    """Return how to read [start, end) (open ends allowed) given the watermark ``mark``."""
    everything = Q()
    if start is not None:
        everything &= Q(occurred_at__gte=start)
    if end is not None:
        everything &= Q(occurred_at__lt=end)
    if mark is None:
        return Split(None, None, False, everything)
    first_day = ceil_day(start) if start is not None else None
    end_day = min(day_of(end), mark) if end is not None else mark
    if first_day is not None and first_day >= end_day:
        return Split(None, None, False, everything)
    rolled_part = Q(occurred_at__lt=start_of(end_day))
    if first_day is not None:
        rolled_part &= Q(occurred_at__gte=start_of(first_day))
    return Split(first_day, end_day, True, everything & ~rolled_part)


def rollups_in(piece: Split, grain: str, *, by_day: bool = False):
    """Return the rollup rows of ``grain`` covering the rolled-up days of ``piece``: a row per
    month for its whole months (unless the caller groups ``by_day``), a row per day for the
    rest."""
    start, end = piece.first_day, piece.end_day
    rows = AIUsageRollup.objects.filter(grain=grain).order_by()
    days = Q(span=RollupSpan.DAY, day__lt=end)
    if start is not None:
        days &= Q(day__gte=start)
    if by_day or grain == RollupGrain.DAY:
        return rows.filter(days)
    months_from = None if start is None else start if start.day == 1 else next_month(start)
    months_to = month_of(end)
    if months_from is not None and months_from >= months_to:
        return rows.filter(days)
    months = Q(span=RollupSpan.MONTH, day__lt=months_to)
    outside = Q(day__gte=months_to)
    if months_from is not None:
        months &= Q(day__gte=months_from)
        outside |= Q(day__lt=months_from)
    return rows.filter(months | (days & outside))


def cost_by(scope: str, ids: list, start: datetime, end: datetime) -> dict:
    """Return the cost of [start, end) per user or project (``scope``) among ``ids``: rolled-up
    days from rollups, the rest from raw rows. Missing ids spent nothing."""
    piece = split(start, end, watermark())
    spent: dict = {}
    raw = (
        AIInteraction.objects.filter(piece.raw, **{f"{scope}_id__in": ids})
        .order_by()
        .values_list(f"{scope}_id")
        .annotate(total=Sum("cost"))
    )
    for pk, total in raw:
        spent[pk] = spent.get(pk, Decimal(0)) + (total or Decimal(0))
    if piece.rolled:
        rolled = (
            rollups_in(piece, scope)
            .filter(**{f"{scope}_id__in": ids})
            .values_list(f"{scope}_id")
            .annotate(total=Sum("cost"))
        )
        for pk, total in rolled:
            spent[pk] = spent.get(pk, Decimal(0)) + (total or Decimal(0))
    return spent
