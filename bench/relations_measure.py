"""Time the relations engine on the bench graph, and networkx on the same graph in memory.

networkx is both the peer and the referee: every sample is chosen with it (an allowed case is
one networkx finds a granting path for) and every answer the engine gives while timed is
checked against it, so a fast wrong engine fails the bench instead of winning it.
"""

import gc
import math
import os
import platform
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from uuid import UUID

import django
import networkx as nx
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.relations_graph import PAGE, SPACE, USER, Built
from bench.report import Printed, machine
from nexus_site.definitions.enums import Permission, RelationType
from relations.access import GRANTING_TYPES, can, explain, grant_level, permits, visible_filter
from relations.hierarchy import ancestry, structural_parents
from relations.lab.models import Page
from relations.models import Relationship
from relations.nodes import Node, content_types_by_label, nodes_filter
from relations.registry import model_label, registry
from relations.traversal import neighbors, shortest_path

User = get_user_model()
ACTION = Permission.EDIT.value  # members may edit; guests, view shares and expired ones may not
DEEP = 8  # a page with this many levels of parents above it is deep
NEIGHBOUR_DEPTH = 2
PATH_MAX_DEPTH = 6
CAN_TARGET_MS = 1.0
PATH_TARGET_MS = 10.0
WARMUP = 20
QUERY_PROBE = 10  # calls whose SQL statements are counted (outside the timed loop)
CHUNK = 10_000


class WrongAnswer(AssertionError):
    """The engine disagreed with networkx: the bench's figures would be meaningless."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise WrongAnswer(message)


@dataclass
class Timing:
    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, nanoseconds: list[int]) -> "Timing":
        ordered = sorted(nanoseconds)

        def rank(quantile: float) -> float:  # nearest rank, in milliseconds
            return ordered[max(0, math.ceil(len(ordered) * quantile) - 1)] / 1e6

        return cls(rank(0.50), rank(0.95), rank(0.99))

    def cell(self) -> str:
        return " / ".join(number(value) for value in (self.p50, self.p95, self.p99))


def number(ms: float) -> str:
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"


@dataclass
class Row:
    operation: str
    nexus: Timing
    queries: float  # SQL statements the engine executes per call
    networkx: Timing | None
    target_ms: float | None  # the p95 the issue asks of the engine

    def cells(self) -> list[str]:
        target = ""
        if self.target_ms is not None:
            verdict = "met" if self.nexus.p95 <= self.target_ms else "MISSED"
            target = f"p95 <= {self.target_ms:g} ms: {verdict}"
        return [
            self.operation,
            self.nexus.cell(),
            f"{self.queries:g}",
            self.networkx.cell() if self.networkx else "-",
            target,
        ]


HEADER = [
    "operation",
    "nexus p50 / p95 / p99 ms",
    "SQL/call",
    "networkx p50 / p95 / p99 ms",
    "target",
]


@dataclass
class Report(Printed):
    rows: list[Row] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    HEADER = HEADER
    ALIGNMENT = "|---|---:|---:|---:|---|"

    def table_rows(self) -> list[list[str]]:
        return [row.cells() for row in self.rows]


@dataclass
class Memory:
    """The bench graph in networkx: node = str(Node), as the engine writes nodes."""

    # Every relationship row (edge data: type, and metadata when not empty), plus each
    # structural foreign key as a parent edge, as relations.traversal reads them.
    graph: nx.DiGraph
    parents: nx.DiGraph  # the parent edges alone (rows and keys), parent -> child
    seconds: float
    rss_bytes: int | None

    @property
    def undirected(self) -> nx.Graph:
        return self.graph.to_undirected(as_view=True)


def rss() -> int | None:
    """Return this process's resident memory in bytes (Linux), or None elsewhere."""
    statm = Path("/proc/self/statm")
    if not statm.exists():
        return None
    return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def load_networkx() -> Memory:
    """Read every relationship row and structural key into networkx, timed and weighed."""
    labels = {ct.pk: label for label, ct in content_types_by_label().items()}
    gc.collect()
    before, started = rss(), time.perf_counter()
    graph, parents = nx.DiGraph(), nx.DiGraph()
    rows = Relationship.objects.order_by().values_list(
        "source_type_id", "source_id", "target_type_id", "target_id", "type", "metadata"
    )
    for source_ct, source_id, target_ct, target_id, edge_type, metadata in rows.iterator(CHUNK):
        source, target = f"{labels[source_ct]}:{source_id}", f"{labels[target_ct]}:{target_id}"
        if metadata:
            graph.add_edge(source, target, type=edge_type, metadata=metadata)
        else:
            graph.add_edge(source, target, type=edge_type)
        if edge_type == RelationType.PARENT:
            parents.add_edge(source, target)
    for label, names in registry.structural_parents.items():
        model = registry.participants[label]
        for name in names:
            column = model._meta.get_field(name)
            parent_label = model_label(column.related_model)
            keys = model.objects.order_by().exclude(**{f"{name}__isnull": True})
            for child_id, parent_id in keys.values_list("pk", column.attname).iterator(CHUNK):
                parent, child = f"{parent_label}:{parent_id}", f"{label}:{child_id}"
                graph.add_edge(parent, child, type=RelationType.PARENT.value)
                parents.add_edge(parent, child)
    seconds = time.perf_counter() - started
    gc.collect()
    after = rss()
    # The graph lives to the end: keep the collector from rescanning its millions of objects
    # during the timed calls of either side.
    gc.freeze()
    return Memory(graph, parents, seconds, after - before if before and after else None)


