"""Search bench: a corpus of tasks, documents and chat messages, searched as a member who sees
about a tenth of it, against the bare full-text query (no access filter) and an ``icontains`` scan.

Builds ``--objects`` searchable objects in ``--projects`` projects (documents of 20-200 blocks,
tasks, messages in one room per project; words drawn from a Zipf-like vocabulary), indexes them
with ``manage.py rebuild_search_index``, makes a member of every tenth project, then times
``--queries`` queries of 1-3 words from the vocabulary, each case against peers measured in the
same run:

- first page of 20 with snippets: ``search.selectors.search`` (access filter, ranking,
  snippets, counts per kind);
- search as you type: titles only (``titles=True``), the last word cut to three letters;
- peers: the same full-text match and ranking with no access filter and no counts, and a plain
  ``body icontains`` scan of the entries for the first word.

Targets (issue 17, 1,000,000 objects, 2 cores): p95 <= 50 ms for the first page, <= 15 ms as you
type (titles only).
``.venv/bin/python bench/search.py --help`` lists the options; a smoke run:
``.venv/bin/python bench/search.py --objects 3000 --projects 50 --queries 50``.
"""

import argparse
import itertools
import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if p not in {str(Path(__file__).parent), ""}]

from bench.relations import configure_environment, ensure_database  # noqa: E402
from bench.report import Printed, machine  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nexus_bench_search"
VOCABULARY = 5_000
SYLLABLES = ["ka", "lo", "mi", "ra", "tu", "sen", "dor", "vel", "qui", "bar", "nex", "pol", "ith"]
BATCH = 2_000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000, help="searchable objects")
    parser.add_argument("--projects", type=int, default=1_000, help="projects they belong to")
    parser.add_argument("--queries", type=int, default=300, help="timed queries per case")
    parser.add_argument(
        "--peer-queries",
        type=int,
        help="timed queries of the peers: the first of the same queries (default: --queries; "
        "at 1,000,000 entries a bare query takes seconds)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the corpus and the queries")
    parser.add_argument("--reuse", action="store_true", help="keep a corpus already built")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument(
        "--allow-sqlite", action="store_true", help="allow a SQLite database (smoke runs only)"
    )
    args = parser.parse_args(argv)
    if args.objects < 1_000 or args.projects < 10 or args.queries < 10:
        parser.error("need at least 1000 objects, 10 projects and 10 queries")
    if args.peer_queries is None:
        args.peer_queries = args.queries
    if not 1 <= args.peer_queries <= args.queries:
        parser.error("--peer-queries must be between 1 and --queries")
    return args


def percentile(seconds: list[float], quantile: float) -> float:
    """Nearest rank, in milliseconds (as the other benches)."""
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(len(ordered) * quantile) - 1)] * 1e3


# --- the corpus ---------------------------------------------------------------------------


