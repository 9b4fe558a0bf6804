"""Prometheus metrics of every Nexus process (web, sockets, worker, beat), defined in one place.

Counters and histograms live in the process that observes them. With
``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn, daphne, Celery prefork: see docs/OPERATIONS.md)
prometheus_client writes them to files in that directory and ``/metrics`` aggregates all of
them; without it (tests, embedded) they stay in this process's default registry.

Gauges that describe shared state (runs waiting, queue depth, outbox lag, beat tick) are not
kept by any process: ``ScrapeCollector`` computes them from the database and Redis when
``/metrics`` is scraped.

What the core cannot see by itself is derived without touching the apps that own it: pattern
runs and steps, events written and lockouts from the committed events (``events_committed``,
a committed-events listener), lease reclaims and task latency from Celery's signals, login
failures from Django's ``user_login_failed``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from celery import current_app as celery_app
from celery import signals as celery_signals
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
QUERY_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)

# --- HTTP (nexus_site.middleware.RequestMetricsMiddleware) -------------------------------------

http_requests = Counter(
    "nexus_http_requests",
    "HTTP requests answered, by URL route template (not the raw path), method and status.",
    ["route", "method", "status"],
)
http_request_duration = Histogram(
    "nexus_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
http_request_queries = Histogram(
    "nexus_http_request_db_queries",
    "Database queries run while answering one HTTP request, by URL route template.",
    ["route"],
    buckets=QUERY_BUCKETS,
)

# --- Pattern runs (from committed events and Celery signals) -----------------------------------

pattern_runs_started = Counter(
    "nexus_pattern_runs_started", "Pattern runs started, by pattern key.", ["pattern"]
)
pattern_runs_succeeded = Counter(
    "nexus_pattern_runs_succeeded", "Pattern runs that succeeded, by pattern key.", ["pattern"]
)
pattern_runs_failed = Counter(
    "nexus_pattern_runs_failed", "Pattern runs that failed, by pattern key.", ["pattern"]
)
pattern_step_duration = Histogram(
    "nexus_pattern_step_duration_seconds",
    "Duration of a succeeded pattern step (from its first start), by step type.",
    ["step_type"],
    buckets=LATENCY_BUCKETS,
)
pattern_lease_reclaims = Counter(
    "nexus_pattern_lease_reclaims",
    "Pattern runs re-queued by the reclaim task because no live worker drove them.",
)

# --- Celery ------------------------------------------------------------------------------------

celery_task_duration = Histogram(
    "nexus_celery_task_duration_seconds",
    "Time a Celery task ran (prerun to postrun), by task name and final state.",
    ["task", "state"],
    buckets=TASK_BUCKETS,
)

# --- WebSockets (nexus_site.asgi.SocketMetricsMiddleware) --------------------------------------

websocket_connections = Gauge(
    "nexus_websocket_connections",
    "WebSocket connections open now, by route template.",
    ["route"],
    multiprocess_mode="livesum",
)
websocket_connections_opened = Counter(
    "nexus_websocket_connections_opened",
    "WebSocket connections accepted, by route template.",
    ["route"],
)
websocket_messages = Counter(
    "nexus_websocket_messages",
    "WebSocket frames, by route template and direction (in: from the client, out: to it).",
    ["route", "direction"],
)

# --- Events, accounts, AI usage ----------------------------------------------------------------

events_written = Counter(
    "nexus_events_written", "Events committed to the outbox, by event type.", ["type"]
)
login_failures = Counter(
    "nexus_login_failures", "Failed logins (wrong credentials or a locked account)."
)
login_lockouts = Counter("nexus_login_lockouts", "Accounts locked after too many failed logins.")
ai_cost = Counter("nexus_ai_cost", "Cost of the recorded AI interactions, by model.", ["model"])
ai_interactions = Counter("nexus_ai_interactions", "AI interactions recorded, by model.", ["model"])


def multiprocess_dir() -> str:
    """Return the multiprocess directory, empty when every process keeps its own registry."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()


# --- Scrape -------------------------------------------------------------------------------------