def node_of_text(text: str) -> Node:
    label, _sep, pk = text.partition(":")
    return Node(label, UUID(pk))


def grants(memory: Memory, user: str, action: str | None, now: datetime) -> set[str]:
    """Return what ``user`` holds a live grant on, covering ``action`` (any when None)."""
    found = set()
    for target, data in memory.graph.succ.get(user, {}).items():
        if data["type"] not in GRANTING_TYPES:
            continue
        level = grant_level(data["type"], data.get("metadata", {}), now=now)
        if level is not None and (action is None or permits(level, action)):
            found.add(target)
    return found


def nx_can(memory: Memory, user: str, action: str, node: str, now: datetime) -> bool:
    """The networkx ``can``: a granting edge from the user, then parents down to ``node``."""
    granted = grants(memory, user, action, now)
    return node in granted or not granted.isdisjoint(nx.ancestors(memory.parents, node))


def nx_grant_distance(memory: Memory, user: str, action: str, node: str, now: datetime) -> int:
    """The networkx ``explain``: the length of a shortest granting path (0 when none)."""
    granted = grants(memory, user, action, now)
    distance, frontier, level = {node: 0}, [node], 0
    while frontier:
        level += 1
        frontier = [
            p for child in frontier for p in memory.parents.pred[child] if p not in distance
        ]
        distance.update(dict.fromkeys(frontier, level))
    return min((distance[target] + 1 for target in granted if target in distance), default=0)


def nx_visible_pages(memory: Memory, user: str, now: datetime) -> int:
    """The networkx visible filter: pages at or below a live grant of ``user``."""
    reached = set()
    for seed in grants(memory, user, None, now):
        reached.add(seed)
        if seed in memory.parents:
            reached |= nx.descendants(memory.parents, seed)
    return sum(node.startswith(PAGE + ":") for node in reached)


@dataclass
class Samples:
    allowed: list[tuple[Any, str]]  # (user, page) pairs networkx finds a grant for
    denied: list[tuple[Any, str]]
    deep: list[str]
    levels: tuple[int, int]  # fewest and most levels of parents above the deep pages
    members: list[tuple[Any, int]]  # (user, pages networkx finds visible)
    starts: list[str]
    pairs: list[tuple[str, str, int]]  # (source, target, networkx path length)


