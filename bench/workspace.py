"""Workspace bench: AI usage statistics, file upload and document save, each against a peer.

Times, end to end through Django's test client as a signed-in admin-role user:
``GET /api/v1/ai/stats/?group_by=model|day`` over N interactions (pandas computing the same
groups on the same rows in memory is the peer, and the referee), ``POST /api/v1/files/`` of
10 MiB (hashlib + a file write is the peer) and ``PATCH /api/v1/documents/{id}/`` of a
200-block document with 1,000 versions (a plain ``UPDATE`` of the same JSON is the peer).
``make bench-workspace`` runs it on PostgreSQL; figures and the command are in
docs/PERFORMANCE.md (Workspace).
"""

import argparse
import hashlib
import math
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

from bench.relations import configure_environment, ensure_database  # noqa: E402
from bench.report import Printed, machine  # noqa: E402

MIB = 1024 * 1024
UPLOAD_BYTES = 10 * MIB
BLOCKS = 200
VERSIONS = 1_000
WARMUP = 2
USERS = 50
DAYS = 90
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet", "claude-haiku", "mistral-small", "llama-70b")
MODULES = ("documents", "mail", "chat", "projects", "patterns", "other")
COST_UNITS = 10**8  # cost has 8 decimal places: stored and compared as integer units
ADMIN_EMAIL = "bench-admin@nexus.local"
BOUNDARY = "NexusBenchBoundary"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=20, help="timed calls per operation")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep interactions of this size")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--allow-sqlite", action="store_true", help="smoke runs only")
    args = parser.parse_args(argv)
    if args.interactions < 100 or args.samples < 1:
        parser.error("need at least 100 interactions and 1 sample")
    return args


# --- data ---------------------------------------------------------------------------------


def interaction_rows(count: int, seed: int, user_ids: list) -> list[tuple]:
    """Return ``count`` deterministic interaction rows, in the model's column order below."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    span = DAYS * 86_400
    rows = []
    for n in range(count):
        model = rng.choice(MODELS)
        latency = int(rng.lognormvariate(6.5, 0.6))  # median about 665 ms, long tail
        occurred = start + timedelta(seconds=rng.randrange(span))
        rows.append(
            (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                user_ids[rng.randrange(len(user_ids))],
                rng.choice(MODULES),
                model,
                f"bench seed {seed}" if n == 0 else "",
                rng.randrange(20, 4_000),
                rng.randrange(10, 2_000),
                rng.randrange(0, 1_000),
                latency,
                "error" if rng.random() < 0.03 else "success",
                rng.randrange(0, 5_000_000),  # cost in units of 1e-8
                occurred,
            )
        )
    return rows


COLUMNS = (
    "id",
    "user_id",
    "module",
    "model",
    "prompt",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "latency_ms",
    "status",
    "cost",
    "occurred_at",
)


def cost_text(units: int) -> str:
    return f"{units // COST_UNITS}.{units % COST_UNITS:08d}"


def build_interactions(count: int, seed: int, reuse: bool, user_ids: list) -> float:
    """Fill the interaction table with ``count`` rows; return the seconds it took (0 if kept).

    Rows go in with COPY on PostgreSQL (bulk_create on SQLite), bypassing
    ``services.interaction_record``, which prices and budget-checks one call at a time.
    """
    from django.db import connection

    from workspace.ai_usage.models import AIInteraction

    marker = f"bench seed {seed}"
    kept = AIInteraction.objects.count() == count
    if reuse and kept and AIInteraction.objects.filter(prompt=marker).exists():
        return 0.0
    started = time.perf_counter()
    table = AIInteraction._meta.db_table
    rows = interaction_rows(count, seed, user_ids)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'TRUNCATE "{table}"')
        now = datetime.now(UTC)
        names = ", ".join([*COLUMNS, "created_at", "response", "error", "cost_source"])
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                *head, cost, occurred = row
                copy.write_row([*head, cost_text(cost), occurred, now, "", "", "computed"])
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{table}"')
    else:
        AIInteraction.objects.all().delete()
        AIInteraction.objects.bulk_create(
            (
                AIInteraction(
                    **dict(zip(COLUMNS[:-2], row[:-2], strict=True)),
                    cost=Decimal(cost_text(row[-2])),
                    occurred_at=row[-1],
                )
                for row in rows
            ),
            batch_size=5_000,
        )
    return time.perf_counter() - started


def load_frame():
    """Read the interactions into a pandas DataFrame (not timed: the peer starts in memory)."""
    import pandas as pd
    from django.db import connection

    from workspace.ai_usage.models import AIInteraction

    table = AIInteraction._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT model, user_id, occurred_at, input_tokens, output_tokens, cached_tokens, "
            f'latency_ms, status, cost FROM "{table}"'
        )
        fetched = cursor.fetchall()
    frame = pd.DataFrame(
        fetched,
        columns=[
            "model",
            "user",
            "occurred_at",
            "input",
            "output",
            "cached",
            "latency",
            "status",
            "cost",
        ],
    )
    frame["day"] = pd.to_datetime(frame["occurred_at"], utc=True).dt.floor("D")
    # Exact on PostgreSQL (Decimal); SQLite hands back floats, whose repr has the 8 places.
    frame["cost_units"] = [int(Decimal(str(value)) * COST_UNITS) for value in frame["cost"]]
    frame["error"] = frame["status"] == "error"
    frame["model"] = frame["model"].astype("category")
    frame["user"] = frame["user"].astype(str).astype("category")
    columns = ["model", "user", "day", "input", "output", "cached", "latency", "error"]
    return frame[[*columns, "cost_units"]]


def pandas_stats(frame, key: str) -> dict:
    """The endpoint's figures per group, in pandas: sums, counts and percentile_cont."""
    groups = frame.groupby(key, observed=True)
    sums = groups[["input", "output", "cached", "cost_units", "error"]].sum()
    sums["count"] = groups.size()
    quantiles = groups["latency"].quantile([0.5, 0.95], interpolation="linear").unstack()
    totals = frame["latency"].quantile([0.5, 0.95], interpolation="linear")
    return {"groups": sums.join(quantiles), "totals": totals, "cost": int(sums["cost_units"].sum())}


