"""Patterns bench: the engine's cost per step, and ten-step executions per second, inline and
through real Celery workers, against plain ORM writes and a raw Celery chain.

On PostgreSQL (``BENCH_DATABASE_URL``) and Redis (``BENCH_REDIS_URL``: broker, pattern store,
channel layer), with a ten-step pattern of ``bench.noop`` steps (a step type that returns
``{}``, from ``bench/patterns_noop.py``), it measures in one run:

- per step, inline: the time between the ``finished_at`` of consecutive steps of the same
  execution, i.e. one whole turn of the engine's loop (cancel check, planning, lease check,
  lock and re-check of the step row, the step, its record, its event, the commit and the
  event's broadcast); the peer writes the same rows with plain ORM calls, one transaction per
  step (lock the step row, update it, insert the event);
- ten-step executions per second inline: ``execution_run`` called in this process on N
  executions created beforehand, each with its own Execution row (creation not timed);
- ten-step executions per second through a real prefork worker with 2 processes on a queue
  of its own: N executions enqueued at once, timed until the last one has finished; the peer
  is a raw Celery ``chain`` of ten no-op tasks through the same worker, N chains at once,
  timed until the last link of the last chain has run.

``make bench-patterns`` runs it; figures and the command are in docs/PERFORMANCE.md (Patterns).
"""

import argparse
import itertools
import math
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

from bench.processes import Child  # noqa: E402
from bench.relations import configure_environment, ensure_database  # noqa: E402
from bench.report import Printed, machine  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nexus_bench_patterns"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
CHANNEL_PREFIX = "nexus-bench-patterns"
STEPS = 10
WARMUP = 5
WORKER_PROCESSES = 2
DEADLINE_SECONDS = 600.0
TARGETS = {"step_ms": 3.0, "inline_per_s": 40.0, "worker_per_s": 25.0}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100, help="executions per timed case")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--profile", type=Path, help="cProfile the inline case into this file")
    args = parser.parse_args(argv)
    if args.executions < 20:
        parser.error("need at least 20 executions")
    return args


