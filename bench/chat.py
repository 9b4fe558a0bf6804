"""Chat bench: messages per second through the API, post-to-delivery latency over WebSocket.

Starts the servers as production runs them (Procfile): gunicorn with gunicorn.conf.py for the
posts (``--http daphne``: daphne for both, as before) and daphne for the sockets, in
subprocesses on PostgreSQL and the Redis channel layer, creates a private room with
``--clients`` members (through the services) and connects one socket per member to
``/ws/chat/<room>/?token=``.
Then it times, each against a peer measured in the same run on the same machine:

- post to delivery: ``POST /api/v1/chat/rooms/{id}/messages/`` (one at a time, the next
  once the 20 sockets have it) against a ``group_send`` of the consumer's ``chat.event`` with a
  message already stored and rendered, from this process: the transport and the consumer's
  relay, without HTTP, the service, its access checks, the events outbox, the commit or the
  one render per message the service does;
- throughput: back-to-back POSTs, sequential and with ``--concurrency`` posters, against
  plain ORM inserts of the same rows (``ChatMessage.objects.create``) with as many threads.

Every message must arrive exactly once at every socket, else the bench fails.
``make bench-chat`` runs it; figures and the command are in docs/PERFORMANCE.md (Chat).
"""

import argparse
import asyncio
import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

import http.client  # noqa: E402 - after the path: bench/http.py would shadow the standard one

from bench.processes import Child, free_port  # noqa: E402
from bench.relations import configure_environment, ensure_database  # noqa: E402
from bench.report import Printed, machine  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nexus_bench_chat"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
CHANNEL_PREFIX = "nexus-bench-chat"
WARMUP = 5
DELIVERY_TIMEOUT = 300.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100, help="messages per timed case")
    parser.add_argument("--clients", type=int, default=20, help="connected sockets (members)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent posters")
    parser.add_argument(
        "--http",
        choices=["gunicorn", "daphne"],
        default="gunicorn",
        help="the HTTP server the posts go through (sockets are always daphne's)",
    )
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    if args.messages < 20 or args.clients < 2 or args.concurrency < 2:
        parser.error("need at least 20 messages, 2 clients and a concurrency of 2")
    return args


# --- measuring ----------------------------------------------------------------------------


def percentile(seconds: list[float], quantile: float) -> float:
    """Nearest rank, in milliseconds (as the other benches)."""
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(len(ordered) * quantile) - 1)] * 1e3


def gunicorn_shape() -> str:
    """Return the workers and threads gunicorn.conf.py gives on this machine."""
    import runpy

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return f"{config['workers']} workers x {config['threads']} threads"


class Server(Child):
    """A server in a subprocess, as production runs it: daphne (one process) for the sockets,
    and for HTTP gunicorn with the project's gunicorn.conf.py (Procfile ``web``) or daphne."""

    STOP_SECONDS = 10

    def __init__(self, env: dict, kind: str = "daphne") -> None:
        self.port = free_port()
        binary = Path(sys.executable).with_name(kind)
        if kind == "gunicorn":
            command = [str(binary), "--config", "gunicorn.conf.py"]
            env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        else:
            command = [str(binary), "-b", "127.0.0.1", "-p", str(self.port)]
            command.append("nexus_site.asgi:application")
        super().__init__(command, env=env, name=kind)
        self.wait_listening(self.port)