def draw_samples(memory: Memory, count: int, seed: int, now: datetime) -> Samples:
    """Choose ``count`` cases per operation, every one decided by networkx first."""
    rng = random.Random(seed)
    depth = {
        node: level
        for level, generation in enumerate(nx.topological_generations(memory.parents))
        for node in generation
    }  # topological_generations raises on a parent cycle: the build must not make one
    deepest = max(depth.values())
    floor = min(DEEP, deepest)
    deep = sorted(n for n, d in depth.items() if d >= floor and n.startswith(PAGE + ":"))
    rng.shuffle(deep)
    users = sorted(n for n in memory.graph if n.startswith(USER + ":"))

    allowed: list[tuple[str, str]] = []
    for page in deep:
        granted_members = sorted(
            user
            for space in nx.ancestors(memory.parents, page)
            if space.startswith(SPACE + ":")
            for user, data in memory.graph.pred[space].items()
            if data["type"] == RelationType.MEMBER and space in grants(memory, user, ACTION, now)
        )
        if granted_members:
            allowed.append((rng.choice(granted_members), page))
        if len(allowed) == count:
            break
    denied: list[tuple[str, str]] = []
    while len(denied) < count:
        user, page = rng.choice(users), rng.choice(deep)
        if not nx_can(memory, user, ACTION, page, now):
            denied.append((user, page))
    live_members = [
        user
        for user in users
        if any(t.startswith(SPACE + ":") for t in grants(memory, user, None, now))
    ]
    members = rng.sample(live_members, min(count, len(live_members)))
    nodes = sorted(memory.graph)
    undirected = memory.undirected
    pairs: list[tuple[str, str, int]] = []
    while len(pairs) < count:
        start = node = rng.choice(nodes)
        for _ in range(rng.randint(2, PATH_MAX_DEPTH)):
            node = rng.choice(sorted(undirected[node]))
        length = len(nx.bidirectional_shortest_path(undirected, start, node)) - 1
        if length >= 2:
            pairs.append((start, node, length))

    in_bulk = User.objects.in_bulk(
        [UUID(text.partition(":")[2]) for text in {u for u, _ in allowed + denied} | set(members)]
    )

    def user(text: str) -> Any:
        return in_bulk[UUID(text.partition(":")[2])]

    expect(bool(allowed), "no allowed case in the graph")
    used = [page for _user, page in allowed + denied] + deep[:count]
    return Samples(
        allowed=[(user(u), page) for u, page in repeat(allowed, count)],
        denied=[(user(u), page) for u, page in denied],
        deep=repeat(deep, count),
        levels=(min(depth[p] for p in used), max(depth[p] for p in used)),
        members=[(user(u), nx_visible_pages(memory, u, now)) for u in members],
        starts=rng.sample(nodes, min(count, len(nodes))),
        pairs=pairs,
    )


def repeat(items: list, count: int) -> list:
    """Return ``count`` items, going round ``items`` again when a small graph has too few."""
    return [items[index % len(items)] for index in range(count)]


def timed(
    call: Callable[[Any], Any], cases: Sequence, check: Callable[[Any, Any], None]
) -> list[int]:
    """Warm up, then time ``call`` once per case (nanoseconds), checking every answer."""
    for case in cases[:WARMUP]:
        call(case)
    spent = []
    for case in cases:
        started = time.perf_counter_ns()
        result = call(case)
        spent.append(time.perf_counter_ns() - started)
        check(case, result)
    return spent


def statements(call: Callable[[Any], Any], cases: Sequence) -> float:
    """Return the mean number of SQL statements per call, over a few cases."""
    probe = cases[:QUERY_PROBE]
    with CaptureQueriesContext(connection) as captured:
        for case in probe:
            call(case)
    return round(len(captured) / len(probe), 1)


