"""Triggers bench: events matching a trigger, through real Celery workers on PostgreSQL and
Redis, against a plain Celery task sent in the event's ``on_commit``.

- latency: ``--events`` events, one at a time, each in its own commit, each matching a
  trigger whose pattern has one step; from the commit (wall clock, in this process) to the
  run's ``started_at`` (set by the worker that takes the run). The peer: the same events,
  each sending a plain Celery task in its ``on_commit``, from the commit to the task's start.
- burst: ``--burst`` events committed as fast as this process can, then the time until every
  run has finished, and the counts: runs started (must equal the events), firings per event
  (must be one). The peer: as many plain tasks, sent the same way, until the last has run.
- burst with a worker SIGKILLed: the same, with one of the two workers killed once a third of
  the runs were started and a new one started in its place; this process does beat's part
  (the triggers' catch-up sweep and the reclaim of runs whose lease ran out) every second.

Two worker processes (prefork, one child each) share the 2 cores with PostgreSQL, Redis and
the bench. Target (issue 18): p95 <= 200 ms from commit to run started. ``make bench-triggers``
runs it; the figures are in docs/PERFORMANCE.md (Triggers).
"""

import argparse
import datetime
import json
import math
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

from bench.processes import Child  # noqa: E402
from bench.relations import configure_environment, ensure_database  # noqa: E402
from bench.report import Printed, machine  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nexus_bench_triggers"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
PREFIX = "nexus-bench-triggers"
EVENT_TYPE = "custom.bench_tick"
LEASE_SECONDS = 5
DEADLINE_SECONDS = 900.0
TARGET_P95_MS = 200.0
GAP_SECONDS = 0.02  # between latency events, so each is measured on an idle pipeline
BEAT_SECONDS = 5.0  # how often the bench does beat's part in the SIGKILL burst (beat: 30 s)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200, help="events timed one at a time")
    parser.add_argument("--burst", type=int, default=1000, help="events in each burst")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    if args.events < 20 or args.burst < 30:
        parser.error("need at least 20 events and a burst of 30")
    return args


def percentile(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * quantile) - 1)]


class Table(Printed):
    HEADER = ["case", "ours", "peer", "ours/peer", "target", "peer is"]
    ALIGNMENT = "|---|---:|---:|---:|---|---|"

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.facts: list[str] = []

    def add(self, *cells: str) -> None:
        self.rows.append(list(cells))
        print(f"  {cells[0]}: done", flush=True)


class Worker(Child):
    """A prefork worker with one child on the bench's queue, knowing the peer's task."""

    def __init__(self, queue: str, name: str) -> None:
        celery = Path(sys.executable).with_name("celery")
        command = [
            str(celery), "-A", "nexus_site", "worker", "--include", "bench.triggers_peer",
            "-Q", queue, "--concurrency=1", "-l", "warning", "-n", f"{name}-{queue}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        env = {
            **os.environ,
            "DATABASE_POOL_MIN": "0",
            "PYTHONUNBUFFERED": "1",
            "PATTERNS_LEASE_SECONDS": str(LEASE_SECONDS),
            "CELERY_TASK_DEFAULT_QUEUE": queue,  # the runs its firings start stay here
        }
        super().__init__(command, env=env, name=name)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


def wait_until(done, workers: list[Worker], what: str, tick=None) -> float:
    deadline = time.perf_counter() + DEADLINE_SECONDS
    while time.perf_counter() < deadline:
        if done():
            return time.perf_counter()
        for worker in workers:
            worker.check()
        if tick is not None:
            tick()
        time.sleep(0.05)
    workers[0].fail(f"{what}: not done within {DEADLINE_SECONDS:.0f}s")
    return 0.0


# --- the two sides ------------------------------------------------------------------------


def publish_event(owner, n: int) -> tuple[int, float]:
    """Commit one matching event; return its id and the wall-clock time of the commit."""
    from django.db import transaction

    from nexus_site.events.services import publish

    with transaction.atomic():
        event = publish(EVENT_TYPE, {"n": n}, user_ids=[owner.pk])
    return event.id, time.time()


def publish_peer(n: int, queue: str) -> float:
    """Commit one event whose on_commit sends the plain task; return the commit's time."""
    from django.db import transaction

    from bench.triggers_peer import started
    from nexus_site.events.services import publish

    with transaction.atomic():
        publish("custom.bench_peer", {"n": n})
        transaction.on_commit(lambda: started.apply_async(args=[n], queue=queue))
    return time.time()


