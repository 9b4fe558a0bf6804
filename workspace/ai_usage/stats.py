"""Usage statistics over the interactions a user may see, grouped by model, module, user, day
(UTC) or project.

Percentiles follow PostgreSQL's ``percentile_cont``: the value at position p x (n - 1) of the
sorted latencies, interpolated linearly between its neighbours. On PostgreSQL the database
computes them (``PercentileCont``); on SQLite, which lacks the function, Python computes them
with the same definition, so both backends answer the same numbers (rounded to 3 places).

A range that covers days already rolled up (workspace.ai_usage.rollups) reads those whole days
from the rollups and only the rest (today, a partial first or last day) from raw rows: counts,
tokens, cost and error rates stay exact; percentiles then come from merged latency
histograms, within 1 % of the exact ones (exact up to 100 ms; workspace.ai_usage.latency).
Whoever sees everything reads the rollups of the grain of their grouping; anyone else the
per-user-and-project rollups under the same visibility rule as the raw rows.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    TextField,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import ValidationError
from projects.models import Project
from workspace.ai_usage import latency, rollups, selectors
from workspace.ai_usage.models import (
    COST_PLACES,
    AIInteraction,
    InteractionStatus,
    RollupGrain,
)

GROUPS = ("model", "module", "user", "day", "project")
PERCENTILES = {"p50": 0.5, "p95": 0.95}
PERCENTILE_PLACES = 3
RATE_PLACES = 4
QUANTUM = Decimal(1).scaleb(-COST_PLACES)


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(ARRAY[fractions]) WITHIN GROUP (ORDER BY expression)``:
    several percentiles from one sort of the group's values (one per aggregate otherwise)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = ArrayField(FloatField())
    template = (
        "%(function)s(ARRAY[%(fractions)s]::double precision[]) "
        "WITHIN GROUP (ORDER BY %(expressions)s)"
    )

    def __init__(self, expression, fractions: tuple[float, ...], **extra):
        fractions = tuple(float(fraction) for fraction in fractions)
        if not fractions or not all(0 <= fraction <= 1 for fraction in fractions):
            raise ValueError("fractions must be between 0 and 1")
        super().__init__(
            expression, fractions=", ".join(repr(fraction) for fraction in fractions), **extra
        )


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """Return ``percentile_cont(fraction)`` of ``values`` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def in_database() -> bool:
    return connection.vendor == "postgresql"


def key_expression(group_by: str):
    if group_by == "day":
        return TruncDate("occurred_at", tzinfo=UTC)
    if group_by in ("user", "project"):
        return F(f"{group_by}_id")
    return F(group_by)


def figures() -> dict:
    """Return the additive aggregate expressions of a group."""
    return {
        "count": Count("id"),
        "input": Coalesce(Sum("input_tokens"), 0),
        "output": Coalesce(Sum("output_tokens"), 0),
        "cached": Coalesce(Sum("cached_tokens"), 0),
        "cost": Sum("cost"),
        "errors": Count("id", filter=Q(status=InteractionStatus.ERROR)),
    }


def totals_of(grouped: list[dict]) -> dict:
    """Return the additive figures of all groups together (no second pass over the rows)."""
    totals = {name: sum(values[name] or 0 for values in grouped) for name in figures()}
    totals["cost"] = sum((values["cost"] or Decimal(0) for values in grouped), Decimal(0))
    return totals


def spread(values: dict, percentiles: list[float] | None) -> None:
    """Set the named percentiles in ``values`` from PostgreSQL's array answer."""
    for position, name in enumerate(PERCENTILES):
        values[name] = percentiles[position] if percentiles else None


@dataclass
class Row:
    key: object
    label: str
    count: int
    input: int
    output: int
    cached: int
    cost: Decimal
    errors: int
    latencies: dict[str, float | None] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "count": self.count,
            "tokens": {"input": self.input, "output": self.output, "cached": self.cached},
            "cost": self.cost,
            "p50_latency_ms": self.latencies.get("p50"),
            "p95_latency_ms": self.latencies.get("p95"),
            "error_rate": round(self.errors / self.count, RATE_PLACES) if self.count else 0.0,
        }


def rounded(value) -> float | None:
    return None if value is None else round(float(value), PERCENTILE_PLACES)


def row_from(values: dict, key, label: str) -> Row:
    return Row(
        key=key,
        label=label,
        count=values["count"],
        input=int(values["input"]),
        output=int(values["output"]),
        cached=int(values["cached"]),
        cost=(values["cost"] or Decimal(0)).quantize(QUANTUM),
        errors=values["errors"],
        latencies={name: rounded(values.get(name)) for name in PERCENTILES},
    )


