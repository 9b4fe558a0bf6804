"""Graph walks on the database: breadth first, one query per frontier, never one per node.

Edges are the stored relationships plus the structural foreign keys of the registry, each read
as a ``parent`` edge from the key's target to the row (a space is the parent of its pages).
Types and directions follow the plan of relations.algorithms, so a walk here and the same walk
on a ``Graph`` of the same edges agree. Unlike relations.hierarchy, which reads a whole parent
hierarchy in one recursive query, these walks stop at a depth, read every edge type, and pass
each frontier through ``allow`` (the caller's visibility) before going on.
"""

from collections.abc import Callable, Iterable, Iterator

from django.db.models import Q

from nexus_site.definitions import constants
from nexus_site.definitions.enums import RelationType

# The pure engine's plan, so types and directions mean the same in both.
from relations.algorithms import _IN, _OUT, TraversalLimitExceeded, _plan, _types
from relations.hierarchy import structural_parents
from relations.models import Relationship
from relations.nodes import Node
from relations.registry import model_label, registry
from relations.services import content_types_by_label, nodes_filter

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

    One query for the stored rows, one per label for the keys the frontier holds, one per
    (child label, key) for the rows whose key points into the frontier.
    """
    out_types = [edge_type for side, edge_type in plan if side == _OUT]
    in_types = [edge_type for side, edge_type in plan if side == _IN]
    if out_types or in_types:
        yield from _stored_step(frontier, out_types, in_types, allow_edge)
    if PARENT in out_types:
        yield from _structural_children(frontier)
    if PARENT in in_types:
        for parent, child in structural_parents(frontier):
            yield child, parent


def _stored_step(
    frontier: set[Node],
    out_types: list[str],
    in_types: list[str],
    allow_edge: AllowEdge | None = None,
) -> Iterator[tuple[Node, Node]]:
    content_types = content_types_by_label()
    labels = {ct.pk: label for label, ct in content_types.items()}
    ordered = sorted(frontier)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        condition = Q(pk__in=[])
        if out_types:
            condition |= nodes_filter("source", chunk, content_types) & Q(type__in=out_types)
        if in_types:
            condition |= nodes_filter("target", chunk, content_types) & Q(type__in=in_types)
        rows = (
            Relationship.objects.filter(condition)
            .order_by()
            .values_list("source_type_id", "source_id", "target_type_id", "target_id", "type")
        )
        for s_ct, s_id, t_ct, t_id, edge_type in rows.iterator(chunk_size=FETCH):
            if s_ct not in labels or t_ct not in labels:
                continue  # an end whose model no longer takes part in the graph
            source, target = Node(labels[s_ct], s_id), Node(labels[t_ct], t_id)
            if allow_edge is not None and not allow_edge(source, target):
                continue
            if edge_type in out_types and source in frontier:
                yield source, target
            if edge_type in in_types and target in frontier:
                yield target, source


def _structural_children(frontier: set[Node]) -> Iterator[tuple[Node, Node]]:
    """Yield (parent, child) for the rows whose structural foreign key points into ``frontier``."""
    keys = _structural_keys_by_parent()
    by_label: dict[str, list] = {}
    for node in frontier:
        if node.label in keys:
            by_label.setdefault(node.label, []).append(node.id)
    for parent_label, ids in by_label.items():
        for child_label, name in keys[parent_label]:
            model = registry.participants[child_label]
            column = model._meta.get_field(name).attname
            for start in range(0, len(ids), CHUNK):
                rows = (
                    model.objects.filter(**{f"{name}__in": ids[start : start + CHUNK]})
                    .order_by()
                    .values_list("pk", column)
                )
                for child_id, parent_id in rows.iterator(chunk_size=FETCH):
                    yield Node(parent_label, parent_id), Node(child_label, child_id)


def _structural_keys_by_parent() -> dict[str, list[tuple[str, str]]]:
    """Return, per parent label, the (child label, foreign key name) pairs pointing at it."""
    keys: dict[str, list[tuple[str, str]]] = {}
    for label, names in registry.structural_parents.items():
        model = registry.participants[label]
        for name in names:
            parent_label = model_label(model._meta.get_field(name).related_model)
            keys.setdefault(parent_label, []).append((label, name))
    return keys


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