def peer_starts() -> dict[int, float]:
    from bench.triggers_peer import STARTED_KEY, store

    return dict(map(json.loads, store().lrange(STARTED_KEY, 0, -1)))


def run_starts(trigger, event_ids: list[int]) -> dict[int, float]:
    from patterns.models import TriggerFiring

    rows = TriggerFiring.objects.filter(trigger=trigger, event_id__in=event_ids).values_list(
        "event_id", "execution__started_at"
    )
    return {event_id: started.timestamp() for event_id, started in rows if started is not None}


def counts(trigger, event_ids: list[int]) -> tuple[int, int, int]:
    """Runs started for these events, events with more than one firing, runs not succeeded."""
    from django.db.models import Count

    from patterns.models import TriggerFiring, TriggerOutcome

    firings = TriggerFiring.objects.filter(trigger=trigger, event_id__in=event_ids)
    started = firings.filter(outcome=TriggerOutcome.STARTED).count()
    twice = firings.values("event_id").annotate(n=Count("id")).filter(n__gt=1).count()
    failed = firings.exclude(execution__status="succeeded").count()
    return started, twice, failed


# --- the cases ----------------------------------------------------------------------------


def latency(args, owner, trigger, queue, workers, table) -> None:
    from bench.triggers_peer import STARTED_KEY, store

    store().delete(STARTED_KEY)
    ours: dict[int, float] = {}
    for n in range(args.events):
        event_id, committed = publish_event(owner, n)
        ours[event_id] = committed
        time.sleep(GAP_SECONDS)
    wait_until(lambda: len(run_starts(trigger, list(ours))) == len(ours), workers, "runs started")
    started = run_starts(trigger, list(ours))
    ours_ms = [(started[event_id] - at) * 1e3 for event_id, at in ours.items()]

    peer: dict[int, float] = {}
    for n in range(args.events):
        peer[n] = publish_peer(n, queue)
        time.sleep(GAP_SECONDS)
    wait_until(lambda: len(peer_starts()) >= len(peer), workers, "peer tasks started")
    peer_at = peer_starts()
    peer_ms = [(peer_at[n] - at) * 1e3 for n, at in peer.items()]

    o50, o95 = percentile(ours_ms, 0.5), percentile(ours_ms, 0.95)
    p50, p95 = percentile(peer_ms, 0.5), percentile(peer_ms, 0.95)
    table.add(
        f"event committed → run started, p50 / p95 ms ({args.events} events)",
        f"{o50:.1f} / {o95:.1f}",
        f"{p50:.1f} / {p95:.1f}",
        f"{o95 / p95:.1f}x (p95)",
        f"p95 ≤ {TARGET_P95_MS:g}: {'met' if o95 <= TARGET_P95_MS else 'MISSED'}",
        "a plain Celery task sent in the event's on_commit, commit → task started",
    )


