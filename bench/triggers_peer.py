"""The triggers bench's peer: a plain Celery task, sent in the event's ``on_commit``, that
records when it started running. Workers load it with ``--include``."""

from __future__ import annotations

import json
import os
import time

import redis
from celery import shared_task

PEER_TASK = "bench.triggers_peer.started"
STARTED_KEY = "nexus-bench-triggers:peer-started"


def store() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


@shared_task(name=PEER_TASK)
def started(token: int) -> None:
    """Record that the task for ``token`` started, and when (wall clock)."""
    store().rpush(STARTED_KEY, json.dumps([token, time.time()]))
