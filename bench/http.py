"""HTTP bench: every hot endpoint under load through gunicorn, against a bare Django view.

Serves the app as production does (gunicorn gthread from ``gunicorn.conf.py``, PostgreSQL,
Redis, ``DJANGO_DEBUG=false``), seeds a team (a manager, members, projects of 50 to 500 tasks,
documents, mail, a chat room), and drives each endpoint with ``wrk`` at several concurrencies,
signed in as a member. The peer is a bare Django JSON view (``nexus_site.bench_urls``, routed
only when ``NEXUS_BENCH_VIEWS`` is on) measured in the same run: Django's request cycle and the
site's middleware, nothing else.

Per cell it reports requests per second, p50 and p99 latency (wrk's), the gunicorn processes'
CPU time per request (``/proc``, master and workers), SQL queries per request (one request
through Django's test client under ``CaptureQueriesContext``, after a warm-up one), server
errors (5xx) and the share of the bare view's requests per second at the same concurrency.
Any other non-2xx answer stops the bench. ``make bench-http`` runs it; figures and the command
are in docs/PERFORMANCE.md (HTTP).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

from bench.processes import Child, free_port  # noqa: E402
from bench.relations import configure_environment, ensure_database  # noqa: E402
from bench.report import Printed, machine  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nexus_bench_http"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
PREFIX = "nexus-bench-http"
TEAM = "bench-http"
PROJECT_SIZES = (50, 100, 200, 500)
BOARD_TASKS = 200
MEMBERS = 7
DOCUMENTS = 40
MAILS = 30
CHAT_MESSAGES = 100
DOCS = ROOT / "docs" / "PERFORMANCE.md"
DOCS_BEGIN = "<!-- bench/http.py table: begin -->"
DOCS_END = "<!-- bench/http.py table: end -->"

# wrk script: method, body and headers from the environment; counts 5xx and other non-2xx
# answers per thread and prints one JSON line when done.
WRK_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  server_errors = 0
  other_errors = 0
  wrk.method = os.getenv("BENCH_METHOD")
  local body = os.getenv("BENCH_BODY")
  if body ~= "" then wrk.body = body end
  for header in string.gmatch(os.getenv("BENCH_HEADERS"), "[^\n]+") do
    local name, value = string.match(header, "^([^:]+): (.*)$")
    wrk.headers[name] = value
  end
end
function response(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1
  elseif status >= 300 then other_errors = other_errors + 1 end
end
function done(summary, latency, requests)
  local s, o = 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("server_errors")
    o = o + thread:get("other_errors")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "server_errors": %d,' ..
    ' "other_errors": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    s, o, e.connect + e.read + e.write + e.timeout))
end
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="timed seconds per cell")
    parser.add_argument("--warmup", type=float, default=1, help="untimed seconds per endpoint")
    parser.add_argument(
        "--concurrency", default="1,8,32", help="comma-separated client connections per cell"
    )
    parser.add_argument(
        "--only",
        help="comma-separated endpoints among bare, healthz, tasks, task, document, events, "
        "chat, board, documents, dashboard (default: all; the bare view always runs)",
    )
    parser.add_argument("--reseed", action="store_true", help="empty the database and seed again")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument(
        "--update-docs",
        action="store_true",
        help="replace the table in docs/PERFORMANCE.md (HTTP) with this run's",
    )
    args = parser.parse_args(argv)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    if args.seconds < 1 or min(args.concurrency) < 1:
        parser.error("need at least 1 second per cell and a concurrency of at least 1")
    return args


# --- the team -----------------------------------------------------------------------------


def seed() -> None:
    """Create the team through the services; tasks in bulk, as bench/projects.py does."""
    from django.utils import timezone

    from accounts.models import User
    from nexus_site.definitions.enums import Role
    from projects import services as projects
    from projects.models import Priority, Task, TaskStatus
    from workspace.chat import services as chat
    from workspace.documents import services as documents
    from workspace.mail import services as mail

    started = time.perf_counter()
    manager = User.objects.create_user(
        email=f"{TEAM}-manager@nexus.local", password=None, first_name="Bench", role=Role.MANAGER
    )
    members = [
        User.objects.create_user(
            email=f"{TEAM}-member-{n}@nexus.local", password=None, first_name=f"Member {n}"
        )
        for n in range(MEMBERS)
    ]
    statuses, priorities = list(TaskStatus.values), list(Priority.values)
    all_projects = []
    for size in PROJECT_SIZES:
        project = projects.project_create(actor=manager, name=f"{TEAM} {size} tasks")
        for member in members:
            projects.project_member_add(actor=manager, project=project, user=member)
        tasks = []
        for n in range(size):
            status = statuses[n % len(statuses)]
            tasks.append(
                Task(
                    project=project,
                    title=f"Task {n} of {size}",
                    description="Bench task. " * (n % 5),
                    assignee=members[n % MEMBERS] if n % 4 else None,
                    reporter=manager,
                    status=status,
                    priority=priorities[n % len(priorities)],
                    estimated_hours=Decimal(1 + n % 16),
                    tags=["bench", f"t{n % 6}"] if n % 3 else [],
                    completed_at=timezone.now() if status == TaskStatus.DONE else None,
                )
            )
        Task.objects.bulk_create(tasks, batch_size=1_000)
        all_projects.append(project)
    for n in range(DOCUMENTS):
        author = manager if n % 2 else members[n % MEMBERS]
        documents.document_create(
            actor=author,
            title=f"Document {n}",
            doc_type="word",
            project=all_projects[n % len(all_projects)] if n % 4 else None,
        )
    for n in range(MAILS):
        sender = members[n % MEMBERS]
        to = [members[(n + 1) % MEMBERS].email, manager.email]
        mail.mail_draft_create(
            actor=sender, to=to, subject=f"Mail {n}", body="Bench mail body.\n" * 5, send=True
        )
    room = chat.room_create(actor=manager, kind="private", name=f"{TEAM} room", members=members)
    for n in range(CHAT_MESSAGES):
        chat.message_post(actor=members[n % MEMBERS], room=room, body=f"Chat message {n}")
    print(f"seeded the team in {time.perf_counter() - started:.1f} s", flush=True)


def team():
    """Return (member, board project, task, document, room) of the seeded team, or None."""
    from accounts.models import User
    from projects.models import Project
    from workspace.chat.models import Room
    from workspace.documents.models import Document

    member = User.objects.filter(email=f"{TEAM}-member-0@nexus.local").first()
    board = Project.objects.filter(name=f"{TEAM} {BOARD_TASKS} tasks").first()
    room = Room.objects.filter(name=f"{TEAM} room").first()
    if member is None or board is None or room is None:
        return None
    if board.tasks.count() != BOARD_TASKS:
        return None
    task = board.tasks.order_by("created_at", "id")[BOARD_TASKS // 2]
    document = Document.objects.filter(project__isnull=False).order_by("created_at").first()
    return member, board, task, document, room


# --- the server ---------------------------------------------------------------------------


class Server(Child):
    """gunicorn with the repository's gunicorn.conf.py, as ``make serve`` runs it."""

    STOP_SECONDS = 30

    def __init__(self, env: dict) -> None:
        self.port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        super().__init__([str(gunicorn), "--config", "gunicorn.conf.py"], env=env, name="gunicorn")
        self.wait_listening(self.port, tries=300)
        time.sleep(1)  # let every worker boot
        self.worker_count = len(self.pids()) - 1

    def pids(self) -> list[int]:
        """The master and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [self.process.pid, *(int(pid) for pid in children.read_text().split())]

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its live workers."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def workers(self) -> str:
        return f"{self.worker_count} workers"


# --- the cells ----------------------------------------------------------------------------


@dataclass
class Endpoint:
    key: str
    name: str
    path: str
    method: str = "GET"
    body: str = ""
    page: bool = False  # signed in with the session cookie, else with a bearer token


@dataclass
class Cell:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    server_errors: int


def endpoints(board, task, document, room) -> list[Endpoint]:
    return [
        Endpoint("bare", "bare Django view (peer)", "/bench/bare/"),
        Endpoint("healthz", "GET /healthz", "/healthz"),
        Endpoint("tasks", "task list, 50 (API)", "/api/v1/tasks/?limit=50"),
        Endpoint("task", "task detail (API)", f"/api/v1/tasks/{task.pk}/"),
        Endpoint("document", "document detail (API)", f"/api/v1/documents/{document.pk}/"),
        Endpoint("events", "events list (API)", "/api/v1/events/"),
        Endpoint(
            "chat",
            "chat post (API)",
            f"/api/v1/chat/rooms/{room.pk}/messages/",
            "POST",
            json.dumps({"body": "bench post"}),
        ),
        Endpoint("board", f"board page, {BOARD_TASKS} tasks", f"/projects/{board.pk}/", page=True),
        Endpoint("documents", "documents page", "/documents/", page=True),
        Endpoint("dashboard", "dashboard page", "/", page=True),
    ]


def headers_for(endpoint: Endpoint, token: str, session: str) -> dict[str, str]:
    headers = {"Accept-Language": "en"}
    if endpoint.page:
        headers["Cookie"] = f"sessionid={session}"
    elif endpoint.path.startswith("/api/"):
        headers["Authorization"] = f"Bearer {token}"
        headers["Content-Type"] = "application/json"
    return headers


def wrk(port: int, endpoint: Endpoint, headers: dict, connections: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    env = {
        **os.environ,
        "BENCH_METHOD": endpoint.method,
        "BENCH_BODY": endpoint.body,
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items()),
    }
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        script.name,
        f"http://127.0.0.1:{port}{endpoint.path}",
    ]
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    finally:
        os.unlink(script.name)
    match = re.search(r"^BENCH (.*)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or match is None:
        sys.exit(f"wrk failed on {endpoint.name}: {result.stdout}\n{result.stderr}")
    return json.loads(match.group(1))


def measure(server: Server, endpoint: Endpoint, headers: dict, connections: int, seconds: float):
    cpu_before = server.cpu_seconds()
    figures = wrk(server.port, endpoint, headers, connections, seconds)
    cpu = server.cpu_seconds() - cpu_before
    if figures["other_errors"] or figures["socket_errors"]:
        sys.exit(f"{endpoint.name} at {connections}: {figures} (a non-2xx answer or a bad socket)")
    requests = figures["requests"]
    return Cell(
        requests=requests,
        seconds=figures["seconds"],
        p50_ms=figures["p50_us"] / 1e3,
        p99_ms=figures["p99_us"] / 1e3,
        cpu_ms=cpu * 1e3 / max(requests, 1),
        server_errors=figures["server_errors"],
    )


def queries_per_request(endpoint: Endpoint, headers: dict) -> int:
    """SQL statements of one request through the test client, after a warm-up one."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    meta.pop("HTTP_CONTENT_TYPE", None)
    if "HTTP_COOKIE" in meta:
        client.cookies["sessionid"] = meta.pop("HTTP_COOKIE").split("=", 1)[1]

    def call():
        if endpoint.method == "POST":
            return client.post(endpoint.path, endpoint.body, "application/json", **meta)
        return client.get(endpoint.path, **meta)

    first = call()
    if first.status_code >= 300:
        sys.exit(f"{endpoint.name} answered {first.status_code}: {first.content[:300]!r}")
    with CaptureQueriesContext(connection) as queries:
        call()
    connection.close()
    return len(queries)


