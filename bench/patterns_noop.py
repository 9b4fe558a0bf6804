"""What the patterns bench runs on both sides: a step type that does nothing, and a Celery
task that does nothing (the peer's chain links). Workers load it with ``--include``."""

from __future__ import annotations

import os
from typing import Any

from celery import shared_task

from patterns.steps import StepType, register

NOOP_STEP = "bench.noop"
NOOP_TASK = "bench.patterns_noop.noop"
DONE_KEY = "nexus-bench-patterns:chains-done"


def run_noop(context, parameters: dict[str, Any]) -> dict[str, Any]:
    return {}


register(
    StepType(
        name=NOOP_STEP,
        description="Do nothing (benchmark).",
        schema={"type": "object", "additionalProperties": False},
        run=run_noop,
        # It changes nothing, so the engine may run it with its neighbours in one transaction;
        # BENCH_NOOP_CHANGES_DATA=1 measures the path of data-changing steps instead.
        changes_data=os.environ.get("BENCH_NOOP_CHANGES_DATA") == "1",
    )
)


@shared_task(name=NOOP_TASK)
def noop(last: bool = False) -> None:
    """Do nothing; the last link of a chain counts the chain as done, in Redis."""
    if last:
        done_counter().incr(DONE_KEY)


_redis = None


def done_counter():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(os.environ["REDIS_URL"])
    return _redis
