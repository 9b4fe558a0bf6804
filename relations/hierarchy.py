"""The parent hierarchy, read whole in one recursive query.

Parents come from two places: ``parent`` relationship rows and the structural foreign keys
declared in the registry (a page's space, a comment's thread). One recursive common table
expression follows both (on PostgreSQL through a LATERAL join, on SQLite through a plain join);
it is cycle-safe because ``UNION`` drops rows it has already produced, so even a corrupt graph
with a loop ends. A hierarchy of any depth therefore costs one query, not one per level
(docs/PERFORMANCE.md has the measurement that chose this over a frontier-per-query walk, and
why a closure table was not worth its write cost).
"""

# ruff: noqa: S608 - the SQL here names only our tables and columns; values are parameters
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from django.db import connection

from nexus_site.definitions import constants
from nexus_site.definitions.enums import RelationType
from relations.algorithms import TraversalLimitExceeded
from relations.models import Relationship
from relations.nodes import Node, content_types_by_label
from relations.registry import model_label, registry

# Seeds per query: SQLite allows 32,766 bound parameters and each seed takes two.
SEED_CHUNK = 5_000

UP = ("target", "source")  # from a node to its parents: match the child end, read the parent
DOWN = ("source", "target")  # from a node to its children


@dataclass
class Hierarchy:
    """A piece of the parent hierarchy: ``parents[child]`` are the child's parents."""

    parents: dict[Node, set[Node]] = field(default_factory=dict)
    nodes: set[Node] = field(default_factory=set)

    def add(self, parent: Node, child: Node) -> None:
        self.parents.setdefault(child, set()).add(parent)
        self.nodes.update((parent, child))

    def upward_paths(self, start: Node) -> dict[Node, Node | None]:
        """Return, for every ancestor of ``start``, the next node down towards ``start``.

        Breadth first, so following the links from any ancestor gives a shortest path.
        """
        below: dict[Node, Node | None] = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for parent in sorted(self.parents.get(node, ())):
                if parent not in below:
                    below[parent] = node
                    queue.append(parent)
        return below

    def children(self) -> dict[Node, set[Node]]:
        found: dict[Node, set[Node]] = {}
        for child, parents in self.parents.items():
            for parent in parents:
                found.setdefault(parent, set()).add(child)
        return found


def placeholder(sql_type: str) -> str:
    """Return a parameter marker, typed on PostgreSQL.

    With server-side binding (prepared statements, see settings) values travel apart from the
    text, and PostgreSQL must know their types: an untyped small int would be a smallint.
    """
    return f"%s::{sql_type}" if connection.vendor == "postgresql" else "%s"


def seed_rows(nodes: list[Node], ids_by_label: dict[str, int], id_field) -> tuple[str, list]:
    """The SQL rows ``(content type id, node id)`` of ``nodes`` and their parameters.

    On PostgreSQL two arrays, so the statement's text is the same for any number of nodes and
    is prepared once (a ``VALUES`` list of a hundred pairs was a new statement for each
    count, parsed and planned each time); elsewhere a ``VALUES`` list."""
    if connection.vendor == "postgresql":
        return "SELECT * FROM unnest(%s::integer[], %s::uuid[])", [
            [ids_by_label[node.label] for node in nodes],
            [str(node.id) for node in nodes],
        ]
    values = ", ".join([f"({placeholder('integer')}, {placeholder('uuid')})"] * len(nodes))
    params: list = []
    for node in nodes:
        params += [ids_by_label[node.label], id_field.get_db_prep_value(node.id, connection)]
    return f"VALUES {values}", params


def content_type_ids() -> tuple[dict[str, int], dict[int, str]]:
    by_label = {label: ct.pk for label, ct in content_types_by_label().items()}
    return by_label, {pk: label for label, pk in by_label.items()}


