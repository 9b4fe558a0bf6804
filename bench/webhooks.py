"""Webhooks bench: deliveries per second to a local receiver, through the delivery function
and through real Celery workers, against a bare ``requests.post`` loop.

On PostgreSQL (``BENCH_DATABASE_URL``) and Redis (``BENCH_REDIS_URL``: the broker), with a
receiver on loopback in a process of its own (a threaded ``http.server`` that answers 200 and
counts what it gets) and ``WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true``, it measures in one run:

- deliveries per second, one after the other in this process: ``webhooks.delivery.deliver``
  on N pending deliveries (claim, sign, the egress checks, POST, record); the peer is a bare
  ``requests.post`` of the same body to the same receiver, N times, one after the other;
- deliveries per second through a real prefork worker with 2 processes: N deliveries enqueued
  at once, timed until the last has succeeded;
- events to deliveries through the worker: N ``task_created`` events about a project a
  subscription is scoped to (with everything under it), published one transaction each, each
  commit's listener enqueueing a fan-out that makes and sends the delivery; timed from the
  first commit to the last delivery.

Each case checks that the receiver got exactly one request per delivery. ``make
bench-webhooks`` runs it; the figures and the command are in docs/PERFORMANCE.md (Webhooks).
"""

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where bench/http.py hides the
# standard library's http: take it off before importing anything that needs http.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

import argparse  # noqa: E402
import os  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from bench.processes import Child, free_port  # noqa: E402
from bench.relations import configure_environment, ensure_database  # noqa: E402
from bench.report import Printed, machine  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nexus_bench_webhooks"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
PREFIX = "nexus-bench-webhooks"
WORKER_PROCESSES = 2
WARMUP = 10
DEADLINE_SECONDS = 600.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=500, help="deliveries per timed case")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--serve-receiver", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.deliveries < 20:
        parser.error("need at least 20 deliveries")
    return args


# --- the receiver (a process of its own) ------------------------------------------------------