def word_content(seed: int, edit: int = 0) -> dict:
    """A word document of BLOCKS blocks: headings, paragraphs, lists and a few tables."""
    rng = random.Random(seed)
    words = ["nexus", "plan", "budget", "review", "draft", "scope", "risk", "owner", "team"]

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n)).capitalize()

    blocks: list[dict] = []
    for n in range(BLOCKS):
        if n % 20 == 0:
            blocks.append({"type": "heading", "level": 1 + n % 3, "text": text(5)})
        elif n % 25 == 7:
            blocks.append({"type": "table", "rows": [[text(2) for _ in range(4)]] * 5})
        elif n % 10 == 3:
            blocks.append({"type": "list", "ordered": n % 2 == 0, "items": [text(6)] * 5})
        else:
            blocks.append({"type": "paragraph", "text": text(50)})
    blocks[1] = {"type": "paragraph", "text": f"Edit {edit}. " + blocks[1]["text"]}
    return {"blocks": blocks}


def build_document(owner, seed: int):
    """Return a new word document of BLOCKS blocks that already has VERSIONS versions."""
    from workspace.documents.models import Document, DocumentVersion
    from workspace.documents.services import document_create

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    document = document_create(
        actor=owner, title=f"bench document {stamp}", doc_type="word", content=word_content(seed)
    )
    DocumentVersion.objects.bulk_create(
        [
            DocumentVersion(
                document=document,
                number=number,
                title=document.title,
                content=word_content(seed, edit=number),
                author=owner,
            )
            for number in range(2, VERSIONS + 1)
        ],
        batch_size=200,
    )
    Document.objects.filter(pk=document.pk).update(
        version=VERSIONS, content=word_content(seed, edit=VERSIONS)
    )
    document.refresh_from_db()
    return document


# --- measuring ----------------------------------------------------------------------------


def timed(
    call: Callable, cases: Sequence, prepare: Callable = lambda case: case, check=None
) -> list[int]:
    """Warm up, then time ``call`` once per case (nanoseconds); ``prepare`` runs untimed."""
    for case in cases[:WARMUP]:
        call(prepare(case))
    spent = []
    for case in cases:
        argument = prepare(case)
        started = time.perf_counter_ns()
        result = call(argument)
        spent.append(time.perf_counter_ns() - started)
        if check:
            check(case, result)
    return spent


def percentile(nanoseconds: list[int], quantile: float) -> float:
    """Nearest rank, in milliseconds (as the other benches)."""
    ordered = sorted(nanoseconds)
    return ordered[max(0, math.ceil(len(ordered) * quantile) - 1)] / 1e6


def mb_per_s(milliseconds: float) -> float:
    return UPLOAD_BYTES / 1e6 / (milliseconds / 1e3)


HEADER = ["operation", "ours p50 / p95 ms", "peer p50 / p95 ms", "ours/peer (p50)", "peer"]


