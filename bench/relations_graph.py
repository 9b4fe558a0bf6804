"""Build the bench graph straight into the database, reproducibly from a seed.

The bench builds a valid graph directly with bulk writes and bypasses relations.services on
purpose: services validate, check cycles and publish an event per row, which would take hours
for a million rows. Validity is kept by construction instead: parent edges only point from an
older node to a newer one (so they cannot close a cycle), every pair of nodes carries at most
one fact (so no duplicates, and a networkx DiGraph holds the same graph), and linked edges are
stored in services.normalize's canonical form (smaller node first).

Shape, for N relationships: N/20 users; spaces (projects) in trees up to 8 deep by parent edges;
N/2 pages (documents) under spaces by foreign key, some nested under earlier pages of the same
space by parent edges; a few threads and comments; user memberships on spaces (some guest, some
with a share permission, some expiring or expired); owners of root spaces and of pages; linked
pages and linked users.
"""

import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from nexus_site.definitions.enums import MemberRole, Permission, RelationType, Role
from relations.lab.models import Comment, Page, Space, Thread
from relations.management.progress import Progress
from relations.models import Relationship
from relations.nodes import Node, content_types_by_label, normalize
from relations.registry import model_label

User = get_user_model()
USER, SPACE, PAGE = model_label(User), model_label(Space), model_label(Page)

# Bump when the shape below changes, so --reuse rebuilds a graph of an older shape.
SHAPE_VERSION = 1
META_TABLE = "bench_relations_meta"
BATCH_SIZE = 5_000
MAX_SPACE_DEPTH = 8
# Share of the N relationships per kind of fact; the last kind takes the rounding remainder.
SHARES = {
    "space_parent": 0.12,
    "page_parent": 0.15,
    "member": 0.22,
    "owner": 0.06,
    "page_linked": 0.30,
    "user_linked": 0.15,
}
EPOCH_MS = 1_735_689_600_000  # 2025-01-01: ids look like production's, whatever the run date

Edge = tuple[Node, Node, str, dict[str, Any]]  # stored form: source, target, type, metadata


@dataclass
class Built:
    """What the measurements need to know about the graph in the database."""

    relationships: int
    seed: int
    build_seconds: float
    reused: bool


@dataclass
class Plan:
    """The whole graph as plain data, before it is written."""

    users: list[uuid.UUID] = field(default_factory=list)
    spaces: list[uuid.UUID] = field(default_factory=list)
    pages: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (page, space)
    threads: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (thread, page)
    comments: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (comment, thread)
    edges: list[Edge] = field(default_factory=list)
    pairs: set[frozenset[Node]] = field(default_factory=set)

    def relate(self, source: Node, type_: str, target: Node, metadata: dict | None = None) -> bool:
        """Add a fact unless its two nodes already carry one; return whether it was added."""
        pair = frozenset((source, target))
        if source == target or pair in self.pairs:
            return False
        self.pairs.add(pair)
        self.edges.append((*normalize(source, target, type_), metadata or {}))
        return True