def compare(
    operation: str,
    cases: Sequence,
    engine: Callable[[Any], Any],
    check: Callable[[Any, Any], None],
    peer: Callable[[Any], Any] | None = None,
    target_ms: float | None = None,
) -> Row:
    """Time the engine and (when given) networkx on the same cases."""
    nexus = Timing.of(timed(engine, cases, check))
    queries = statements(engine, cases)
    peer_timing = Timing.of(timed(peer, cases, lambda case, result: None)) if peer else None
    print(f"  {operation}: done", flush=True)
    return Row(operation, nexus, queries, peer_timing, target_ms)


def frontier_ancestors(node: Node) -> set[Node]:
    """The hierarchy read the old way: per level, one SELECT of parent rows (plus one per
    model for structural keys), the alternative the recursive CTE in relations.hierarchy
    replaced. Kept here so the choice stays measured."""
    types = content_types_by_label()
    labels = {ct.pk: label for label, ct in types.items()}
    seen, frontier = {node}, {node}
    while frontier:
        found = {parent for parent, _child in structural_parents(frontier)}
        rows = Relationship.objects.filter(
            nodes_filter("target", frontier, types), type=RelationType.PARENT
        ).values_list("source_type_id", "source_id")
        found |= {Node(labels[ct], pk) for ct, pk in rows}
        frontier = found - seen
        seen |= frontier
    return seen