class Words:
    """A fixed vocabulary of made-up words, drawn with Zipf-like frequencies."""

    def __init__(self, rng: random.Random) -> None:
        words: set[str] = set()
        while len(words) < VOCABULARY:
            words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
        self.words = sorted(words)
        weights = [1 / (rank + 1) for rank in range(len(self.words))]
        self.cumulative = list(itertools.accumulate(weights))  # the draws of ``weights=``
        self.rng = rng

    def some(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def text(self, count: int) -> str:
        return " ".join(self.some(count))


def build(args: argparse.Namespace, rng: random.Random):
    """Create the corpus and index it; return the member.

    On PostgreSQL the objects and their entries are written with ``COPY`` (``bulk_load``); on
    SQLite (smoke runs) through the ORM and ``manage.py rebuild_search_index``.
    """
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from nexus_site.definitions.enums import MemberRole, RelationType
    from projects.models import Project
    from relations.nodes import node_of
    from relations.services import relationship_record
    from search.models import SearchEntry
    from workspace.chat.models import Room, RoomKind

    if args.reuse and SearchEntry.objects.count() >= args.objects:
        return User.objects.get(email="member@bench.invalid")
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    words = Words(rng)
    owner = User.objects.create_user("owner@bench.invalid", "bench-password-1")
    member = User.objects.create_user("member@bench.invalid", "bench-password-1")
    projects = Project.objects.bulk_create(
        Project(name=words.text(2), owner=owner) for _ in range(args.projects)
    )
    for n, project in enumerate(projects):
        relationship_record(source=node_of(owner), target=node_of(project), type=RelationType.OWNER)
        if n % 10 == 0:  # the member sees every tenth project: about 10% of the entries
            relationship_record(
                source=node_of(member),
                target=node_of(project),
                type=RelationType.MEMBER,
                metadata={"role": MemberRole.MEMBER},
            )
    rooms = Room.objects.bulk_create(
        Room(kind=RoomKind.PRIVATE, name=words.text(1), project=project, created_by=owner)
        for project in projects
    )
    if connection.vendor == "postgresql":
        bulk_load(args, rng, words, projects, rooms, owner)
    else:
        orm_load(args, rng, words, projects, rooms, owner)
        call_command("rebuild_search_index", batch_size=BATCH)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics for the planner after the load
            cursor.execute("VACUUM ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return member


SHARE = {"task": 0.4, "document": 0.2, "message": 0.4}


def corpus(args, rng, words, projects, rooms, owner):
    """Yield batches of unsaved objects (tasks, documents, messages in the ``SHARE``
    proportions, interleaved as they would be created over time) in random projects."""
    from projects.models import Task
    from workspace.chat.models import ChatMessage
    from workspace.documents.models import Document

    plan = [kind for kind, part in SHARE.items() for _ in range(int(args.objects * part))]
    rng.shuffle(plan)
    for start in range(0, len(plan), BATCH):
        batch = []
        for kind in plan[start : start + BATCH]:
            p = rng.randrange(len(projects))
            if kind == "task":
                batch.append(
                    Task(project=projects[p], title=words.text(4), description=words.text(30))
                )
            elif kind == "document":
                batch.append(
                    Document(
                        title=words.text(3),
                        doc_type="word",
                        owner=owner,
                        project=projects[p],
                        content={"blocks": blocks(words, rng.randint(20, 200))},
                    )
                )
            else:
                batch.append(ChatMessage(room=rooms[p], author=owner, body=words.text(12)))
        yield batch


def orm_load(args, rng, words, projects, rooms, owner) -> None:
    for batch in corpus(args, rng, words, projects, rooms, owner):
        by_model: dict = {}
        for obj in batch:
            by_model.setdefault(type(obj), []).append(obj)
        for model, objects in by_model.items():
            model.objects.bulk_create(objects)


STAGE = "bench_search_stage"
ENTRY_COLUMNS = ["kind", "object_id", "title", "body", "config", "path", "updated_at", "gates"]
# The entries' indexes as the latest migration creates them (GIN, trigram, the gates'),
# dropped for the load and built again after it.


def index_statements() -> list[str]:
    """The ``CREATE INDEX`` statements of the entries' indexes (migration ``search.0004``)."""
    import importlib

    return list(importlib.import_module("search.migrations.0004_searchentry_gates").INDEXES)


def index_names() -> list[str]:
    return [statement.split()[2] for statement in index_statements()]


def vector_sql() -> tuple[str, list]:
    """The production expressions of ``vector`` and ``title_vector`` (search.index.vectors),
    compiled by Django as its ``UPDATE`` does, over columns of ``search_searchentry``."""
    from django.db import connection

    from search import index
    from search.models import SearchEntry

    query = SearchEntry.objects.all().query
    compiler = query.get_compiler(connection=connection)
    parts, params = [], []
    for name in ("vector", "title_vector"):
        sql, part_params = compiler.compile(index.vectors()[name].resolve_expression(query))
        parts.append(sql)
        params += part_params
    return ", ".join(parts), params


def copy_objects(cursor, objects: list) -> None:
    """``COPY`` unsaved model instances (one model) into their table, every concrete column
    prepared as ``bulk_create`` prepares it (defaults, ``auto_now``, JSON)."""
    from django.db import connection

    model = type(objects[0])
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])