def percentile(values: list[float], quantile: float) -> float:
    """Nearest rank (as the other benches)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * quantile) - 1)]


# --- the table ----------------------------------------------------------------------------

HEADER = ["operation", "ours", "peer", "ours/peer", "target", "peer is"]


class Table(Printed):
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.facts: list[str] = []

    def add(self, operation, ours, peer, ratio, target, name) -> None:
        self.rows.append([operation, ours, peer, ratio, target, name])
        print(f"  {operation}: done", flush=True)

    HEADER = HEADER
    ALIGNMENT = "|---|---:|---:|---:|---|---|"


def verdict(value: float, target: float, *, at_most: bool) -> str:
    met = value <= target if at_most else value >= target
    sign = "≤" if at_most else "≥"
    return f"{sign} {target:g}: {'met' if met else 'MISSED'}"


# --- the worker -----------------------------------------------------------------------------


class Worker(Child):
    """A prefork Celery worker on a queue of its own that knows the bench's step and task."""

    def __init__(self, queue: str, settings: dict[str, str]) -> None:
        celery = Path(sys.executable).with_name("celery")
        command = [
            str(celery), "-A", "nexus_site", "worker", "--include", "bench.patterns_noop",
            "-Q", queue, f"--concurrency={WORKER_PROCESSES}", "-l", "warning",
            "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        env = {**os.environ, **settings, "DATABASE_POOL_MIN": "0", "PYTHONUNBUFFERED": "1"}
        super().__init__(command, env=env, name="patterns-worker")


def wait_until(done, worker: Worker, what: str) -> float:
    """Poll ``done()`` until true; return the perf_counter time it was first seen true."""
    deadline = time.perf_counter() + DEADLINE_SECONDS
    while time.perf_counter() < deadline:
        if done():
            return time.perf_counter()
        worker.check()
        time.sleep(0.05)
    worker.fail(f"{what}: not done within {DEADLINE_SECONDS:.0f}s")
    return 0.0


# --- the cases ----------------------------------------------------------------------------


def create_executions(pattern, actor, count: int) -> list:
    from django.db import transaction

    from patterns.runs import new_execution

    version = pattern.versions.get(number=pattern.current_version)
    with transaction.atomic():
        return [
            new_execution(pattern=pattern, version=version, input={}, actor=actor).pk
            for _ in range(count)
        ]


def step_intervals(execution_ids: list) -> list[float]:
    """Seconds between the finishes of consecutive steps of each execution."""
    from patterns.models import StepRun

    finishes: dict = {}
    for execution_id, finished_at in (
        StepRun.objects.filter(execution_id__in=execution_ids)
        .order_by("execution_id", "finished_seq")
        .values_list("execution_id", "finished_at")
    ):
        finishes.setdefault(execution_id, []).append(finished_at)
    return [
        (later - earlier).total_seconds()
        for times in finishes.values()
        for earlier, later in itertools.pairwise(times)
    ]


def check_all_succeeded(execution_ids: list) -> None:
    from patterns.models import Execution, ExecutionStatus, StepRun, StepStatus

    statuses = set(Execution.objects.filter(pk__in=execution_ids).values_list("status", flat=True))
    if statuses != {ExecutionStatus.SUCCEEDED}:
        sys.exit(f"executions ended {statuses}, not all succeeded")
    done = StepRun.objects.filter(
        execution_id__in=execution_ids, status=StepStatus.SUCCEEDED, attempts=1
    ).count()
    if done != len(execution_ids) * STEPS:
        sys.exit(f"{done} steps succeeded once, expected {len(execution_ids) * STEPS}")


def plain_orm_steps(execution_ids: list, durable: bool) -> list[float]:
    """The peer of one step: one transaction that locks, updates and records the step row and
    inserts its event, with plain ORM calls; return the seconds per step."""
    from django.db import connection, transaction
    from django.utils import timezone

    from nexus_site.events.models import Event
    from patterns.models import StepRun, StepStatus

    spent = []
    for execution_id in execution_ids:
        for run_id in StepRun.objects.filter(execution_id=execution_id).values_list(
            "pk", flat=True
        ):
            started = time.perf_counter()
            with transaction.atomic():
                if not durable:
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                run = StepRun.objects.select_for_update().get(pk=run_id)
                run.status, run.attempts, run.output = StepStatus.SUCCEEDED, 1, {}
                run.finished_at = timezone.now()
                run.save(update_fields=["status", "attempts", "output", "finished_at"])
                Event.objects.create(type="bench_step", payload={"execution": str(execution_id)})
            spent.append(time.perf_counter() - started)
    return spent


class Counted:
    """Count the SQL statements this process sends and the CPU time it spends meanwhile."""

    def __enter__(self):
        from django.db import connection

        self.statements = 0
        self.wrapper = connection.execute_wrapper(self)
        self.wrapper.__enter__()
        self.cpu = time.process_time()
        return self

    def __call__(self, execute, sql, params, many, context):
        self.statements += 1
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        self.cpu = time.process_time() - self.cpu
        self.wrapper.__exit__(*exc)


def run_inline(execution_ids: list, profile: Path | None) -> tuple[float, Counted]:
    """Run each execution in this process; return the wall seconds and what it sent."""
    from patterns.executor import execution_run

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with Counted() as counted:
        started = time.perf_counter()
        for execution_id in execution_ids:
            execution_run(execution_id, owner="bench-inline")
        wall = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    return wall, counted


def run_through_worker(execution_ids: list, worker: Worker) -> float:
    """Enqueue every execution at once; return the seconds until the last has finished."""
    from patterns.dispatch import enqueue_execution
    from patterns.models import Execution

    started = time.perf_counter()
    for execution_id in execution_ids:
        enqueue_execution(execution_id)

    def finished() -> bool:
        return not Execution.objects.filter(pk__in=execution_ids, finished_at__isnull=True).exists()

    return wait_until(finished, worker, "executions through the worker") - started


def chains_through_worker(count: int, queue: str, worker: Worker) -> float:
    """Send ``count`` chains of ten no-op tasks at once; return the seconds until all ran."""
    from celery import chain

    from bench.patterns_noop import DONE_KEY, done_counter, noop

    counter = done_counter()
    counter.delete(DONE_KEY)
    started = time.perf_counter()
    for _ in range(count):
        links = [noop.si().set(queue=queue) for _ in range(STEPS - 1)]
        chain(*links, noop.si(last=True).set(queue=queue)).apply_async()

    def finished() -> bool:
        return int(counter.get(DONE_KEY) or 0) >= count

    return wait_until(finished, worker, "chains through the worker") - started


def floor() -> str:
    """Time this machine's database round trip and a durable one-row commit, as the floor."""
    from django.db import connection

    def timed(sql: str, times: int) -> float:
        spent = []
        with connection.cursor() as cursor:
            for _ in range(times):
                started = time.perf_counter()
                cursor.execute(sql)
                spent.append(time.perf_counter() - started)
        return percentile(spent, 0.5) * 1e3

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_patterns_probe (x integer)")
    round_trip = timed("SELECT 1", 200)
    commit = timed("INSERT INTO bench_patterns_probe VALUES (1)", 100)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_patterns_probe")
    return (
        f"floor on this machine during the run: a database round trip (SELECT 1) p50 "
        f"{round_trip:.2f} ms; a durable one-row INSERT in autocommit (one WAL flush) p50 "
        f"{commit:.2f} ms"
    )


MODES = (("durable commits", True), ("commits not waiting for the disk", False))


def measure(args, table: Table) -> None:
    from django.conf import settings

    from accounts.models import User
    from nexus_site.celery import app
    from patterns.services import pattern_create

    actor, _ = User.objects.get_or_create(email="bench-patterns@nexus.local")
    key = f"bench-{uuid.uuid4().hex[:10]}"
    steps = [
        {"id": f"s{n}", "type": "bench.noop", **({"depends_on": [f"s{n - 1}"]} if n else {})}
        for n in range(STEPS)
    ]
    pattern = pattern_create(actor=actor, key=key, name=key, definition={"steps": steps})
    n = args.executions
    queue = f"nexus-bench-patterns-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    chain_rate = None

    for label, durable in MODES:
        settings.PATTERNS_SYNCHRONOUS_COMMIT = durable
        mode = f"PATTERNS_SYNCHRONOUS_COMMIT={'true' if durable else 'false'}"

        # Inline: warm up, then N executions in this process.
        run_inline(create_executions(pattern, actor, WARMUP), None)
        inline_ids = create_executions(pattern, actor, n)
        inline_wall, counted = run_inline(inline_ids, args.profile if durable else None)
        check_all_succeeded(inline_ids)
        intervals = [s * 1e3 for s in step_intervals(inline_ids)]
        with Counted() as peer_counted:
            peer_steps = [
                s * 1e3 for s in plain_orm_steps(create_executions(pattern, actor, n), durable)
            ]
        step_p50, step_p95 = percentile(intervals, 0.5), percentile(intervals, 0.95)
        peer_p50, peer_p95 = percentile(peer_steps, 0.5), percentile(peer_steps, 0.95)
        table.add(
            f"engine per step, inline, {label}, p50 / p95 ms",
            f"{step_p50:.2f} / {step_p95:.2f}",
            f"{peer_p50:.2f} / {peer_p95:.2f}",
            f"{step_p50 / peer_p50:.1f}x",
            verdict(step_p50, TARGETS["step_ms"], at_most=True) + " (p50)",
            "one transaction per step, plain ORM: lock the step row, update it, insert an event",
        )
        inline_rate = n / inline_wall
        peer_rate = 1e3 / (statistics.fmean(peer_steps) * STEPS)
        table.add(
            f"ten-step executions/s, inline, {label}",
            f"{inline_rate:,.1f}/s",
            f"{peer_rate:,.1f}/s",
            f"{peer_rate / inline_rate:.1f}x",
            verdict(inline_rate, TARGETS["inline_per_s"], at_most=False),
            "ten of those plain ORM steps (their mean) per execution",
        )
        table.facts.append(
            f"{label} ({mode}): a ten-step execution inline takes {inline_wall / n * 1e3:.1f} ms "
            f"on average, of which {statistics.fmean(intervals) * (STEPS - 1):.1f} ms are the "
            "9 gaps between its steps; the rest is taking the lease, loading the run, the first "
            f"step and finishing. It sends {counted.statements / n:.0f} SQL statements "
            "(BEGIN and COMMIT not counted) and spends "
            f"{counted.cpu / n * 1e3:.1f} ms of this process's CPU, "
            f"{counted.cpu / n / STEPS * 1e3:.2f} ms per step; the plain ORM peer "
            f"{peer_counted.cpu / len(peer_steps) * 1e3:.2f} ms CPU and "
            f"{peer_counted.statements / len(peer_steps):.0f} statements per step"
        )

        # Through a real worker (its own, with the same setting): warm it up, then N
        # executions; with the first worker also N raw chains.
        worker = Worker(queue, {"PATTERNS_SYNCHRONOUS_COMMIT": "true" if durable else "false"})
        try:
            run_through_worker(create_executions(pattern, actor, WARMUP * WORKER_PROCESSES), worker)
            worker_ids = create_executions(pattern, actor, n)
            worker_wall = run_through_worker(worker_ids, worker)
            check_all_succeeded(worker_ids)
            if chain_rate is None:
                chains_through_worker(WARMUP * WORKER_PROCESSES, queue, worker)
                chain_rate = n / chains_through_worker(n, queue, worker)
        finally:
            worker.stop()
        worker_rate = n / worker_wall
        table.add(
            f"ten-step executions/s, {WORKER_PROCESSES} worker processes, {label}",
            f"{worker_rate:,.1f}/s",
            f"{chain_rate:,.1f}/s",
            f"{chain_rate / worker_rate:.1f}x",
            verdict(worker_rate, TARGETS["worker_per_s"], at_most=False),
            "raw Celery `chain` of ten no-op tasks, same worker and queue",
        )
        in_worker = [s * 1e3 for s in step_intervals(worker_ids)]
        table.facts.append(
            f"{label}: per step inside a worker p50 / p95 {percentile(in_worker, 0.5):.2f} / "
            f"{percentile(in_worker, 0.95):.2f} ms (same measure as inline; {WORKER_PROCESSES} "
            "processes share the 2 cores with the bench, PostgreSQL and Redis)"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["CHANNEL_PREFIX"] = CHANNEL_PREFIX
    os.environ["CACHE_KEY_PREFIX"] = CHANNEL_PREFIX
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["DJANGO_DEBUG"] = "false"
    configure_environment()
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=False)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
    import bench.patterns_noop  # noqa: F401  (the step type and the chain's task)

    table = Table()
    print(f"measuring {args.executions} executions per case", flush=True)
    table.facts.append(floor())
    measure(args, table)
    table.facts += [
        f"machine: {machine()}; PostgreSQL and Redis on the same machine; "
        f"load average {os.getloadavg()[0]:.1f}",
        f"pattern: {STEPS} `bench.noop` steps in a line; {WARMUP} warm-up executions first; "
        "nearest-rank percentiles; per step = time between consecutive steps' `finished_at`",
        "checked: every execution succeeded with each step run exactly once",
    ]
    print(table.text())
    if args.markdown:
        args.markdown.write_text(table.markdown(command=" ".join(sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