def run(built: Built, *, samples: int, seed: int) -> Report:
    """Load networkx, draw checked samples, time every operation; return the report."""
    print("loading the graph into networkx", flush=True)
    memory = load_networkx()
    now = timezone.now()
    picked = draw_samples(memory, samples, seed, now)
    print(f"timing {samples} calls per operation", flush=True)
    undirected = memory.undirected
    load_before = os.getloadavg()[0]

    def check_can(expected: bool) -> Callable[[Any, Any], None]:
        def check(case: tuple[Any, str], result: bool) -> None:
            expect(result is expected, f"can{case} answered {result}, networkx {expected}")

        return check

    def check_explain(case: tuple[Any, str], decision: Any) -> None:
        user, page = case
        path = decision.path
        expect(decision.allowed, f"explain{case} refused: {decision.reason}")
        expect(
            path[0].source == str(Node(USER, user.pk)) and path[-1].target == page,
            f"explain{case} path does not join the user to the page",
        )
        wanted = nx_grant_distance(memory, str(Node(USER, user.pk)), ACTION, page, now)
        expect(len(path) == wanted, f"explain{case} path of {len(path)} steps, shortest {wanted}")

    def check_visible(case: tuple[Any, int], count: int) -> None:
        expect(count == case[1], f"visible pages of {case[0].pk}: {count}, networkx {case[1]}")

    def check_ancestry(page: str, found: set[Node]) -> None:
        wanted = nx.ancestors(memory.parents, page) | {page}
        expect({str(node) for node in found} == wanted, f"ancestors of {page} differ")

    def as_user(user: Any) -> str:
        return str(Node(USER, user.pk))

    rows = [
        compare(
            f"can {ACTION}, allowed (deep page)",
            picked.allowed,
            lambda case: can(case[0], ACTION, node_of_text(case[1])),
            check_can(True),
            lambda case: nx_can(memory, as_user(case[0]), ACTION, case[1], now),
            CAN_TARGET_MS,
        ),
        compare(
            f"can {ACTION}, denied (deep page)",
            picked.denied,
            lambda case: can(case[0], ACTION, node_of_text(case[1])),
            check_can(False),
            lambda case: nx_can(memory, as_user(case[0]), ACTION, case[1], now),
            CAN_TARGET_MS,
        ),
        compare(
            f"explain {ACTION}, allowed",
            picked.allowed,
            lambda case: explain(case[0], ACTION, node_of_text(case[1])),
            check_explain,
            lambda case: nx_grant_distance(memory, as_user(case[0]), ACTION, case[1], now),
        ),
        compare(
            "visible pages of a member (count)",
            picked.members,
            lambda case: Page.objects.filter(visible_filter(case[0], Page)).count(),
            check_visible,
            lambda case: nx_visible_pages(memory, as_user(case[0]), now),
        ),
        compare(
            "hierarchy above a deep page: CTE",
            picked.deep,
            lambda page: ancestry([node_of_text(page)]).nodes,
            check_ancestry,
            lambda page: nx.ancestors(memory.parents, page),
        ),
        compare(
            "hierarchy above a deep page: frontier",
            picked.deep,
            lambda page: frontier_ancestors(node_of_text(page)),
            check_ancestry,
        ),
    ]
    rows += traversal_rows(memory, picked, undirected)
    report = Report(rows=rows)
    report.facts = facts(built, memory, picked, samples)
    # Other work on the machine inflates every figure: say how busy it was.
    report.facts.append(
        f"load average (1 min) before / after timing: {load_before:.2f} / "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    return report


def traversal_rows(memory: Memory, picked: Samples, undirected: nx.Graph) -> list[Row]:
    """Neighbours and shortest path, checked against networkx on the undirected graph."""

    def check_neighbours(start: str, found: dict[Node, int]) -> None:
        wanted = nx.single_source_shortest_path_length(undirected, start, cutoff=NEIGHBOUR_DEPTH)
        wanted.pop(start)
        expect({str(n): d for n, d in found.items()} == wanted, f"neighbours of {start} differ")

    def check_path(case: tuple[str, str, int], path: list[Node] | None) -> None:
        source, target, length = case
        expect(path is not None, f"no path {source} -> {target}, networkx has {length} steps")
        texts = [str(node) for node in path]
        expect(
            texts[0] == source and texts[-1] == target and len(texts) - 1 == length,
            f"path {source} -> {target}: {len(texts) - 1} steps, networkx {length}",
        )
        expect(
            all(undirected.has_edge(a, b) for a, b in pairwise(texts)),
            f"path {source} -> {target} uses a missing edge",
        )

    return [
        compare(
            f"neighbours, depth {NEIGHBOUR_DEPTH}",
            picked.starts,
            lambda start: neighbors(node_of_text(start), depth=NEIGHBOUR_DEPTH),
            check_neighbours,
            lambda start: nx.single_source_shortest_path_length(
                undirected, start, cutoff=NEIGHBOUR_DEPTH
            ),
        ),
        compare(
            f"shortest path (max depth {PATH_MAX_DEPTH})",
            picked.pairs,
            lambda case: shortest_path(
                node_of_text(case[0]), node_of_text(case[1]), max_depth=PATH_MAX_DEPTH
            ),
            check_path,
            lambda case: nx.bidirectional_shortest_path(undirected, case[0], case[1]),
            PATH_TARGET_MS,
        ),
    ]


def facts(built: Built, memory: Memory, picked: Samples, samples: int) -> list[str]:
    """Return the lines that say what was measured, where and how."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            database = f"SQLite {connection.Database.sqlite_version}"
    weight = f", RSS +{memory.rss_bytes / 2**20:,.0f} MB" if memory.rss_bytes else ""
    built_how = "reused, built" if built.reused else "built"
    return [
        f"machine: {machine()}; {database}; Python {platform.python_version()}, "
        f"Django {django.get_version()}, networkx {nx.__version__}",
        f"graph: {built.relationships:,} relationships, {memory.graph.number_of_nodes():,} "
        f"graph nodes, {memory.parents.number_of_edges():,} parent links "
        f"(edges and foreign keys); {built_how} in {built.build_seconds:.0f} s",
        f"networkx load: {memory.seconds:.1f} s{weight}",
        f"{samples} timed calls per operation after {WARMUP} warm-up calls; deep pages have "
        f"{picked.levels[0]}-{picked.levels[1]} levels of parents above them",
    ]