def edge_closure(
    seeds: Iterable[Node], direction: tuple[str, str], *, limit: int
) -> list[tuple[Node, Node]]:
    """Return the parent edges reachable from ``seeds`` as (parent, child) pairs.

    ``direction`` is UP (towards the roots) or DOWN (towards the leaves). Raises
    TraversalLimitExceeded when more than ``limit`` edges are reachable.
    """
    near, far = direction
    ends = {
        (source if near == "source" else target)
        for kind, source, target in registry.rules
        if kind == RelationType.PARENT
    }
    seeds = sorted(node for node in set(seeds) if node.label in ends)  # others have no such rows
    if not seeds:
        return []
    ids_by_label, labels = content_type_ids()
    id_field = Relationship._meta.get_field("source_id")
    table = Relationship._meta.db_table
    edges: set[tuple[Node, Node]] = set()
    for start in range(0, len(seeds), SEED_CHUNK):
        chunk = seeds[start : start + SEED_CHUNK]
        values, params = seed_rows(chunk, ids_by_label, id_field)
        sql = f"""
            WITH RECURSIVE seed(ct, id) AS ({values}),
            walk(near_ct, near_id, far_ct, far_id) AS (
                SELECT r.{near}_type_id, r.{near}_id, r.{far}_type_id, r.{far}_id
                FROM {table} r JOIN seed ON r.{near}_type_id = seed.ct AND r.{near}_id = seed.id
                WHERE r.type = %s
                UNION
                SELECT r.{near}_type_id, r.{near}_id, r.{far}_type_id, r.{far}_id
                FROM {table} r JOIN walk
                    ON r.{near}_type_id = walk.far_ct AND r.{near}_id = walk.far_id
                WHERE r.type = %s
            )
            SELECT near_ct, near_id, far_ct, far_id FROM walk LIMIT %s
        """
        params += [RelationType.PARENT.value, RelationType.PARENT.value, limit + 1]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if len(rows) + len(edges) > limit:
            raise TraversalLimitExceeded(limit)
        for near_ct, near_id, far_ct, far_id in rows:
            near_node = Node(labels[near_ct], id_field.to_python(near_id))
            far_node = Node(labels[far_ct], id_field.to_python(far_id))
            edges.add((far_node, near_node) if direction == UP else (near_node, far_node))
    return list(edges)


def structural_parents(nodes: Iterable[Node]) -> list[tuple[Node, Node]]:
    """Return (parent, child) pairs read from the structural foreign keys of ``nodes``."""
    by_label: dict[str, list] = {}
    for node in nodes:
        if node.label in registry.structural_parents:
            by_label.setdefault(node.label, []).append(node.id)
    pairs = []
    for label, ids in by_label.items():
        model = registry.participants[label]
        names = registry.structural_parents[label]
        columns = [model._meta.get_field(name) for name in names]
        for row in model.objects.filter(pk__in=ids).values_list(
            "pk", *[c.attname for c in columns]
        ):
            child = Node(label, row[0])
            for column, parent_id in zip(columns, row[1:], strict=True):
                if parent_id is not None:
                    pairs.append((Node(model_label(column.related_model), parent_id), child))
    return pairs


@cache
def _upward_labels(labels: frozenset[str]) -> frozenset[str]:
    """Return ``labels`` and every label the registry lets be an ancestor of one of them."""
    found, todo = set(labels), list(labels)
    while todo:
        label = todo.pop()
        above = {
            source
            for kind, source, target in registry.rules
            if kind == RelationType.PARENT and target == label
        }
        if label in registry.structural_parents:
            model = registry.participants[label]
            above |= {
                model_label(model._meta.get_field(name).related_model)
                for name in registry.structural_parents[label]
            }
        todo += above - found
        found |= above
    return frozenset(found)


@cache
def _parent_edges(
    child: tuple[str, str] | None, children: frozenset[str]
) -> tuple[str, tuple[str, ...]]:
    """Return a SELECT of parent edges (pct, pid, cct, cid): parent rows and structural keys of
    ``children`` labels (planning a branch costs about as much as running it), only those of
    the child ``child`` = (type expression, id expression) when given.

    The text only depends on the registry, so it is built once per process; content type ids
    are parameters (the labels to bind, in order), because a test database may renumber them.
    """
    qn = connection.ops.quote_name
    table = qn(Relationship._meta.db_table)
    near = f"AND target_type_id = {child[0]} AND target_id = {child[1]}" if child else ""
    parts = [
        f"""SELECT source_type_id AS pct, source_id AS pid, target_type_id AS cct,
            target_id AS cid FROM {table} WHERE type = '{RelationType.PARENT.value}' {near}"""
    ]
    labels = []
    for label, names in sorted(registry.structural_parents.items()):
        if label not in children:
            continue
        model = registry.participants[label]
        pk = qn(model._meta.pk.column)
        for name in names:
            key = model._meta.get_field(name)
            near = f"AND {child[0]} = %s AND {pk} = {child[1]}" if child else ""
            ct = placeholder("integer")
            parts.append(
                f"SELECT {ct}, {qn(key.column)}, {ct}, {pk} FROM {qn(model._meta.db_table)} "
                f"WHERE {qn(key.column)} IS NOT NULL {near}"
            )
            labels += [model_label(key.related_model), label] + ([label] if child else [])
    return " UNION ALL ".join(parts), tuple(labels)