def burst(args, owner, trigger, queue, workers, table, *, kill: bool) -> list[Worker]:
    from bench.triggers_peer import STARTED_KEY, store
    from patterns.models import TriggerFiring
    from patterns.tasks import reclaim_executions
    from patterns.triggers import firing

    last_beat = [0.0]

    def beat() -> None:
        if time.monotonic() - last_beat[0] < BEAT_SECONDS:
            return
        last_beat[0] = time.monotonic()
        firing.catch_up(now=firing_now())
        reclaim_executions()

    def firing_now():
        from django.utils import timezone

        return timezone.now() + firing.LAG + datetime.timedelta(seconds=1)

    begun = time.perf_counter()
    event_ids = [publish_event(owner, n)[0] for n in range(args.burst)]
    replaced = None
    if kill:
        wait_until(
            lambda: TriggerFiring.objects.filter(event_id__in=event_ids).count() >= args.burst // 3,
            workers,
            "a third of the runs started",
        )
        victim = workers[0]
        victim.kill()
        replaced = Worker(queue, f"replacement-{uuid.uuid4().hex[:6]}")
        workers = [replaced, *workers[1:]]

    def drained() -> bool:
        started, _twice, unfinished = counts(trigger, event_ids)
        return started >= args.burst and unfinished == 0

    finished = wait_until(drained, workers, "every run of the burst", tick=beat if kill else None)
    started, twice, failed = counts(trigger, event_ids)
    wall = finished - begun
    exact = (started, twice, failed) == (args.burst, 0, 0)

    store().delete(STARTED_KEY)
    peer_begun = time.perf_counter()
    for n in range(args.burst):
        publish_peer(n, queue)
    peer_done = wait_until(lambda: len(peer_starts()) >= args.burst, workers, "peer burst")
    peer_wall = peer_done - peer_begun

    label = "burst with a worker SIGKILLed" if kill else "burst"
    table.add(
        f"{label} of {args.burst}: runs started / events firing twice / runs not succeeded",
        f"{started} / {twice} / {failed}",
        f"{len(peer_starts())} tasks",
        "—",
        f"{args.burst} / 0 / 0: {'met' if exact else 'MISSED'}",
        "plain tasks sent in on_commit, counted when they start",
    )
    table.add(
        f"{label} of {args.burst}: seconds until the last run finished",
        f"{wall:.1f} s ({args.burst / wall:.0f}/s)",
        f"{peer_wall:.1f} s ({args.burst / peer_wall:.0f}/s)",
        f"{wall / peer_wall:.1f}x",
        "—",
        "the same plain tasks, until the last started",
    )
    return workers


def measure(args, table: Table) -> None:
    from accounts.models import User
    from nexus_site.celery import app
    from patterns.models import Execution, PatternTrigger, TriggerCursor
    from patterns.services import pattern_create
    from patterns.triggers import firing
    from patterns.triggers.services import trigger_create

    owner, _ = User.objects.get_or_create(email="bench-triggers@nexus.local")
    key = f"bench-trigger-{uuid.uuid4().hex[:8]}"
    pattern = pattern_create(
        actor=owner,
        key=key,
        name=key,
        definition={"steps": [{"id": "only", "type": "condition", "parameters": {"value": True}}]},
    )
    # Triggers of earlier runs of the bench would fire on this run's events too, and their
    # unfinished runs would be reclaimed during this one.
    PatternTrigger.objects.filter(event_type=EVENT_TYPE).delete()
    Execution.objects.filter(pattern__key__startswith="bench-trigger-").delete()
    TriggerCursor.objects.filter(name=firing.CURSOR).delete()
    firing.catch_up()  # a cursor at the present
    trigger = trigger_create(
        actor=owner,
        pattern=pattern,
        name=key,
        event_type=EVENT_TYPE,
        input_map={"n": "{{ event.payload.n }}"},
        rate_per_minute=10_000,
    )
    queue = f"{PREFIX}-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    workers = [Worker(queue, "first"), Worker(queue, "second")]
    try:
        # Warm up both workers and this process.
        for n in range(10):
            publish_event(owner, -n)
        time.sleep(3)
        latency(args, owner, trigger, queue, workers, table)
        workers = burst(args, owner, trigger, queue, workers, table, kill=False)
        workers = burst(args, owner, trigger, queue, workers, table, kill=True)
    finally:
        for worker in workers:
            worker.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["CHANNEL_PREFIX"] = PREFIX
    os.environ["CACHE_KEY_PREFIX"] = PREFIX
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["PATTERNS_LEASE_SECONDS"] = str(
        LEASE_SECONDS
    )  # the reclaim's grace, as the workers'
    configure_environment()
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=False)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    table = Table()
    print(f"{args.events} events one at a time, bursts of {args.burst}", flush=True)
    measure(args, table)
    table.facts += [
        f"machine: {machine()}; PostgreSQL and Redis on the same machine; "
        f"load average at the end {os.getloadavg()[0]:.1f}",
        "two prefork workers with one child each; the trigger's pattern has one `condition` "
        f"step; latency events {GAP_SECONDS * 1e3:.0f} ms apart; nearest-rank percentiles; "
        "times are wall clock on one machine (the commit here, `started_at` in the worker)",
        f"in the SIGKILL burst this process runs beat's part every {BEAT_SECONDS:g} s: the "
        f"triggers' catch-up sweep and the reclaim of runs whose {LEASE_SECONDS} s lease ran out",
    ]
    print(table.text())
    if args.markdown:
        args.markdown.write_text(table.markdown(command=" ".join(sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
