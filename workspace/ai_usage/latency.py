"""Latency histograms: the mergeable form of latencies that daily rollups keep, and the
percentiles read back from them.

Pure: integers in, integers and floats out, tested without a database.

Buckets: a latency of at most ``EXACT_UP_TO`` ms is its own bucket (its value is exact);
above it, bucket ``EXACT_UP_TO + k`` (k >= 1) holds the latencies in
(``EXACT_UP_TO`` x GAMMA^(k-1), ``EXACT_UP_TO`` x GAMMA^k], with GAMMA = (1 + ALPHA) / (1 - ALPHA),
and stands for 2 x ``EXACT_UP_TO`` x GAMMA^k / (GAMMA + 1), which is within ALPHA (1 %) of
every latency in it (DDSketch's mapping). A percentile read from a histogram follows
``percentile_cont`` (stats.py): the interpolation between the order statistics at positions
floor and ceil of p x (n - 1), each replaced by its bucket's value. Both are within ALPHA of
the true ones, so the answer is within ALPHA x the exact percentile (exact at or under
``EXACT_UP_TO`` ms). A histogram is a dict ``{bucket: count}``; JSON keeps its keys as text.
"""

import math
from collections.abc import Iterable, Mapping

ALPHA = 0.01
GAMMA = (1 + ALPHA) / (1 - ALPHA)
LOG_GAMMA = math.log(GAMMA)
EXACT_UP_TO = 100

Histogram = dict[int, int]


def bucket_of(latency_ms: int) -> int:
    """Return the bucket of one latency (milliseconds, not negative)."""
    if latency_ms <= EXACT_UP_TO:
        return max(int(latency_ms), 0)
    return EXACT_UP_TO + max(math.ceil(math.log(latency_ms / EXACT_UP_TO) / LOG_GAMMA), 1)


def value_of(bucket: int) -> float:
    """Return the latency a bucket stands for."""
    if bucket <= EXACT_UP_TO:
        return float(bucket)
    return 2 * EXACT_UP_TO * GAMMA ** (bucket - EXACT_UP_TO) / (GAMMA + 1)


def histogram_of(latencies: Iterable[int]) -> Histogram:
    """Return the histogram of some latencies."""
    counts: Histogram = {}
    for latency in latencies:
        bucket = bucket_of(latency)
        counts[bucket] = counts.get(bucket, 0) + 1
    return counts


def merge_into(total: Histogram, other: Mapping) -> Histogram:
    """Add ``other`` (keys may be text, as read from JSON) to ``total``; return ``total``."""
    for bucket, count in other.items():
        bucket = int(bucket)
        total[bucket] = total.get(bucket, 0) + int(count)
    return total


def as_json(histogram: Histogram) -> dict[str, int]:
    """Return the histogram as stored: text keys in bucket order, no empty buckets."""
    return {str(bucket): histogram[bucket] for bucket in sorted(histogram) if histogram[bucket]}


def percentiles(histogram: Histogram, fractions: Iterable[float]) -> list[float | None]:
    """Return ``percentile_cont`` of each fraction estimated from a histogram (integer
    buckets, as ``merge_into`` leaves them; None when empty), with one pass over its sorted
    buckets."""
    ordered = sorted(histogram.items())
    total = sum(histogram.values())
    fractions = list(fractions)
    if not total:
        return [None for _fraction in fractions]
    # The ranks each fraction needs (0-based), and the bucket value found at each.
    positions = [fraction * (total - 1) for fraction in fractions]
    wanted = sorted(
        {rank for position in positions for rank in (math.floor(position), math.ceil(position))}
    )
    found: dict[int, float] = {}
    seen, index = 0, 0
    for bucket, count in ordered:
        seen += count
        while index < len(wanted) and wanted[index] < seen:
            found[wanted[index]] = value_of(bucket)
            index += 1
        if index == len(wanted):
            break
    answers = []
    for position in positions:
        low, high = found[math.floor(position)], found[math.ceil(position)]
        answers.append(low + (high - low) * (position - math.floor(position)))
    return answers


def percentile(histogram: Histogram, fraction: float) -> float | None:
    """Return ``percentile_cont(fraction)`` estimated from a histogram (None when empty)."""
    return percentiles(histogram, [fraction])[0]
