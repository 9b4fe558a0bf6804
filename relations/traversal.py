"""Graph walks on the database: breadth first, one query per frontier, never one per node.

Edges are the stored relationships plus the structural foreign keys of the registry, each read
as a ``parent`` edge from the key's target to the row (a space is the parent of its pages).
Types and directions follow the plan of relations.algorithms, so a walk here and the same walk
on a ``Graph`` of the same edges agree. Unlike relations.hierarchy, which reads a whole parent
hierarchy in one recursive query, these walks stop at a depth, read every edge type, and pass
each frontier through ``allow`` (the caller's visibility) before going on.
"""

# ruff: noqa: S608 - the SQL here names only our tables and columns; values are parameters
from collections.abc import Callable, Iterable, Iterator
from functools import cache

from django.db import connection

from nexus_site.definitions import constants
from nexus_site.definitions.enums import RelationType

# The pure engine's plan, so types and directions mean the same in both.
from relations.algorithms import _IN, _OUT, TraversalLimitExceeded, _plan, _types
from relations.hierarchy import content_type_ids, placeholder, structural_parents
from relations.models import Relationship
from relations.nodes import Node, content_types_by_label, nodes_filter
from relations.registry import model_label, registry

Allow = Callable[[set[Node]], set[Node]]
AllowEdge = Callable[[Node, Node], bool]
Plan = tuple[tuple[int, str], ...]
Edge = tuple[Node, Node, str]

PARENT = RelationType.PARENT.value
# Frontier nodes per query: SQLite allows 32,766 bound parameters.
CHUNK = 5_000
# Rows fetched at a time, so a walk past its limit stops reading a huge frontier early.
FETCH = 2_000


def neighbors(
    start: Node,
    *,
    types: Iterable[str] | None = None,
    direction: str = "both",
    depth: int = 1,
    max_visited: int = constants.GRAPH_MAX_VISITED,
    allow: Allow | None = None,
    allow_edge: AllowEdge | None = None,
) -> dict[Node, int]:
    """Each node within `depth` steps of `start` (start excluded) with its distance.

    Nodes refused by ``allow`` are neither returned nor walked through, and stored edges refused
    by ``allow_edge(source, target)`` are not followed. Every node reached
    counts towards ``max_visited``, refused or not, since each costs the same to read.
    """
    if depth < 0:
        raise ValueError("depth must not be negative")
    plan = _plan(types, direction)
    distances: dict[Node, int] = {}
    seen = {start}
    frontier = {start}
    for distance in range(1, depth + 1):
        if not frontier:
            break
        reached = set()
        for _node, neighbour in _step(frontier, plan, allow_edge):
            if neighbour not in seen:
                seen.add(neighbour)
                reached.add(neighbour)
                if len(seen) - 1 > max_visited:
                    raise TraversalLimitExceeded(max_visited)
        frontier = _allowed(reached, allow)
        distances.update(dict.fromkeys(frontier, distance))
    return distances