class Ids:
    """UUIDv7-shaped ids, time-ordered like production's (index locality), but seeded."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.ms = rng, EPOCH_MS

    def __call__(self) -> uuid.UUID:
        self.ms += 1
        rand = self.rng.getrandbits(74)
        value = (self.ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62)
        return uuid.UUID(int=value | (rand & ((1 << 62) - 1)))


def budgets(relationships: int) -> dict[str, int]:
    counts = {kind: int(relationships * share) for kind, share in SHARES.items()}
    counts["user_linked"] += relationships - sum(counts.values())
    return counts


def plan_graph(relationships: int, seed: int, now: datetime) -> Plan:
    """Return the graph of ``relationships`` facts that ``seed`` gives."""
    rng = random.Random(seed)
    ids = Ids(rng)
    wanted = budgets(relationships)
    plan = Plan(users=[ids() for _ in range(relationships // 20)])
    roots = plan_spaces(plan, rng, ids, wanted["space_parent"])
    plan_pages(plan, rng, ids, relationships // 2, wanted["page_parent"])
    users = [Node(USER, pk) for pk in plan.users]
    spaces = [Node(SPACE, pk) for pk in plan.spaces]
    pages = [Node(PAGE, pk) for pk, _space in plan.pages]
    fill(wanted["member"], lambda: plan.relate(*membership(rng, users, spaces, now)))
    owners = iter(rng.sample(roots, min(len(roots), wanted["owner"])))
    fill(
        wanted["owner"],
        lambda: plan.relate(
            rng.choice(users), RelationType.OWNER, next(owners, None) or rng.choice(pages)
        ),
    )
    fill(
        wanted["page_linked"],
        lambda: plan.relate(rng.choice(pages), RelationType.LINKED, rng.choice(pages)),
    )
    fill(
        wanted["user_linked"],
        lambda: plan.relate(rng.choice(users), RelationType.LINKED, rng.choice(users)),
    )
    return plan


def fill(count: int, add: Callable[[], bool]) -> None:
    """Call ``add`` until it has added ``count`` facts (it refuses pairs already related)."""
    added = 0
    while added < count:
        added += add()


def plan_spaces(plan: Plan, rng: random.Random, ids: Ids, edges: int) -> list[Node]:
    """Add trees of spaces with ``edges`` parent edges in all; return the roots.

    Each tree has a spine reaching MAX_SPACE_DEPTH, so every tree has deep pages; its other
    spaces hang under random shallower ones.
    """
    roots = []
    while edges > 0:
        size = min(rng.randint(MAX_SPACE_DEPTH, 40), edges + 1)
        root = ids()
        plan.spaces.append(root)
        roots.append(Node(SPACE, root))
        tree = [(root, 1)]
        for position in range(1, size):
            # The first MAX_SPACE_DEPTH - 1 children form the spine, each under the last.
            parent, depth = tree[-1] if position < MAX_SPACE_DEPTH else rng.choice(tree)
            child = ids()
            plan.spaces.append(child)
            plan.relate(Node(SPACE, parent), RelationType.PARENT, Node(SPACE, child))
            if depth + 1 < MAX_SPACE_DEPTH:
                tree.append((child, depth + 1))
        edges -= size - 1
    return roots


def plan_pages(plan: Plan, rng: random.Random, ids: Ids, count: int, edges: int) -> None:
    """Add ``count`` pages in random spaces, ``edges`` parent edges between pages of one space
    (older page above newer, so acyclic), and threads and comments under some pages."""
    by_space: dict[uuid.UUID, list[uuid.UUID]] = {}
    for _ in range(count):
        page, space = ids(), rng.choice(plan.spaces)
        plan.pages.append((page, space))
        by_space.setdefault(space, []).append(page)
    later = [
        (siblings, index) for siblings in by_space.values() for index in range(1, len(siblings))
    ]

    def nest() -> bool:
        siblings, index = rng.choice(later)
        parent = siblings[rng.randrange(index)]
        return plan.relate(Node(PAGE, parent), RelationType.PARENT, Node(PAGE, siblings[index]))

    fill(edges, nest)
    plan.threads = [(ids(), rng.choice(plan.pages)[0]) for _ in range(count // 10)]
    plan.comments = [(ids(), rng.choice(plan.threads)[0]) for _ in range(count // 5)]


def membership(
    rng: random.Random, users: list[Node], spaces: list[Node], now: datetime
) -> tuple[Node, str, Node, dict[str, Any]]:
    """Return a random membership: plain mostly, else guest, a share level, or an expiry."""
    draw = rng.random()
    if draw < 0.7:
        metadata: dict[str, Any] = {}
    elif draw < 0.8:
        metadata = {"role": MemberRole.GUEST.value}
    elif draw < 0.9:
        metadata = {"permission": rng.choice(Permission.values)}
    else:
        days = rng.choice([-365, 365])  # half expired a year ago, half expire in a year
        metadata = {"expires_at": (now + timedelta(days=days)).isoformat()}
    return rng.choice(users), RelationType.MEMBER.value, rng.choice(spaces), metadata


def objects(plan: Plan, now: datetime) -> list[tuple[type[models.Model], int, Iterator]]:
    """Return, per table in write order, its row count and a generator of unsaved instances."""
    types = {label: ct.pk for label, ct in content_types_by_label().items()}
    return [
        (
            User,
            len(plan.users),
            (
                User(
                    id=pk,
                    email=f"bench-{index}@bench.invalid",
                    password="!",  # unusable: nobody signs in as a bench user
                    first_name="Bench",
                    last_name=str(index),
                    role=Role.USER,
                    email_verified=True,
                    created_at=now,
                    updated_at=now,
                )
                for index, pk in enumerate(plan.users)
            ),
        ),
        (
            Space,
            len(plan.spaces),
            (Space(id=pk, name=f"space {i}") for i, pk in enumerate(plan.spaces)),
        ),
        (
            Page,
            len(plan.pages),
            (Page(id=pk, name=f"page {i}", space_id=s) for i, (pk, s) in enumerate(plan.pages)),
        ),
        (
            Thread,
            len(plan.threads),
            (
                Thread(id=pk, name=f"thread {i}", page_id=p)
                for i, (pk, p) in enumerate(plan.threads)
            ),
        ),
        (
            Comment,
            len(plan.comments),
            (
                Comment(id=pk, name=f"comment {i}", thread_id=t)
                for i, (pk, t) in enumerate(plan.comments)
            ),
        ),
        (
            Relationship,
            len(plan.edges),
            (
                Relationship(
                    source_type_id=types[source.label],
                    source_id=source.id,
                    target_type_id=types[target.label],
                    target_id=target.id,
                    type=edge_type,
                    metadata=metadata,
                    created_at=now,
                )
                for source, target, edge_type, metadata in plan.edges
            ),
        ),
    ]


def batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def write_copy(model: type[models.Model], rows: Iterator, progress: Progress) -> None:
    """Stream instances into ``model``'s table with PostgreSQL COPY."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup per use
    fields = model._meta.concrete_fields
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)
    statement = f"COPY {db.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with db.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for batch in batches(rows, BATCH_SIZE):
            for instance in batch:
                copy.write_row([f.get_db_prep_save(f.pre_save(instance, True), db) for f in fields])
            progress.advance(len(batch))