class Table(Printed):
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.facts: list[str] = []

    def add(self, operation: str, ours: list[int], peer: list[int], name: str, rate=False):
        from bench.relations_measure import number

        o50, o95, p50, p95 = (
            percentile(ours, 0.5),
            percentile(ours, 0.95),
            percentile(peer, 0.5),
            percentile(peer, 0.95),
        )

        def cell(low: float, high: float) -> str:
            text = f"{number(low)} / {number(high)}"
            return f"{text} ({mb_per_s(low):.0f} / {mb_per_s(high):.0f} MB/s)" if rate else text

        self.rows.append([operation, cell(o50, o95), cell(p50, p95), f"{o50 / p50:.1f}x", name])
        print(f"  {operation}: done", flush=True)

    HEADER = HEADER
    ALIGNMENT = "|---|---:|---:|---:|---|"


def multipart(content: bytes, name: str) -> bytes:
    """The body of a multipart upload, built untimed (the test client would build it timed)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import encode_multipart

    return encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(name, content)})


def measure_stats(client, table, frame, group_by, phase, bound, slack, cases, args) -> None:
    """Time ``GET /api/v1/ai/stats/?group_by=...`` and check every answer against pandas:
    counts, tokens and cost exactly, percentiles within ``bound`` (relative) plus rounding."""
    import pandas as pd

    from bench.relations_measure import expect

    expected = pandas_stats(frame, group_by)
    url = f"/api/v1/ai/stats/?group_by={group_by}"

    def get(_case):
        response = client.get(url)
        expect(response.status_code == 200, f"stats answered {response.status_code}")
        return response.json()

    def close(ours: float, peer: float) -> bool:
        return abs(ours - round(peer, 3)) <= bound * peer + 0.0011

    def check(_case, body):
        groups = expected["groups"]
        expect(len(body["groups"]) == len(groups), f"{group_by}: group count differs")
        for row in body["groups"]:
            index = pd.Timestamp(row["key"], tz="UTC") if group_by == "day" else row["key"]
            peer = groups.loc[index]
            units = int(Decimal(row["cost"]) * COST_UNITS)
            expect(row["count"] == peer["count"], f"{group_by} {row['key']}: count differs")
            expect(abs(units - peer["cost_units"]) <= slack, f"{row['key']}: cost differs")
            for name in ("input", "output", "cached"):
                expect(row["tokens"][name] == peer[name], f"{row['key']}: {name} tokens differ")
            expect(
                abs(row["error_rate"] - round(peer["error"] / peer["count"], 4)) <= 1e-9,
                f"{row['key']}: error rate differs",
            )
            for name, fraction in (("p50_latency_ms", 0.5), ("p95_latency_ms", 0.95)):
                expect(
                    close(row[name], float(peer[fraction])),
                    f"{group_by} {row['key']}: {name} {row[name]} vs pandas {peer[fraction]}",
                )
        totals = body["totals"]
        expect(totals["count"] == len(frame), "total count differs")
        units = int(Decimal(totals["cost"]) * COST_UNITS)
        expect(abs(units - expected["cost"]) <= slack, "total cost differs")
        for name, fraction in (("p50_latency_ms", 0.5), ("p95_latency_ms", 0.95)):
            peer_total = float(expected["totals"][fraction])
            expect(close(totals[name], peer_total), f"total {name} differs")

    ours = timed(get, cases, check=check)
    peer = timed(lambda _case: pandas_stats(frame, group_by), cases)
    table.add(
        f"AI stats group_by={group_by}, {args.interactions:,} rows, from {phase} (HTTP, JSON)",
        ours,
        peer,
        "pandas groupby + quantile, in memory",
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_environment()
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")  # the test client speaks HTTP
    os.environ["FILE_USER_QUOTA_BYTES"] = str(2**50)  # the bench uploads GBs over its runs
    media = Path(tempfile.mkdtemp(prefix="nexus-bench-media-"))
    os.environ["MEDIA_ROOT"] = str(media)
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=args.allow_sqlite)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)

    from django.test import Client

    from accounts.models import User
    from bench.relations_measure import expect
    from nexus_site.definitions.enums import Role
    from workspace.documents.models import Document

    admin, _created = User.objects.get_or_create(
        email=ADMIN_EMAIL, defaults={"first_name": "Bench", "role": Role.ADMIN}
    )
    expect(admin.role == Role.ADMIN, f"{ADMIN_EMAIL} exists without the admin role")
    user_ids = [admin.pk]
    for n in range(1, USERS):
        user, _created = User.objects.get_or_create(email=f"bench-ai-{n}@nexus.local")
        user_ids.append(user.pk)
    seconds = build_interactions(args.interactions, args.seed, args.reuse, user_ids)
    if seconds:
        print(f"built {args.interactions} interactions in {seconds:.1f} s", flush=True)
    started = time.perf_counter()
    frame = load_frame()
    loaded = time.perf_counter() - started
    client = Client()
    client.force_login(admin)
    cases = list(range(args.samples))
    # Costs must match to the last of 8 decimal places; SQLite sums them as floats.
    slack = 0 if django.db.connection.vendor == "postgresql" else 100
    table = Table()
    print("measuring", flush=True)

    # 1. AI usage statistics, checked group by group against pandas: first from the raw rows
    # alone (before), then once the finished days are rolled up (after, the beat job's work).
    from workspace.ai_usage import latency, rollups
    from workspace.ai_usage.models import AIUsageRollup, AIUsageWatermark

    AIUsageWatermark.objects.all().delete()
    AIUsageRollup.objects.all().delete()
    rolled_seconds = 0.0
    for phase in ("raw rows", "daily rollups"):
        if phase == "daily rollups":
            started = time.perf_counter()
            days = rollups.roll_up()
            rolled_seconds = time.perf_counter() - started
            print(f"rolled up {days} days in {rolled_seconds:.1f} s", flush=True)
        # Exact from raw rows; from rollups within the histogram's bound (latency.ALPHA).
        bound = 0.0 if phase == "raw rows" else latency.ALPHA
        for group_by in ("model", "day", "user"):
            measure_stats(client, table, frame, group_by, phase, bound, slack, cases, args)

    # 2. File upload: new content each time, then a duplicate of content already stored.
    def fresh(_case) -> bytes:
        return os.urandom(UPLOAD_BYTES)

    def post(body: bytes):
        response = client.post(
            "/api/v1/files/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
        )
        expect(response.status_code == 201, f"upload answered {response.status_code}")
        return response

    peer_dir = Path(tempfile.mkdtemp(prefix="nexus-bench-peer-"))

    def store(content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        (peer_dir / digest).write_bytes(content)
        return digest

    existing = fresh(None)
    post(multipart(existing, "first.bin"))
    ours_new = timed(post, cases, prepare=lambda case: multipart(fresh(case), f"{case}.bin"))
    ours_dup = timed(post, cases, prepare=lambda case: multipart(existing, f"dup-{case}.bin"))
    peer_new = timed(store, cases, prepare=fresh)
    name = "sha256 + write a file"
    table.add("upload 10 MiB, new content (HTTP)", ours_new, peer_new, name, rate=True)
    table.add("upload 10 MiB, duplicate content (HTTP)", ours_dup, peer_new, name, rate=True)
    shutil.rmtree(peer_dir, ignore_errors=True)

    # 3. Document save: PATCH with the current version, each save writing a version row.
    document = build_document(admin, args.seed)
    edits = [word_content(args.seed, edit=VERSIONS + 1 + n) for n in range(args.samples + WARMUP)]
    state = {"version": document.version, "edit": 0}
    detail = f"/api/v1/documents/{document.pk}/"

    def patch(_case):
        body = {"version": state["version"], "content": edits[state["edit"]]}
        response = client.patch(detail, body, content_type="application/json")
        expect(response.status_code == 200, f"save answered {response.status_code}")
        state["version"] = response.json()["version"]
        state["edit"] += 1
        return response

    def update(case):
        return Document.objects.filter(pk=document.pk).update(content=edits[case])

    ours = timed(patch, cases)
    expect(state["version"] == VERSIONS + len(cases) + WARMUP, "a save did not write a version")
    peer = timed(update, cases)
    table.add(
        f"document save, {BLOCKS} blocks, {VERSIONS:,} versions (HTTP)",
        ours,
        peer,
        "QuerySet.update(content=...)",
    )
    shutil.rmtree(media, ignore_errors=True)

    table.facts += [
        f"machine: {machine()}; database: {django.db.connection.vendor}; "
        f"load average {os.getloadavg()[0]:.1f}",
        f"{args.interactions:,} interactions, {USERS} users, {len(MODELS)} models, {DAYS} days, "
        f"seed {args.seed}; read into pandas in {loaded:.1f} s (not timed)",
        "peers are timed on the computation only: pandas starts from the DataFrame in memory, "
        "the file peer from the bytes in memory, the document peer from the JSON",
        f"{args.samples} samples per operation after {WARMUP} warm-up calls; nearest-rank "
        "percentiles; every stats answer checked against pandas: count, cost, tokens and error "
        "rate exactly, p50 and p95 exactly from raw rows and within "
        f"{latency.ALPHA:.0%} from rollups",
        f"rolling up the {DAYS} days (the beat job, once) took {rolled_seconds:.1f} s",
    ]
    print(table.text())
    if args.markdown:
        args.markdown.write_text(table.markdown(command=" ".join(sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