def shortest_path(
    source: Node,
    target: Node,
    *,
    types: Iterable[str] | None = None,
    max_depth: int = constants.GRAPH_MAX_DEPTH,
    max_visited: int = constants.GRAPH_MAX_VISITED,
    allow: Allow | None = None,
    allow_edge: AllowEdge | None = None,
) -> list[Node] | None:
    """Nodes of a shortest path (bidirectional, expanding the smaller frontier), None when none
    within max_depth.

    Edges are followed both ways. ``source`` and ``target`` are not passed to ``allow``; the
    nodes between them are. Stored edges refused by ``allow_edge`` are not followed.
    """
    if max_depth < 0:
        raise ValueError("max_depth must not be negative")
    forward_plan = _plan(types, "both")
    if source == target:
        return [source]
    backward_plan = tuple((1 - side, edge_type) for side, edge_type in forward_plan)
    forward: dict[Node, Node | None] = {source: None}  # node -> the node it was reached from
    backward: dict[Node, Node | None] = {target: None}
    forward_frontier, backward_frontier = {source}, {target}
    refused: set[Node] = set()
    for _ in range(max_depth):
        if not forward_frontier or not backward_frontier:
            return None
        # One whole level of the smaller side: the two searched balls were disjoint before
        # it, so any node where they now meet lies on a shortest path.
        expand_forward = len(forward_frontier) <= len(backward_frontier)
        if expand_forward:
            frontier, plan, reached, other = forward_frontier, forward_plan, forward, backward
        else:
            frontier, plan, reached, other = backward_frontier, backward_plan, backward, forward
        found: dict[Node, Node] = {}
        for current, neighbour in _step(frontier, plan, allow_edge):
            if neighbour in reached or neighbour in found or neighbour in refused:
                continue
            found[neighbour] = current
            if len(forward) + len(backward) - 2 + len(refused) + len(found) > max_visited:
                raise TraversalLimitExceeded(max_visited)
        meetings = found.keys() & other.keys()  # already allowed when the other side took them
        entered = _allowed(set(found) - meetings, allow) | meetings
        refused |= found.keys() - entered
        for node in entered:
            reached[node] = found[node]
        if meetings:
            return _join(min(meetings), forward, backward)
        if expand_forward:
            forward_frontier = entered
        else:
            backward_frontier = entered
    return None


def edges_among(
    nodes: Iterable[Node],
    *,
    types: Iterable[str] | None = None,
    allow_edge: AllowEdge | None = None,
) -> list[Edge]:
    """Every edge (stored rows AND structural foreign-key parent edges) whose both ends are in
    `nodes`, canonical form (source, target, type) as stored: parent edges parent->child, linked
    smaller node first. For drawing a neighbourhood."""
    members = set(nodes)
    wanted = {PARENT if edge_type == "child" else edge_type for edge_type in _types(types)}
    if not members or not wanted:
        return []
    content_types = content_types_by_label()
    labels = {ct.pk: label for label, ct in content_types.items()}
    rows = (
        Relationship.objects.filter(
            nodes_filter("source", members, content_types),
            nodes_filter("target", members, content_types),
            type__in=wanted,
        )
        .order_by()
        .values_list("source_type_id", "source_id", "target_type_id", "target_id", "type")
    )
    edges = {
        (Node(labels[s_ct], s_id), Node(labels[t_ct], t_id), edge_type)
        for s_ct, s_id, t_ct, t_id, edge_type in rows
    }
    if allow_edge is not None:
        edges = {edge for edge in edges if allow_edge(edge[0], edge[1])}
    if PARENT in wanted:
        edges.update(
            (parent, child, PARENT)
            for parent, child in structural_parents(members)
            if parent in members
        )
    return sorted(edges)


def _allowed(nodes: set[Node], allow: Allow | None) -> set[Node]:
    if allow is None or not nodes:
        return nodes
    return allow(nodes) & nodes