def ancestry_query(seeds: list[Node], limit: int, ids_by_label: dict[str, int]) -> tuple[str, list]:
    """Return a WITH clause defining ``up(pct, pid, cct, cid)``, and its parameters.

    ``up`` holds each seed as a (seed, seed) row, then the parent edges above the seeds, at
    most ``limit`` + 1 of them. One recursive statement follows rows and foreign keys alike, so
    a hierarchy of any depth and mix costs one round trip; ``UNION`` drops edges already
    produced, so a loop ends. PostgreSQL gets a LATERAL join: it otherwise hashes every edge
    of the graph at each level.
    """
    id_field = Relationship._meta.get_field("source_id")
    params: list = []
    for node in seeds:
        params += [ids_by_label[node.label], id_field.get_db_prep_value(node.id, connection)]
    values = ", ".join([f"({placeholder('integer')}, {placeholder('uuid')})"] * len(seeds))
    reach = _upward_labels(frozenset(node.label for node in seeds))
    if connection.vendor == "postgresql":
        edges, labels = _parent_edges(("walk.pct", "walk.pid"), reach)
        step = f"SELECT e.* FROM walk CROSS JOIN LATERAL ({edges}) e"
    else:
        edges, labels = _parent_edges(None, reach)
        step = f"SELECT e.* FROM ({edges}) e JOIN walk ON e.cct = walk.pct AND e.cid = walk.pid"
    sql = f"""
        WITH RECURSIVE seed(ct, id) AS (VALUES {values}),
        walk(pct, pid, cct, cid) AS (SELECT ct, id, ct, id FROM seed UNION {step}),
        up AS (SELECT pct, pid, cct, cid FROM walk LIMIT %s)
    """
    edge_params = [ids_by_label[label] for label in labels]
    return sql, [*params, *edge_params, limit + 1 + len(seeds)]


def ancestry(nodes: Iterable[Node], *, limit: int = constants.GRAPH_MAX_VISITED) -> Hierarchy:
    """Return the hierarchy above ``nodes``: every ancestor, by edges and foreign keys."""
    hierarchy = Hierarchy(nodes=set(nodes))
    seeds = sorted(hierarchy.nodes)
    ids_by_label, labels = content_type_ids()
    edges = 0
    for start in range(0, len(seeds), SEED_CHUNK):
        sql, params = ancestry_query(seeds[start : start + SEED_CHUNK], limit, ids_by_label)
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} SELECT pct, pid, cct, cid FROM up", params)
            rows = [row for row in cursor.fetchall() if row[:2] != row[2:]]
        edges += len(rows)
        if edges > limit:
            raise TraversalLimitExceeded(limit)
        for parent, child in parent_edges(rows, labels):
            hierarchy.add(parent, child)
        if len(hierarchy.nodes) > limit:
            raise TraversalLimitExceeded(limit)
    return hierarchy


def parent_edges(rows: Iterable[tuple], labels: dict[int, str]) -> Iterator[tuple[Node, Node]]:
    """Yield (parent, child) from (pct, pid, cct, cid) rows, skipping models no longer taking
    part in the graph."""
    to_python = Relationship._meta.get_field("source_id").to_python
    for pct, pid, cct, cid in rows:
        if pct in labels and cct in labels:
            yield Node(labels[pct], to_python(pid)), Node(labels[cct], to_python(cid))


def container_children() -> dict[str, list[tuple[str, str]]]:
    """Return, per parent label, the (child label, foreign key) pairs worth materialising.

    Only children that can themselves have children are listed: leaves are reached through
    their foreign key in SQL (see access.visible_filter) and never loaded.
    """
    containers = {source for type_, source, _target in registry.rules if type_ == "parent"}
    structural: dict[str, list[tuple[str, str]]] = {}
    for label, names in registry.structural_parents.items():
        model = registry.participants[label]
        for name in names:
            parent_label = model_label(model._meta.get_field(name).related_model)
            structural.setdefault(parent_label, []).append((label, name))
    containers |= set(structural)
    return {
        parent: [(child, name) for child, name in pairs if child in containers]
        for parent, pairs in structural.items()
    }


def descendants(nodes: Iterable[Node], *, limit: int = constants.GRAPH_MAX_VISIBLE) -> set[Node]:
    """Return ``nodes`` and every container below them, by edges and foreign keys.

    Leaves under a foreign key (a comment under a visible thread) are not included; leaves
    under a parent edge are, because the edge names them.
    """
    found = set(nodes)
    frontier = set(found)
    pairs_by_parent = container_children()
    while frontier:
        new: set[Node] = set()
        for _parent, child in edge_closure(frontier, DOWN, limit=limit):
            if child not in found:
                new.add(child)
        by_label: dict[str, list] = {}
        for node in frontier | new:
            by_label.setdefault(node.label, []).append(node.id)
        for parent_label, ids in by_label.items():
            for child_label, name in pairs_by_parent.get(parent_label, ()):
                model = registry.participants[child_label]
                for child_id in model.objects.filter(**{f"{name}__in": ids}).values_list(
                    "pk", flat=True
                ):
                    child = Node(child_label, child_id)
                    if child not in found:
                        new.add(child)
        found |= new
        if len(found) > limit:
            raise TraversalLimitExceeded(limit)
        frontier = new
    return found
