"""Queueing a run for a worker: the run task sent by its name.

Services (a person starts or cancels a run), the executor (a run waits for a later time) and
beat's reclaim task all queue runs through here. The task is named, not imported, so none of
them imports the module that defines it (``patterns.tasks``), which imports the executor.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.conf import settings

from nexus_site.outages import OUTAGE_ERRORS

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
        current_app.signature(RUN_TASK, args=[str(execution_id)]).apply_async(**options)
    except OUTAGE_ERRORS as exc:
        logger.warning(
            "Broker unavailable; execution %s is left to the reclaim task: %s", execution_id, exc
        )
        return False
    return True