class Poster:
    """One keep-alive HTTP connection posting messages as the given users in turn."""

    def __init__(self, port: int, room_id, tokens: list[str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.path = f"/api/v1/chat/rooms/{room_id}/messages/"
        self.tokens = tokens

    def post(self, n: int, sent: dict) -> tuple[str, float]:
        """POST message ``n``; record its send time in ``sent``; return (id, seconds)."""
        body = json.dumps({"body": f"bench message {n}"})
        headers = {
            "Authorization": f"Bearer {self.tokens[n % len(self.tokens)]}",
            "Content-Type": "application/json",
        }
        started = time.perf_counter()
        self.connection.request("POST", self.path, body=body, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        spent = time.perf_counter() - started
        if response.status != 201:
            raise SystemExit(f"post answered {response.status}: {payload[:300]!r}")
        message_id = json.loads(payload)["id"]
        sent[message_id] = started
        return message_id, spent

    def close(self) -> None:
        self.connection.close()


class Sockets:
    """The room's sockets: when each message arrived at each one, and any duplicate."""

    def __init__(self, url: str, tokens: list[str]) -> None:
        self.urls = [f"{url}?token={token}" for token in tokens]
        # A browser sends its page's origin; AllowedHostsOriginValidator refuses none.
        self.origin = "http" + url.removeprefix("ws").split("/ws/", 1)[0]
        self.arrived: list[dict[str, float]] = [{} for _ in tokens]
        self.duplicates: list[str] = []
        self.waiting: dict[str, tuple[int, asyncio.Event]] = {}
        self.connections: list = []
        self.tasks: list[asyncio.Task] = []

    async def open(self) -> None:
        import websockets

        for index, url in enumerate(self.urls):
            connection = await websockets.connect(
                url, origin=self.origin, max_queue=None, ping_interval=None
            )
            self.connections.append(connection)
            self.tasks.append(asyncio.create_task(self.listen(index, connection)))
        await asyncio.sleep(0.5)  # group_add runs after accept; let every socket join

    async def listen(self, index: int, connection) -> None:
        from websockets.exceptions import ConnectionClosed

        arrived = self.arrived[index]
        try:
            async for frame in connection:
                now = time.perf_counter()
                data = json.loads(frame)
                if data.get("type") != "message_posted":
                    self.duplicates.append(f"socket {index} got {frame[:200]}")
                    continue
                message_id = data["message"]["id"]
                if message_id in arrived:
                    self.duplicates.append(f"socket {index} got {message_id} twice")
                    continue
                arrived[message_id] = now
                waiting = self.waiting.get(message_id)
                if waiting:
                    left = waiting[0] - 1
                    self.waiting[message_id] = (left, waiting[1])
                    if left == 0:
                        waiting[1].set()
        except ConnectionClosed as closed:
            self.duplicates.append(f"socket {index} closed: {closed}")

    def expect(self, message_id: str) -> asyncio.Event:
        """An event set once every socket has ``message_id`` (call before it can arrive)."""
        event = asyncio.Event()
        self.waiting[message_id] = (len(self.urls), event)
        return event

    async def settle(self, ids: list[str]) -> None:
        """Wait until every socket has every one of ``ids``; fail loudly on a timeout."""
        deadline = time.perf_counter() + DELIVERY_TIMEOUT
        while True:
            self.check()
            missing = sum(1 for arrived in self.arrived for i in ids if i not in arrived)
            if not missing:
                return
            if time.perf_counter() > deadline:
                raise SystemExit(f"{missing} deliveries never arrived ({len(ids)} messages)")
            await asyncio.sleep(0.002)

    def check(self) -> None:
        if self.duplicates:
            raise SystemExit("wrong delivery: " + "; ".join(self.duplicates[:5]))

    def latencies(self, sent: dict[str, float]) -> tuple[list[float], list[float]]:
        """Every delivery's latency, and each message's slowest (last socket) one."""
        every, last = [], []
        for message_id, started in sent.items():
            times = [arrived[message_id] - started for arrived in self.arrived]
            every += times
            last.append(max(times))
        return every, last

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()
        for task in self.tasks:
            task.cancel()


# --- the table ----------------------------------------------------------------------------

HEADER = ["operation", "ours", "peer", "ours/peer", "peer is"]


class Table(Printed):
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.facts: list[str] = []

    def latency(self, operation: str, ours: list[float], peer: list[float], name: str) -> None:
        from bench.relations_measure import number

        o50, o95, p50, p95 = (percentile(x, q) for x in (ours, peer) for q in (0.5, 0.95))
        self.rows.append(
            [
                f"{operation}, p50 / p95 ms",
                f"{number(o50)} / {number(o95)}",
                f"{number(p50)} / {number(p95)}",
                f"{o50 / p50:.1f}x",
                name,
            ]
        )
        print(f"  {operation}: done", flush=True)

    def rate(self, operation: str, ours: tuple, peer: tuple, name: str) -> None:
        """``ours`` and ``peer``: (messages, wall seconds, per-call seconds)."""
        from bench.relations_measure import number

        def cell(count: int, wall: float, calls: list[float]) -> str:
            low, high = percentile(calls, 0.5), percentile(calls, 0.95)
            return f"{count / wall:,.0f} msg/s ({number(low)} / {number(high)} ms)"

        ratio = (peer[0] / peer[1]) / (ours[0] / ours[1])  # time per message, ours over peer
        self.rows.append([operation, cell(*ours), cell(*peer), f"{ratio:.1f}x", name])
        print(f"  {operation}: done", flush=True)

    HEADER = HEADER
    ALIGNMENT = "|---|---:|---:|---:|---|"


# --- the cases ----------------------------------------------------------------------------


def in_threads(count: int, threads: int, work: Callable[[int, list[int]], list[float]]):
    """Run ``work(thread, numbers)`` over ``count`` numbers split across ``threads``; return
    (count, wall seconds, per-call seconds)."""
    shares = [list(range(t, count, threads)) for t in range(threads)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        calls = [c for spent in pool.map(work, range(threads), shares) for c in spent]
    return count, time.perf_counter() - started, calls


async def run(
    args, port: int, room, users: list, tokens: list[str], table: Table, *, http_port: int
) -> int:
    from channels.layers import get_channel_layer

    from workspace.chat.api.serializers import ChatMessageOutputSerializer
    from workspace.chat.models import ChatMessage
    from workspace.chat.realtime import room_group
    from workspace.chat.selectors import room_messages

    sockets = Sockets(f"ws://127.0.0.1:{port}/ws/chat/{room.pk}/", tokens)
    await sockets.open()
    all_ids: list[str] = []
    poster = Poster(http_port, room.pk, tokens)
    n = 0

    async def paced_post() -> tuple[str, float]:
        nonlocal n
        n += 1
        sent: dict[str, float] = {}
        # The id is known only from the answer: deliveries are matched after the fact.
        message_id, _spent = await asyncio.to_thread(poster.post, n, sent)
        all_ids.append(message_id)
        await sockets.settle([message_id])
        return message_id, sent[message_id]

    for _ in range(WARMUP):
        await paced_post()

    # 1. Post to delivery, one message at a time.
    paced: dict[str, float] = {}
    for _ in range(args.messages):
        message_id, started = await paced_post()
        paced[message_id] = started
    ours_every, ours_last = sockets.latencies(paced)

    # Peer: group_send of the consumer's event for stored messages, from this process.
    layer = get_channel_layer()
    group = room_group(room.pk)

    def store(count: int) -> list[str]:
        from django.db import connection

        rows = [
            ChatMessage(room=room, author=users[i % len(users)], body=f"peer message {i}")
            for i in range(count)
        ]
        ids = [m.pk for m in ChatMessage.objects.bulk_create(rows)]
        # Rendered as the service renders a message for its broadcast.
        made = [
            dict(ChatMessageOutputSerializer(m).data)
            for m in room_messages(room).filter(pk__in=ids).order_by("created_at", "id")
        ]
        connection.close()
        return made

    stored = await asyncio.to_thread(store, args.messages + WARMUP)
    sent: dict[str, float] = {}
    for index, rendered in enumerate(stored):
        message_id = rendered["id"]
        arrived = sockets.expect(message_id)
        started = time.perf_counter()
        await layer.group_send(
            group, {"type": "chat.event", "event": "message_posted", "message": rendered}
        )
        await asyncio.wait_for(arrived.wait(), DELIVERY_TIMEOUT)
        if index >= WARMUP:
            sent[message_id] = started
    stored_ids = [rendered["id"] for rendered in stored]
    all_ids += stored_ids
    await sockets.settle(stored_ids)
    peer_every, peer_last = sockets.latencies(sent)
    peer_name = (
        "`group_send` of an already rendered `chat.event` from this process: channels-redis, "
        "the consumer's relay and the WebSocket frame"
    )
    table.latency(
        f"post → delivery, each of {len(tokens)} sockets", ours_every, peer_every, peer_name
    )
    table.latency(
        f"post → delivery, last of {len(tokens)} sockets", ours_last, peer_last, peer_name
    )

    # 2. Throughput: back to back, sequential then concurrent; the peer inserts with the ORM.
    def posting(threads: int):
        def work(thread: int, numbers: list[int]) -> list[float]:
            own = Poster(http_port, room.pk, tokens) if threads > 1 else poster
            got: dict[str, float] = {}
            spent = []
            for number in numbers:
                _id, seconds = own.post(10_000 * (threads + 1) + number, got)
                spent.append(seconds)
            if own is not poster:
                own.close()
            with lock:
                loaded.update(got)
            return spent

        loaded: dict[str, float] = {}
        lock = threading.Lock()
        result = in_threads(args.messages, threads, work)
        return result, loaded

    def inserting(threads: int):
        from django.db import connection
        from django.utils import timezone

        def work(thread: int, numbers: list[int]) -> list[float]:
            spent = []
            for number in numbers:
                started = time.perf_counter()
                ChatMessage.objects.create(
                    room=room,
                    author=users[number % len(users)],
                    body=f"insert {number}",
                    created_at=timezone.now(),
                )
                spent.append(time.perf_counter() - started)
            connection.close()
            return spent

        return in_threads(args.messages, threads, work)

    for threads in (1, args.concurrency):
        ours, loaded = await asyncio.to_thread(posting, threads)
        ids = list(loaded)
        if len(ids) != args.messages:
            raise SystemExit(f"{len(ids)} distinct ids for {args.messages} posts")
        all_ids += ids
        await sockets.settle(ids)
        every, last = sockets.latencies(loaded)
        peer = await asyncio.to_thread(inserting, threads)
        label = "sequential" if threads == 1 else f"{threads} concurrent posters"
        table.rate(
            f"post through the API, {label}",
            ours,
            peer,
            "`ChatMessage.objects.create` (one INSERT, autocommit), as many threads",
        )
        table.facts.append(
            f"delivery while posting back to back ({label}): each socket p50 / p95 "
            f"{percentile(every, 0.5):.1f} / {percentile(every, 0.95):.1f} ms, "
            f"last of {len(tokens)} {percentile(last, 0.5):.1f} / {percentile(last, 0.95):.1f} ms"
        )

    # Exactly once, everywhere: nothing else arrived, nothing is missing.
    await sockets.settle(all_ids)
    await asyncio.sleep(0.5)
    sockets.check()
    wanted = set(all_ids)
    for index, arrived in enumerate(sockets.arrived):
        if set(arrived) != wanted:
            raise SystemExit(f"socket {index}: {len(set(arrived) ^ wanted)} ids differ")
    poster.close()
    await sockets.close()
    return len(all_ids)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["CHANNEL_PREFIX"] = CHANNEL_PREFIX
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"  # the bench speaks plain HTTP
    configure_environment()
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=False)

    import django

    django.setup()
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)

    from accounts.authentication import VersionedRefreshToken
    from accounts.models import User
    from workspace.chat import services

    async_to_sync(get_channel_layer().flush)()  # only this prefix's keys
    users = [
        User.objects.get_or_create(email=f"bench-chat-{n}@nexus.local")[0]
        for n in range(args.clients)
    ]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    room = services.room_create(
        actor=users[0], kind="private", name=f"bench {stamp}", members=users[1:]
    )
    tokens = [str(VersionedRefreshToken.for_user(user).access_token) for user in users]
    from django.db import connection

    connection.close()  # the server and the threads open their own

    server = Server(dict(os.environ))
    web = server if args.http == "daphne" else None
    try:
        web = web or Server(dict(os.environ), args.http)
        table = Table()
        print(f"sockets: daphne on {server.port}; HTTP: {web.name} on {web.port}", flush=True)
        delivered = asyncio.run(
            run(args, server.port, room, users, tokens, table, http_port=web.port)
        )
    finally:
        server.stop()
        if web is not None and web is not server:
            web.stop()
    serving = (
        "one daphne process for HTTP and sockets"
        if web is server
        else f"HTTP on gunicorn (gunicorn.conf.py: {gunicorn_shape()}), sockets on one daphne"
    )
    table.facts += [
        f"machine: {machine()}; PostgreSQL and Redis on the same machine; {serving}; "
        f"load average {os.getloadavg()[0]:.1f}",
        f"{args.clients} sockets on one private room, {args.messages} messages per case "
        f"after {WARMUP} warm-up ones; nearest-rank percentiles; time from just before the "
        "request (or group_send) to the frame read by the bench's client",
        f"checked: each of the {delivered} messages arrived exactly once at every socket",
        "the peers leave out: HTTP, JWT and DRF, the access checks, the events outbox, the read "
        "pointer, the transaction and its on_commit group_send",
    ]
    print(table.text())
    if args.markdown:
        args.markdown.write_text(table.markdown(command=" ".join(sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