def _step(
    frontier: set[Node], plan: Plan, allow_edge: AllowEdge | None = None
) -> Iterator[tuple[Node, Node]]:
    """Yield (node, neighbour) pairs one step from ``frontier`` along ``plan``, maybe repeated.

    One raw statement per level (per chunk of the frontier on SQLite): rows both ways plus the
    structural keys both ways. Building an ORM query per edge kind and model, each through its
    own server-side cursor, cost more round trips than the database spent answering.
    """
    out_types = tuple(edge_type for side, edge_type in plan if side == _OUT)
    in_types = tuple(edge_type for side, edge_type in plan if side == _IN)
    if not out_types and not in_types:
        return
    ids_by_label, labels = content_type_ids()
    to_python = Relationship._meta.get_field("source_id").to_python
    postgres = connection.vendor == "postgresql"
    ordered = list(frontier)
    size = len(ordered) if postgres else CHUNK
    for start in range(0, len(ordered), size):
        chunk = ordered[start : start + size]
        if postgres:
            values = "SELECT * FROM unnest(%s::int[], %s::uuid[])"
            params: list = [[ids_by_label[n.label] for n in chunk], [n.id for n in chunk]]
        else:
            values = "VALUES " + ", ".join(["(%s, %s)"] * len(chunk))
            id_field = Relationship._meta.get_field("source_id")
            params = []
            for node in chunk:
                params += [
                    ids_by_label[node.label],
                    id_field.get_db_prep_value(node.id, connection),
                ]
        present = frozenset(node.label for node in chunk)
        branches, branch_values = _step_branches(out_types, in_types, present)
        params += [ids_by_label[value] if is_label else value for is_label, value in branch_values]
        sql = f"WITH f(ct, id) AS ({values}) {branches}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(FETCH):
                for kind, a_ct, a_id, b_ct, b_id in rows:
                    if a_ct not in labels or b_ct not in labels:
                        continue  # an end whose model no longer takes part in the graph
                    node = Node(labels[a_ct], to_python(a_id))
                    neighbour = Node(labels[b_ct], to_python(b_id))
                    if allow_edge is not None and kind in "oi":
                        source, target = (node, neighbour) if kind == "o" else (neighbour, node)
                        if not allow_edge(source, target):
                            continue
                    yield node, neighbour


@cache
def _step_branches(
    out_types: tuple[str, ...], in_types: tuple[str, ...], present: frozenset[str]
) -> tuple[str, tuple[tuple[bool, str], ...]]:
    """Return the SELECTs of one step from ``f(ct, id)`` as (kind, node, neighbour) rows, and the
    values to bind in order as (is a label, value): content type ids are bound by label, since
    a test database may renumber them.

    Keys are read only for the labels ``present`` in the frontier: planning each branch costs
    about as much as running it.

    Kinds: ``o`` a stored row read forwards, ``i`` backwards, ``s`` a structural key.
    """
    qn = connection.ops.quote_name
    table = qn(Relationship._meta.db_table)
    parts: list[str] = []
    values: list[tuple[bool, str]] = []
    for kind, near, far, types in (
        ("o", "source", "target", out_types),
        ("i", "target", "source", in_types),
    ):
        if types:
            marks = ", ".join(["%s"] * len(types))
            parts.append(
                f"SELECT '{kind}', r.{near}_type_id, r.{near}_id, r.{far}_type_id, r.{far}_id "
                f"FROM f JOIN {table} r ON r.{near}_type_id = f.ct AND r.{near}_id = f.id "
                f"WHERE r.type IN ({marks})"
            )
            values += [(False, edge_type) for edge_type in types]
    ct = placeholder("integer")
    for label, names in sorted(registry.structural_parents.items()):
        model = registry.participants[label]
        child_table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
        for name in names:
            key = model._meta.get_field(name)
            parent_label, column = model_label(key.related_model), qn(key.column)
            if (
                PARENT in out_types and parent_label in present
            ):  # parent to child: the rows whose key points into f
                parts.append(
                    f"SELECT 's', f.ct, f.id, {ct}, x.{pk} FROM f JOIN {child_table} x "
                    f"ON x.{column} = f.id WHERE f.ct = %s"
                )
                values += [(True, label), (True, parent_label)]
            if PARENT in in_types and label in present:  # child to parent: the keys f holds
                parts.append(
                    f"SELECT 's', f.ct, f.id, {ct}, x.{column} FROM f JOIN {child_table} x "
                    f"ON x.{pk} = f.id WHERE f.ct = %s AND x.{column} IS NOT NULL"
                )
                values += [(True, parent_label), (True, label)]
    return " UNION ALL ".join(parts), tuple(values)


def _join(
    meeting: Node, forward: dict[Node, Node | None], backward: dict[Node, Node | None]
) -> list[Node]:
    """Return the path through ``meeting`` from the two searches' came-from maps."""
    path = []
    node: Node | None = meeting
    while node is not None:
        path.append(node)
        node = forward[node]
    path.reverse()
    node = backward[meeting]
    while node is not None:
        path.append(node)
        node = backward[node]
    return path