def serve_receiver(port: int) -> None:
    """Answer every POST with 200 and count it; GET answers the count."""
    lock, received = threading.Lock(), [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                received[0] += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_GET(self):
            body = str(received[0]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    server.serve_forever()


class Receiver(Child):
    def __init__(self) -> None:
        self.port = free_port()
        command = [sys.executable, str(Path(__file__)), "--serve-receiver", str(self.port)]
        super().__init__(command, env={**os.environ}, name="webhooks-receiver")
        self.wait_listening(self.port)
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def count(self) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/count", timeout=5) as answer:
            return int(answer.read())


class Worker(Child):
    """A prefork Celery worker on the default queue of the bench's own Redis database."""

    def __init__(self) -> None:
        celery = Path(sys.executable).with_name("celery")
        command = [
            str(celery), "-A", "nexus_site", "worker", f"--concurrency={WORKER_PROCESSES}",
            "-l", "warning", "-n", f"{PREFIX}-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        env = {**os.environ, "DATABASE_POOL_MIN": "0", "PYTHONUNBUFFERED": "1"}
        super().__init__(command, env=env, name="webhooks-worker")


def wait_until(done, children, what: str) -> float:
    """Poll ``done()`` until true; return the perf_counter time it was first seen true."""
    deadline = time.perf_counter() + DEADLINE_SECONDS
    while time.perf_counter() < deadline:
        if done():
            return time.perf_counter()
        for child in children:
            child.check()
        time.sleep(0.05)
    children[0].fail(f"{what}: not done within {DEADLINE_SECONDS:.0f}s")
    return 0.0


# --- the table ----------------------------------------------------------------------------


class Table(Printed):
    HEADER = ["operation", "ours", "peer", "peer/ours", "peer is"]
    ALIGNMENT = "|---|---:|---:|---:|---|"

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.facts: list[str] = []

    def add(self, operation: str, ours: float, peer: float, name: str) -> None:
        self.rows.append(
            [operation, f"{ours:,.0f}/s", f"{peer:,.0f}/s", f"{peer / ours:.1f}x", name]
        )
        print(f"  {operation}: {ours:,.0f}/s", flush=True)


# --- the cases ----------------------------------------------------------------------------


def pending_deliveries(subscription, count: int) -> list:
    from webhooks.models import WebhookDelivery

    made = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=subscription,
            event_type="task_created",
            payload={"id": None, "type": "task_created", "data": {"n": n, "title": "Bench"}},
        )
        for n in range(count)
    )
    return [delivery.pk for delivery in made]


def succeeded(subscription) -> int:
    from webhooks.models import DeliveryStatus, WebhookDelivery

    return WebhookDelivery.objects.filter(
        subscription=subscription, status=DeliveryStatus.SUCCEEDED
    ).count()


def check_exactly_once(receiver: Receiver, before: int, expected: int, what: str) -> None:
    got = receiver.count() - before
    if got != expected:
        receiver.fail(f"{what}: the receiver got {got} requests for {expected} deliveries")


def inline_rate(subscription, receiver: Receiver, n: int) -> float:
    from webhooks.delivery import deliver

    for delivery_id in pending_deliveries(subscription, WARMUP):
        deliver(delivery_id)
    ids = pending_deliveries(subscription, n)
    before = receiver.count()
    started = time.perf_counter()
    for delivery_id in ids:
        if deliver(delivery_id).result != "sent":
            receiver.fail(f"delivery {delivery_id} was not sent")
    elapsed = time.perf_counter() - started
    check_exactly_once(receiver, before, n, "inline")
    return n / elapsed


def requests_rate(subscription, receiver: Receiver, n: int) -> float:
    import requests

    from webhooks.delivery import encoded

    body = encoded({"id": None, "type": "task_created", "data": {"n": 0, "title": "Bench"}})
    headers = {"Content-Type": "application/json"}
    for _ in range(WARMUP):
        requests.post(receiver.url, data=body, headers=headers, timeout=(5, 10))
    before = receiver.count()
    started = time.perf_counter()
    for _ in range(n):
        answer = requests.post(receiver.url, data=body, headers=headers, timeout=(5, 10))
        if answer.status_code != 200:
            receiver.fail(f"requests.post answered {answer.status_code}")
    elapsed = time.perf_counter() - started
    check_exactly_once(receiver, before, n, "requests.post")
    return n / elapsed


def worker_rate(subscription, receiver: Receiver, worker: Worker, n: int) -> float:
    from webhooks.enqueue import enqueue_delivery

    done = succeeded(subscription)
    warm = pending_deliveries(subscription, WARMUP * WORKER_PROCESSES)
    for delivery_id in warm:
        enqueue_delivery(delivery_id)
    done += len(warm)
    wait_until(lambda: succeeded(subscription) == done, [worker, receiver], "warm-up")
    ids = pending_deliveries(subscription, n)
    before = receiver.count()
    started = time.perf_counter()
    for delivery_id in ids:
        enqueue_delivery(delivery_id)
    done += n
    finished = wait_until(
        lambda: succeeded(subscription) == done, [worker, receiver], "worker deliveries"
    )
    check_exactly_once(receiver, before, n, "through the worker")
    return n / (finished - started)


def events_rate(subscription, project, receiver: Receiver, worker: Worker, n: int) -> float:
    """Publish ``n`` task_created events about ``project``, one transaction each, as the
    projects app does; return events delivered per second, first commit to last delivery."""
    from django.db import transaction

    from nexus_site.events.services import publish
    from relations.nodes import node_of

    node = str(node_of(project))
    before = receiver.count()
    started = time.perf_counter()
    for number in range(n):
        with transaction.atomic():
            publish(
                "task_created",
                {"task": str(uuid.uuid4()), "project": str(project.pk), "title": f"T{number}"},
                node=node,
                actor=project.owner,
            )
    finished = wait_until(
        lambda: succeeded(subscription) == n, [worker, receiver], "events to deliveries"
    )
    check_exactly_once(receiver, before, n, "events to deliveries")
    return n / (finished - started)


def measure(args, table: Table) -> None:
    from accounts.models import User
    from projects.services import project_create
    from relations.nodes import node_of
    from webhooks.models import WebhookSubscription
    from webhooks.services import new_secret

    n = args.deliveries
    receiver = Receiver()
    worker = None
    try:
        owner, _ = User.objects.get_or_create(email="bench-webhooks@nexus.local")
        project = project_create(actor=owner, name=f"Bench {uuid.uuid4().hex[:6]}")
        # Deliveries made directly: their subscription names no event type, so the tasks of
        # the last case reach only the scoped one.
        direct = WebhookSubscription.objects.create(
            owner=owner, url=receiver.url, event_types=[], secret=new_secret()
        )
        ours = inline_rate(direct, receiver, n)
        peer = requests_rate(direct, receiver, n)
        table.add(
            "deliveries/s, one after the other, in-process",
            ours,
            peer,
            "bare `requests.post` loop, same body and receiver",
        )
        worker = Worker()
        through = worker_rate(direct, receiver, worker, n)
        table.add(
            f"deliveries/s, {WORKER_PROCESSES} worker processes",
            through,
            peer,
            "the same `requests.post` loop (one process)",
        )
        scoped = WebhookSubscription.objects.create(
            owner=owner,
            url=receiver.url,
            event_types=["task_created"],
            scope=str(node_of(project)),
            with_descendants=True,
            secret=new_secret(),
        )
        time.sleep(6)  # past the listener's memo of subscribed types in every process
        end_to_end = events_rate(scoped, project, receiver, worker, n)
        table.add(
            f"task_created events to deliveries/s, {WORKER_PROCESSES} worker processes",
            end_to_end,
            peer,
            "the same `requests.post` loop (one process)",
        )
        table.facts.append(
            f"events case: {n} `task_created` events about a project, published one "
            "transaction each in the bench process; each commit's listener enqueues a fan-out "
            "(match type, scope with everything under it, the owner's access; insert the "
            "delivery) that enqueues the delivery; timed from the first commit to the last "
            "delivery recorded"
        )
    finally:
        if worker is not None:
            worker.stop()
        receiver.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_receiver:
        serve_receiver(args.serve_receiver)
        return 0
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["CHANNEL_PREFIX"] = PREFIX
    os.environ["CACHE_KEY_PREFIX"] = PREFIX
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["WEBHOOKS_ALLOW_PRIVATE_NETWORKS"] = "true"
    configure_environment()
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=False)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)

    table = Table()
    print(f"measuring {args.deliveries} deliveries per case", flush=True)
    measure(args, table)
    table.facts += [
        f"machine: {machine()}; PostgreSQL, Redis, the receiver and the worker on the same "
        f"machine; load average {os.getloadavg()[0]:.1f}",
        "each delivery: claim (one UPDATE), sign (HMAC-SHA256), resolve and check the address, "
        "POST on a new connection, record (one UPDATE); `requests.post` also opens a new "
        "connection per request",
        f"{WARMUP} warm-up deliveries per case first; checked: the receiver got exactly one "
        "request per delivery",
    ]
    print(table.text())
    if args.markdown:
        args.markdown.write_text(table.markdown(command=" ".join(sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