# --- the table ----------------------------------------------------------------------------

HEADER = [
    "endpoint",
    "clients",
    "req/s",
    "p50 ms",
    "p99 ms",
    "server CPU ms/req",
    "SQL/req",
    "5xx",
    "of bare req/s",
]


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


class Table(Printed):
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.facts: list[str] = []
        self.bare: dict[int, list[float]] = {}
        self.cells: list[tuple] = []

    def add(self, endpoint: Endpoint, connections: int, cell: Cell, queries: int) -> None:
        rate = cell.requests / cell.seconds
        if endpoint.key == "bare":
            self.bare.setdefault(connections, []).append(rate)
        self.cells.append((endpoint, connections, rate, cell, queries))
        print(f"  {endpoint.name}, {connections} clients: {rate:,.0f} req/s", flush=True)

    def finish(self) -> None:
        """Fill the rows once both runs of the peer are in."""
        for endpoint, connections, rate, cell, queries in self.cells:
            bare = self.bare.get(connections)
            share = rate / (sum(bare) / len(bare)) if bare else None
            self.rows.append(
                [
                    endpoint.name,
                    str(connections),
                    number(rate),
                    number(cell.p50_ms),
                    number(cell.p99_ms),
                    number(cell.cpu_ms),
                    str(queries),
                    str(cell.server_errors),
                    f"{share:.1%}" if share is not None else "-",
                ]
            )

    HEADER = HEADER
    ALIGNMENT = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"