def bulk_load(args, rng, words, projects, rooms, owner) -> None:
    """Write the objects with ``COPY`` and their entries as the index does: the entry of each
    object from its kind's own ``extract`` (search.registrations), its vectors by the production
    expression in SQL; the GIN indexes are built after the load."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections
    from django.utils import timezone

    from search import index, registry

    phase = time.perf_counter()
    with connection.cursor() as cursor:
        for name in index_names():
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(
            f"CREATE UNLOGGED TABLE {STAGE} (n bigint GENERATED ALWAYS AS IDENTITY, "
            "kind varchar(16), object_id uuid, title varchar(300), body text, "
            "config varchar(16), path varchar(300), updated_at timestamptz, gates uuid[])"
        )
    raw = connection.connection  # psycopg's own connection: COPY
    done = 0
    # The projects exist already (bulk_create): only their entries are written.
    batches = itertools.chain([projects], corpus(args, rng, words, projects, rooms, owner))
    for n, batch in enumerate(batches):
        now = timezone.now()
        by_model: dict = {}
        entries = []
        for obj in batch:
            if n:
                by_model.setdefault(type(obj), []).append(obj)
            kind = registry.kind_of(obj)
            text = kind.extract(obj)
            entry = index.entry_of(kind, obj, text, now=now)
            row = [getattr(entry, column) for column in ENTRY_COLUMNS]
            row[-1] = "{" + ",".join(map(str, entry.gates)) + "}"  # an array literal for COPY
            entries.append(row)
        with raw.cursor() as cursor:
            for objects in by_model.values():
                copy_objects(cursor, objects)
            columns = ", ".join(ENTRY_COLUMNS)
            with cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:
                for row in entries:
                    copy.write_row(row)
        done += len(batch) if n else 0
        print(f"\rcopied {done}/{args.objects}", end="", file=sys.stderr, flush=True)
    print(f" in {time.perf_counter() - phase:.0f} s", file=sys.stderr)

    phase = time.perf_counter()
    vectors, params = vector_sql()
    quoted = ", ".join(f'"search_searchentry".{column}' for column in ENTRY_COLUMNS)
    insert = (
        f"INSERT INTO search_searchentry ({', '.join(ENTRY_COLUMNS)}, vector, title_vector) "
        f'SELECT {quoted}, {vectors} FROM {STAGE} AS "search_searchentry" '
        'WHERE "search_searchentry".n %% 2 = %s ORDER BY "search_searchentry".n'
    )

    def entries_of(part: int) -> None:  # two halves at once: one per core
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute(insert, [*params, part])
        finally:
            connections["default"].close()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(entries_of, [0, 1]))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {STAGE}")
    print(f"entries and vectors in {time.perf_counter() - phase:.0f} s", file=sys.stderr)

    phase = time.perf_counter()

    def create(statement: str) -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                cursor.execute(statement)
        finally:
            connections["default"].close()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(create, index_statements()))
    print(f"GIN indexes in {time.perf_counter() - phase:.0f} s", file=sys.stderr)


def blocks(words: Words, count: int) -> list[dict]:
    return [
        {"type": "paragraph", "text": words.text(15)}
        if n % 5
        else {"type": "heading", "level": 2, "text": words.text(3)}
        for n in range(count)
    ]


# --- measuring ----------------------------------------------------------------------------


class Report(Printed):
    HEADER = ["case", "p50 ms", "p95 ms", "p95 / bare"]
    ALIGNMENT = "|---|---:|---:|---:|"

    def __init__(self, rows: list[list[str]], facts: list[str]) -> None:
        self.rows, self.facts = rows, facts


def timed(call, queries: list[str]) -> list[float]:
    seconds = []
    for q in queries:
        started = time.perf_counter()
        call(q)
        seconds.append(time.perf_counter() - started)
    return seconds


def measure(member, args: argparse.Namespace, rng: random.Random) -> Report:
    from django.db import connection

    from search import query as text_query
    from search import selectors
    from search.models import SearchEntry
    from search.selectors import search

    vocabulary = Words(random.Random(args.seed))
    queries = [vocabulary.text(rng.randint(1, 3)) for _ in range(args.queries)]
    typed = [q[: max(3, len(q) - len(q.split()[-1]) + 3)] for q in queries]
    if connection.vendor == "postgresql":
        match, snippets = selectors.postgres_matches, selectors.postgres_snippets
    else:
        match, snippets = selectors.sqlite_matches, selectors.sqlite_snippets

    def bare(q: str) -> list:
        """The same match, ranking and snippets, with no access filter and no counts."""
        found = text_query.words(q)
        ids = match(SearchEntry.objects.all(), found).order_by("-rank").values("pk")[:20]
        page = snippets(match(SearchEntry.objects.filter(pk__in=ids), found), found)
        return list(page.values("kind", "object_id", "title", "marked", "rank"))

    def scan(q: str) -> list:
        first = text_query.words(q)[0]
        return list(SearchEntry.objects.filter(body__icontains=first).values("id")[:20])

    cases = {
        "bare full-text query, no access filter (peer)": lambda q: bare(q),
        "search, first page of 20 with snippets": lambda q: search(member, q),
        "search as you type, titles only (last word: 3 letters)": None,
        "icontains scan of the text (peer)": lambda q: scan(q),
    }
    timed(bare, queries[: min(3, args.peer_queries)])  # warm the caches once
    timed(lambda q: search(member, q), queries[:10])
    peers = {"bare full-text query, no access filter (peer)", "icontains scan of the text (peer)"}
    results: dict[str, list[float]] = {}
    for name, call in cases.items():
        if call is None:
            results[name] = timed(lambda q: search(member, q, titles=True), typed)
        elif name in peers:
            results[name] = timed(call, queries[: args.peer_queries])
        else:
            results[name] = timed(call, queries)
    bare_p95 = percentile(results["bare full-text query, no access filter (peer)"], 0.95)
    rows = [
        [
            name,
            f"{percentile(seconds, 0.5):.1f}",
            f"{percentile(seconds, 0.95):.1f}",
            f"{percentile(seconds, 0.95) / bare_p95:.2f}",
        ]
        for name, seconds in results.items()
    ]
    entries = SearchEntry.objects.count()
    # How many queries found no word and fell back to titles close to the words (PostgreSQL's
    # typo fallback: a second, costlier statement).
    full = [search(member, q) for q in queries]
    as_typed = [search(member, q, titles=True) for q in typed]
    fuzzy = sum(results.fuzzy for results in full)
    fuzzy_typed = sum(results.fuzzy for results in as_typed)
    capped = sum(results.capped for results in full)
    capped_typed = sum(results.capped for results in as_typed)
    memory = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW shared_buffers")
            memory = f" (shared_buffers {cursor.fetchone()[0]})"
    facts = [
        f"machine: {machine()}",
        f"database: {connection.vendor}{memory}; {entries} entries, {args.projects} projects, "
        f"the member sees every tenth project",
        f"{args.queries} queries of 1-3 words from the corpus (the peers: the first "
        f"{args.peer_queries}), seed {args.seed}",
        f"typo fallback taken by {fuzzy} of the queries, {fuzzy_typed} of the typed ones",
        f"over {selectors.RESULT_CAP} matches (counts capped): {capped} of the queries, "
        f"{capped_typed} of the typed ones",
    ]
    return Report(rows, facts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    configure_environment()
    ensure_database(os.environ["DATABASE_URL"], allow_sqlite=args.allow_sqlite)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(args.seed)
    member = build(args, rng)
    report = measure(member, args, rng)
    print(report.text())
    if args.markdown:
        args.markdown.write_text(report.markdown(command=" ".join(sys.argv)))
        print(f"wrote {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