def write_orm(model: type[models.Model], rows: Iterator, progress: Progress) -> None:
    """Insert instances into ``model``'s table with bulk_create."""
    for batch in batches(rows, BATCH_SIZE):
        model.objects.bulk_create(batch, batch_size=BATCH_SIZE)
        progress.advance(len(batch))


def empty_tables() -> None:
    """Remove the previous bench graph (the bench database holds nothing else)."""
    tables = [model._meta.db_table for model in (Relationship, Comment, Thread, Page, Space, User)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def ensure_meta_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (relationships bigint NOT NULL, "
            "seed bigint NOT NULL, shape integer NOT NULL, build_seconds double precision "
            "NOT NULL)"
        )


def stored_graph() -> tuple[int, int, int, float] | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT relationships, seed, shape, build_seconds FROM {META_TABLE}")
        return cursor.fetchone()


def ensure_graph(relationships: int, *, seed: int, reuse: bool, loader: str) -> Built:
    """Build the graph, or keep the one in the database when ``reuse`` and it matches."""
    ensure_meta_table()
    stored = stored_graph()
    if (
        reuse
        and stored is not None
        and stored[:3] == (relationships, seed, SHAPE_VERSION)
        and Relationship.objects.count() == relationships
    ):
        print(f"reusing the stored graph of {relationships:,} relationships", flush=True)
        return Built(relationships, seed, stored[3], reused=True)
    started = time.perf_counter()
    now = timezone.now()
    plan = plan_graph(relationships, seed, now)
    planned = time.perf_counter() - started
    tables = objects(plan, now)
    write = write_copy if loader == "copy" and connection.vendor == "postgresql" else write_orm
    progress = Progress("building graph (rows)", total=sum(count for _, count, _ in tables))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {META_TABLE}")
        empty_tables()
        for model, _count, rows in tables:
            write(model, rows, progress)
    progress.finish()
    build_seconds = time.perf_counter() - started
    print(
        f"built {relationships:,} relationships and {progress.total - relationships:,} objects "
        f"in {build_seconds:.1f} s (planning {planned:.1f} s, {write.__name__})",
        flush=True,
    )
    started = time.perf_counter()
    analyze()
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {META_TABLE} VALUES (%s, %s, %s, %s)",
            [relationships, seed, SHAPE_VERSION, build_seconds],
        )
    return Built(relationships, seed, build_seconds, reused=False)


def analyze() -> None:
    """Give the planner fresh statistics (and PostgreSQL a visibility map) before timing."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