def labels_for(group_by: str, keys: list) -> dict:
    """Return a readable label per key: a user's email, a project's name."""
    ids = [key for key in keys if key is not None]
    if group_by == "user":
        return {pk: user.email for pk, user in selectors.users_by_id(ids).items()}
    if group_by == "project":
        return dict(Project.objects.filter(pk__in=ids).values_list("pk", "name"))
    return {}


def key_text(group_by: str, key) -> object:
    if key is None:
        return None
    if group_by == "day":
        return key.isoformat()
    if group_by in ("user", "project"):
        return str(key)
    return key


def interaction_stats(user, *, group_by: str, time_range: selectors.TimeRange) -> dict:
    """Return the figures of ``user``'s visible interactions in the range, per group and in all.

    Groups come in key order for ``day``, else by cost, highest first (then key).
    """
    if group_by not in GROUPS:
        raise ValidationError(
            details={"group_by": [str(_("Choose one of: %s.") % ", ".join(GROUPS))]}
        )
    visible = selectors.visibility_filter(user)
    piece = rollups.split(time_range.start, time_range.end, rollups.watermark())
    if piece.rolled:
        grouped, totals = mixed_figures(user, visible, group_by, piece)
    else:
        grouped, totals = raw_figures(
            time_range.apply(AIInteraction.objects.filter(visible).order_by()), group_by
        )
    labels = labels_for(group_by, [values["group_key"] for values in grouped])
    rows = [
        row_from(
            values,
            key_text(group_by, values["group_key"]),
            str(labels.get(values["group_key"], "")),
        )
        for values in grouped
    ]
    if group_by == "day":
        rows.sort(key=lambda row: row.key)
    else:
        rows.sort(key=lambda row: (-row.cost, str(row.key or "")))
    return {
        "group_by": group_by,
        "from": time_range.start,
        "to": time_range.end,
        "groups": [row.as_dict() for row in rows],
        "totals": row_from(totals, None, "").as_dict(),
    }


def add_python_percentiles(base: QuerySet, group_by: str, grouped: list, totals: dict) -> None:
    """Compute the latency percentiles in Python (SQLite has no ``percentile_cont``)."""
    latencies: dict[object, list[int]] = defaultdict(list)
    everything: list[int] = []
    for key, latency_ms in (
        base.annotate(group_key=key_expression(group_by))
        .values_list("group_key", "latency_ms")
        .iterator()
    ):
        latencies[key].append(latency_ms)
        everything.append(latency_ms)
    for values in grouped:
        for name, fraction in PERCENTILES.items():
            values[name] = percentile_cont(latencies[values["group_key"]], fraction)
    for name, fraction in PERCENTILES.items():
        totals[name] = percentile_cont(everything, fraction)


def raw_figures(base: QuerySet, group_by: str) -> tuple[list[dict], dict]:
    """Return the figures per group and in all of raw rows, with exact percentiles."""
    database = in_database()
    aggregates = figures()
    if database:
        aggregates["percentiles"] = PercentileCont("latency_ms", tuple(PERCENTILES.values()))
    grouped = list(
        base.annotate(group_key=key_expression(group_by))
        .values("group_key")
        .annotate(**aggregates)
        .order_by()
    )
    totals = totals_of(grouped)
    if database:
        for values in grouped:
            spread(values, values.pop("percentiles"))
        # The totals' percentiles need every latency again: one more sort, nothing else.
        everything = base.aggregate(percentiles=aggregates["percentiles"])["percentiles"]
        spread(totals, everything)
    else:
        add_python_percentiles(base, group_by, grouped, totals)
    return grouped, totals


# --- ranges that cover rolled-up days ------------------------------------------------------


class LatencyBucket(Func):
    """The histogram bucket of a latency (PostgreSQL; latency.bucket_of, in SQL)."""

    output_field = IntegerField()
    exact, log_gamma = latency.EXACT_UP_TO, repr(latency.LOG_GAMMA)
    template = (
        f"(CASE WHEN %(expressions)s <= {exact} THEN %(expressions)s ELSE {exact} + "
        f"GREATEST(CEIL(LN(%(expressions)s::double precision / {exact}) / {log_gamma}), 1)"
        "::integer END)"
    )


def rollup_key(group_by: str):
    if group_by in ("user", "project"):
        return F(f"{group_by}_id")
    return F(group_by)


def rollup_figures() -> dict:
    return {
        "count": Coalesce(Sum("count"), 0),
        "input": Coalesce(Sum("input_tokens"), 0),
        "output": Coalesce(Sum("output_tokens"), 0),
        "cached": Coalesce(Sum("cached_tokens"), 0),
        "cost": Sum("cost"),
        "errors": Coalesce(Sum("errors"), 0),
        "rows": Count("id"),
    }