def runs_waiting() -> int:
    """Return the top-level pattern runs no worker drives now: pending, or running unleased."""
    Execution = apps.get_model("patterns", "Execution")
    now = timezone.now()
    return (
        Execution.objects.filter(parent_step__isnull=True)
        .filter(
            Q(status="pending")
            | Q(status="running", lease_owner="")
            | Q(status="running", lease_expires_at__lt=now)
        )
        .count()
    )


def outbox_lag() -> int:
    """Return how many events the slowest registered cursor is behind the newest one."""
    from nexus_site.events.models import Event
    from nexus_site.events.retention import retention_floor

    newest = Event.objects.aggregate(newest=Max("id"))["newest"] or 0
    floor = retention_floor()
    if floor is None:
        return 0
    return max(newest - floor + 1, 0)


def queue_names() -> list[str]:
    """Return the configured Celery queue names."""
    names = [settings.CELERY_TASK_DEFAULT_QUEUE]
    for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ():
        name = getattr(queue, "name", queue)
        if name not in names:
            names.append(name)
    return names


# kombu's Redis transport keeps priorities 3, 6 and 9 in lists named after the queue.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)


def queue_depths() -> dict[str, int]:
    """Return how many messages wait in each configured queue (0 when tasks run eagerly)."""
    names = queue_names()
    broker = str(celery_app.conf.broker_url or "")
    if celery_app.conf.task_always_eager or not broker.startswith(("redis://", "rediss://")):
        return dict.fromkeys(names, 0)
    import redis

    client = redis.Redis.from_url(broker, socket_timeout=2, socket_connect_timeout=2)
    try:
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.llen(name)
            for step in PRIORITY_STEPS:
                pipe.llen(f"{name}{PRIORITY_SEPARATOR}{step}")
        lengths = pipe.execute()
    finally:
        client.close()
    per_queue = 1 + len(PRIORITY_STEPS)
    return {
        name: sum(lengths[index * per_queue : (index + 1) * per_queue])
        for index, name in enumerate(names)
    }


class ScrapeCollector(Collector):
    """Gauges of shared state, computed when scraped; one that cannot be read is left out."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.measure(
            "nexus_pattern_runs_waiting",
            "Top-level pattern runs waiting for a worker: pending, or running without a live "
            "lease.",
            runs_waiting,
        )
        yield from self.measure(
            "nexus_events_outbox_lag",
            "Events written after the position of the slowest outbox cursor (triggers, "
            "notifications).",
            outbox_lag,
        )
        yield from self.measure_queues()
        yield from self.measure(
            "nexus_beat_seconds_since_last_tick",
            "Seconds since Celery beat last ticked (absent when it never ticked).",
            self.beat_age,
        )

    @staticmethod
    def beat_age() -> float | None:
        from nexus_site.beat import seconds_since_last_tick

        return seconds_since_last_tick()

    def measure(self, name: str, documentation: str, read) -> Iterator[GaugeMetricFamily]:
        try:
            value = read()
        except Exception as exc:  # a scrape must answer even when the database or cache is down
            logger.warning("Could not measure %s: %s", name, exc)
            return
        if value is not None:
            yield GaugeMetricFamily(name, documentation, value=value)

    def measure_queues(self) -> Iterator[GaugeMetricFamily]:
        try:
            depths = queue_depths()
        except Exception as exc:
            logger.warning("Could not measure the Celery queue depth: %s", exc)
            return
        family = GaugeMetricFamily(
            "nexus_celery_queue_depth",
            "Messages waiting in a Celery queue of the broker (0 when tasks run eagerly).",
            labels=["queue"],
        )
        for name, depth in depths.items():
            family.add_metric([name], depth)
        yield family


class ProcessRegistryCollector(Collector):
    """The metrics this process keeps (the single-process mode)."""

    def collect(self):
        return REGISTRY.collect()


def exposition() -> bytes:
    """Return the text exposition of every process's metrics and the scrape-time gauges."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(ProcessRegistryCollector())
    registry.register(ScrapeCollector())
    return generate_latest(registry)