def update_docs(markdown: str) -> None:
    text = DOCS.read_text()
    if DOCS_BEGIN not in text or DOCS_END not in text:
        sys.exit(f"{DOCS} has no {DOCS_BEGIN} ... {DOCS_END} block to replace")
    head, rest = text.split(DOCS_BEGIN, 1)
    _old, tail = rest.split(DOCS_END, 1)
    DOCS.write_text(f"{head}{DOCS_BEGIN}\n{markdown}{DOCS_END}{tail}")
    print(f"updated {DOCS}", file=sys.stderr)


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk not found: apt-get install wrk (make bench-http installs it)")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["CACHE_KEY_PREFIX"] = PREFIX
    os.environ["CHANNEL_PREFIX"] = PREFIX
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # no worker: mail notifications in-process
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"  # the bench speaks plain HTTP
    os.environ["NEXUS_BENCH_VIEWS"] = "true"  # the bare view
    configure_environment()
    os.environ["NEXUS_GRAPH_LAB"] = "false"  # the real apps only, as production
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=False)

    import django

    # The test client's WhiteNoise looks for collected static files the bench does not need.
    warnings.filterwarnings("ignore", "No directory at")
    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.authentication import VersionedRefreshToken

    call_command("migrate", interactive=False, verbosity=0)
    if args.reseed or team() is None:
        call_command("flush", interactive=False, verbosity=0)
        cache.clear()
        seed()
    member, board, task, document, room = team()
    login = Client()
    login.force_login(member)
    session = login.cookies["sessionid"].value
    chosen = endpoints(board, task, document, room)
    if args.only:
        keys = {key.strip() for key in args.only.split(",")} | {"bare"}
        chosen = [e for e in chosen if e.key in keys]
    connection.close()  # the server opens its own

    server = Server(dict(os.environ))
    table = Table()
    print(f"gunicorn on port {server.port} ({server.workers()}); measuring", flush=True)
    started = time.perf_counter()
    # The peer runs first and again last; shares are against the mean of its two runs, so a
    # machine that got busier or quieter meanwhile shows in the two bare rows.
    again = Endpoint("bare", "bare Django view (peer), again", "/bench/bare/")
    try:
        for endpoint in [*chosen, again]:
            token = str(VersionedRefreshToken.for_user(member).access_token)
            headers = headers_for(endpoint, token, session)
            queries = queries_per_request(endpoint, headers)
            wrk(server.port, endpoint, headers, max(args.concurrency), args.warmup)
            for connections in args.concurrency:
                cell = measure(server, endpoint, headers, connections, args.seconds)
                table.add(endpoint, connections, cell, queries)
    finally:
        server.stop()
    threads = os.environ.get("WEB_THREADS", "4")
    table.facts += [
        f"machine: {machine()}; PostgreSQL and Redis on the same machine, and wrk (2 threads) "
        f"too; load average {os.getloadavg()[0]:.1f} at the end; "
        f"{time.perf_counter() - started:.0f} s of measuring",
        f"server: gunicorn gthread from gunicorn.conf.py, {server.workers()} x {threads} "
        "threads, DJANGO_DEBUG=false, PostgreSQL pool per worker, cached_db sessions on Redis",
        f"team: 1 manager and {MEMBERS} members; projects of {', '.join(map(str, PROJECT_SIZES))}"
        f" tasks; {DOCUMENTS} documents, {MAILS} mails, a room of {CHAT_MESSAGES}+ messages; "
        "every request as a member (bearer token for the API, session cookie for pages)",
        f"each cell {args.seconds:g} s after a {args.warmup:g} s warm-up per endpoint; "
        "server CPU: user + system time of the gunicorn master and workers over the cell, "
        "divided by its requests (PostgreSQL's and Redis's own CPU not included); SQL/req: one "
        "request through the test client after a warm-up one",
    ]
    table.finish()
    print(table.text())
    markdown = table.markdown(command=" ".join(["bench/http.py", *(argv or sys.argv[1:])]))
    if args.markdown:
        args.markdown.write_text(markdown)
    if args.update_docs:
        update_docs(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