# Up to this many rollup rows, their histograms are merged in Python (one JSON document per
# row, each group's usually a single row: nothing for SQL to reduce); beyond, in SQL.
PYTHON_MERGE_ROWS = 2_000


def mixed_figures(user, visible: Q, group_by: str, piece: rollups.Split) -> tuple[list, dict]:
    """Return the figures per group and in all: rolled-up days from rollups, the rest from raw
    rows; percentiles from the merged latency histograms."""
    by_day = group_by == "day"
    if selectors.sees_everything(user):
        rolled = rollups.rollups_in(piece, group_by, by_day=by_day)
    else:
        rolled = rollups.rollups_in(piece, RollupGrain.SCOPE, by_day=by_day).filter(visible)
    rolled = rolled.annotate(group_key=rollup_key(group_by))
    raw = AIInteraction.objects.filter(visible, piece.raw).order_by()
    raw = raw.annotate(group_key=key_expression(group_by))
    groups: dict[object, dict] = {}
    rolled_rows = 0
    for part in (
        rolled.values("group_key").annotate(**rollup_figures()).order_by(),
        raw.values("group_key").annotate(**figures()).order_by(),
    ):
        for values in part:
            rolled_rows += values.get("rows", 0)
            if not values["count"]:
                continue
            merged = groups.setdefault(values["group_key"], {"group_key": values["group_key"]})
            for name in figures():
                merged[name] = (merged.get(name) or 0) + (values[name] or 0)
    in_sql = in_database() and rolled_rows > PYTHON_MERGE_ROWS
    histograms, everything = histograms_of(rolled, raw, rolled_in_sql=in_sql)
    grouped = list(groups.values())
    totals = totals_of(grouped)
    for values in grouped:
        spread_estimates(values, histograms.get(as_text(values["group_key"]), {}))
    spread_estimates(totals, everything)
    return grouped, totals


def spread_estimates(values: dict, histogram: latency.Histogram) -> None:
    """Set the named percentiles in ``values`` from a latency histogram."""
    estimates = latency.percentiles(histogram, PERCENTILES.values())
    for name, estimate in zip(PERCENTILES, estimates, strict=True):
        values[name] = estimate


# Per group and, in the same pass, for all groups together (GROUPING(...) = 1).
ROLLED_HISTOGRAMS = """
SELECT GROUPING(rolled.group_key), rolled.group_key::text, bucket.key::integer,
       SUM(bucket.value::bigint)::bigint
FROM ({rolled}) AS rolled, jsonb_each_text(rolled.latency) AS bucket
GROUP BY GROUPING SETS ((rolled.group_key, bucket.key), (bucket.key))
"""


def histograms_of(
    rolled: QuerySet, raw: QuerySet, *, rolled_in_sql: bool
) -> tuple[dict[str | None, latency.Histogram], latency.Histogram]:
    """Return the latency histogram of each group (by the key as text: cheaper to hash than
    UUIDs, the same for every key type) and of all groups, from the rollups (merged in SQL
    when ``rolled_in_sql``, else in Python) and the raw rows."""
    groups: dict[str | None, latency.Histogram] = defaultdict(dict)
    everything: latency.Histogram = {}

    def add(key: str | None, bucket: int, count: int) -> None:
        histogram = groups[key]
        histogram[bucket] = histogram.get(bucket, 0) + count
        everything[bucket] = everything.get(bucket, 0) + count

    if rolled_in_sql:
        query, params = rolled.values("group_key", "latency").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(ROLLED_HISTOGRAMS.format(rolled=query), params)
            for whole, key, bucket, count in cursor.fetchall():
                if whole:
                    everything[bucket] = everything.get(bucket, 0) + count
                else:
                    histogram = groups[key]
                    histogram[bucket] = histogram.get(bucket, 0) + count
    else:
        for key, counts in rolled.values_list("group_key", "latency").iterator():
            histogram = groups[as_text(key)]
            for bucket, count in counts.items():
                bucket = int(bucket)
                histogram[bucket] = histogram.get(bucket, 0) + count
                everything[bucket] = everything.get(bucket, 0) + count
    if in_database():
        raw_buckets = (
            raw.annotate(
                key_text=Cast("group_key", TextField()), bucket=LatencyBucket("latency_ms")
            )
            .values_list("key_text", "bucket")
            .annotate(n=Count("id"))
            .order_by()
        )
        for key, bucket, count in raw_buckets:
            add(key, bucket, count)
    else:
        for key, latency_ms in raw.values_list("group_key", "latency_ms").iterator():
            add(as_text(key), latency.bucket_of(latency_ms), 1)
    return groups, everything


def as_text(key) -> str | None:
    return None if key is None else str(key)