# --- Committed events -> pattern, event and lockout metrics ------------------------------------

# The labels of events published in this process, by id, until their transaction commits.
# ``wants`` sees the saved events; the after-commit callback only gets their ids. Events of a
# rolled-back transaction never reach the callback: the bounded size drops them eventually.
_pending_events: OrderedDict[int, tuple[str, dict]] = OrderedDict()
PENDING_EVENTS_MAX = 10_000
KEPT_PAYLOAD = ("pattern", "step_type", "duration_ms")


_pending_lock = threading.Lock()  # gunicorn's gthread workers publish from several threads


def event_seen(event: Any) -> bool:
    """Remember what the metrics need of a saved event; always take it."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    kept = {key: payload[key] for key in KEPT_PAYLOAD if key in payload}  # not the whole payload
    with _pending_lock:
        _pending_events[event.id] = (event.type, kept)
        while len(_pending_events) > PENDING_EVENTS_MAX:
            _pending_events.popitem(last=False)
    return True


def events_committed(event_ids: list[int]) -> None:
    """Count the committed events (committed-events listener)."""
    with _pending_lock:
        seen = [_pending_events.pop(event_id, None) for event_id in event_ids]
    for entry in seen:
        if entry is not None:
            event_counted(*entry)


def event_counted(event_type: str, payload: dict) -> None:
    """Count one committed event of ``event_type`` in its metric families."""
    events_written.labels(event_type).inc()
    pattern = str(payload.get("pattern") or "")
    if event_type == "pattern_started":
        pattern_runs_started.labels(pattern).inc()
    elif event_type == "pattern_executed":
        pattern_runs_succeeded.labels(pattern).inc()
    elif event_type == "pattern_failed":
        pattern_runs_failed.labels(pattern).inc()
    elif event_type == "step_succeeded":
        duration_ms = payload.get("duration_ms")
        if isinstance(duration_ms, int | float):
            step_type = str(payload.get("step_type") or "")
            pattern_step_duration.labels(step_type).observe(duration_ms / 1000)
    elif event_type == "user_locked":
        login_lockouts.inc()


# --- Accounts and AI usage ---------------------------------------------------------------------


def login_failed(**kwargs) -> None:
    """Count a failed login (django.contrib.auth's ``user_login_failed``)."""
    login_failures.inc()


def ai_interaction_recorded(interaction: Any) -> None:
    """Count an AI interaction and its cost by model once its transaction commits."""
    model = str(interaction.model)
    cost = interaction.cost if isinstance(interaction.cost, Decimal) else Decimal(0)

    def count() -> None:
        ai_interactions.labels(model).inc()
        ai_cost.labels(model).inc(float(cost))

    transaction.on_commit(count)


# --- Celery signals ----------------------------------------------------------------------------

RECLAIM_TASK = "patterns.tasks.reclaim_executions"
_task_started: dict[str, float] = {}


@celery_signals.task_prerun.connect(dispatch_uid="nexus_metrics_task_prerun")
def task_started(task_id: str | None = None, **kwargs) -> None:
    if task_id:
        _task_started[task_id] = time.monotonic()


@celery_signals.task_postrun.connect(dispatch_uid="nexus_metrics_task_postrun")
def task_finished(
    task_id: str | None = None, task: Any = None, retval: Any = None, state: str = "", **kwargs
) -> None:
    started = _task_started.pop(task_id, None) if task_id else None
    name = getattr(task, "name", "") or "unknown"
    if started is not None:
        celery_task_duration.labels(name, state or "UNKNOWN").observe(time.monotonic() - started)
    if name == RECLAIM_TASK and isinstance(retval, int) and retval > 0:
        pattern_lease_reclaims.inc(retval)


@celery_signals.worker_process_shutdown.connect(dispatch_uid="nexus_metrics_child_exit")
def worker_child_exited(pid: int | None = None, **kwargs) -> None:
    """A prefork child ends: drop its live gauges (multiprocess mode; gunicorn's equivalent is
    its ``child_exit`` hook in gunicorn.conf.py)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid or os.getpid())
