"""Pure graph algorithms for the relations engine: plain data in, plain data out.

A node is any hashable value (the service layer uses ``"app_label.model:uuid"`` strings).
An edge is a ``(source, target, type)`` tuple. Edges are stored in their canonical form,
the one the database keeps: ``(a, b, "child")`` becomes ``(b, a, "parent")``, and a
``linked`` edge, being symmetric, keeps the smaller node first. Traversals read ``linked``
both ways whatever the direction asked, and a ``child`` type filter reads parent edges
backwards, so either spelling of a fact gives the same answers.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any, Literal

Node = Hashable
Edge = tuple[Node, Node, str]
Direction = Literal["out", "in", "both"]

EDGE_TYPES: tuple[str, ...] = ("owner", "member", "linked", "parent", "child")
STORED_TYPES: tuple[str, ...] = ("owner", "member", "linked", "parent")
SYMMETRIC_TYPES: frozenset[str] = frozenset({"linked"})

_OUT = 0
_IN = 1
_SIDES: dict[str, tuple[int, ...]] = {"out": (_OUT,), "in": (_IN,), "both": (_OUT, _IN)}
_START = object()  # parent marker of a search's first node, so None can still be a node

Plan = tuple[tuple[int, str], ...]


class TraversalLimitExceeded(Exception):
    """Raised when a traversal would visit more nodes than its limit allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"traversal would visit more than {limit} nodes")
        self.limit = limit


class CycleError(Exception):
    """Raised when dependencies contain a cycle; ``cycle`` lists its nodes in order."""

    def __init__(self, cycle: list[Node]) -> None:
        shown = " -> ".join(str(node) for node in [*cycle, cycle[0]])
        super().__init__(f"dependency cycle: {shown}")
        self.cycle = cycle


class Graph:
    """Immutable typed directed graph with out- and in-adjacency by edge type."""

    __slots__ = ("_adjacency", "_edges", "_nodes", "_rank")

    def __init__(self, edges: Iterable[Edge] = (), *, nodes: Iterable[Node] = ()) -> None:
        """Build the graph from ``(source, target, type)`` edges plus optional lone nodes."""
        unique: dict[Edge, None] = {}
        found: dict[Node, None] = dict.fromkeys(nodes)
        for source, target, edge_type in edges:
            edge = canonical_edge(source, target, edge_type)
            unique[edge] = None
            found[source] = None
            found[target] = None
        ordered = _stable_sorted(found)
        rank = {node: position for position, node in enumerate(ordered)}
        sorted_edges = sorted(unique, key=lambda edge: (rank[edge[0]], rank[edge[1]], edge[2]))
        # Edges in stable order give each adjacency list a stable order, so searches are
        # deterministic. The lists are private and never handed out.
        adjacency: tuple[dict[Node, dict[str, list[Node]]], ...] = ({}, {})
        for source, target, edge_type in sorted_edges:
            adjacency[_OUT].setdefault(source, {}).setdefault(edge_type, []).append(target)
            adjacency[_IN].setdefault(target, {}).setdefault(edge_type, []).append(source)
        object.__setattr__(self, "_nodes", tuple(ordered))
        object.__setattr__(self, "_rank", rank)
        object.__setattr__(self, "_adjacency", adjacency)
        object.__setattr__(self, "_edges", tuple(sorted_edges))

    @classmethod
    def from_edges(cls, edges: Iterable[Edge], *, nodes: Iterable[Node] = ()) -> Graph:
        """Return a graph of ``edges``, with ``nodes`` added even when they have no edge."""
        return cls(edges, nodes=nodes)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Graph is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Graph is immutable")

    def __contains__(self, node: object) -> bool:
        return node in self._rank

    def __len__(self) -> int:
        return len(self._nodes)

    def __repr__(self) -> str:
        return f"<Graph: {len(self._nodes)} nodes, {len(self._edges)} edges>"

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Return every node in a stable order."""
        return self._nodes

    @property
    def edges(self) -> tuple[Edge, ...]:
        """Return every edge in canonical form, in a stable order."""
        return self._edges


def canonical_edge(source: Node, target: Node, edge_type: str) -> Edge:
    """Return the stored form of an edge: child becomes parent, linked puts the smaller first."""
    if edge_type not in EDGE_TYPES:
        raise ValueError(f"unknown edge type {edge_type!r}; expected one of {EDGE_TYPES}")
    if edge_type == "child":
        return target, source, "parent"
    if edge_type in SYMMETRIC_TYPES:
        first, second = _stable_sorted((source, target))
        return first, second, edge_type
    return source, target, edge_type


def neighbors(
    graph: Graph,
    node: Node,
    *,
    depth: int = 1,
    types: Iterable[str] | None = None,
    direction: Direction = "out",
    max_nodes: int | None = None,
) -> dict[Node, int]:
    """Return each node within ``depth`` steps of ``node`` (itself excluded) with its distance."""
    if depth < 0:
        raise ValueError("depth must not be negative")
    if max_nodes is not None and max_nodes < 0:
        raise ValueError("max_nodes must not be negative")
    plan = _plan(types, direction)
    distances: dict[Node, int] = {}
    seen = {node}
    frontier = [node]
    for distance in range(1, depth + 1):
        next_frontier = []
        for current in frontier:
            for neighbour in _step(graph, current, plan):
                if neighbour in seen:
                    continue
                if max_nodes is not None and len(distances) >= max_nodes:
                    raise TraversalLimitExceeded(max_nodes)
                seen.add(neighbour)
                distances[neighbour] = distance
                next_frontier.append(neighbour)
        if not next_frontier:
            break
        frontier = next_frontier
    return distances


def shortest_path(
    graph: Graph,
    source: Node,
    target: Node,
    *,
    max_depth: int,
    types: Iterable[str] | None = None,
    direction: Direction = "both",
) -> list[Node] | None:
    """Return the nodes of a shortest path from ``source`` to ``target``, or None beyond reach."""
    if max_depth < 0:
        raise ValueError("max_depth must not be negative")
    forward_plan = _plan(types, direction)
    if source == target:
        return [source]
    backward_plan = tuple((1 - side, edge_type) for side, edge_type in forward_plan)
    forward: dict[Node, Any] = {source: _START}  # node -> the node it was reached from
    backward: dict[Node, Any] = {target: _START}
    forward_frontier = [source]
    backward_frontier = [target]
    for _ in range(max_depth):
        if not forward_frontier or not backward_frontier:
            return None
        # Expand the smaller frontier by one whole level. The two searched balls were
        # disjoint before this level, so the first meeting node lies on a shortest path.
        expand_forward = len(forward_frontier) <= len(backward_frontier)
        if expand_forward:
            frontier, plan, reached, other = forward_frontier, forward_plan, forward, backward
        else:
            frontier, plan, reached, other = backward_frontier, backward_plan, backward, forward
        next_frontier = []
        for current in frontier:
            for neighbour in _step(graph, current, plan):
                if neighbour in reached:
                    continue
                reached[neighbour] = current
                if neighbour in other:
                    return _join(neighbour, forward, backward)
                next_frontier.append(neighbour)
        if expand_forward:
            forward_frontier = next_frontier
        else:
            backward_frontier = next_frontier
    return None


def find_cycles(graph: Graph, *, types: Iterable[str] = ("parent",)) -> list[list[Node]]:
    """Return one shortest cycle per strongly connected component that has a cycle.

    Each cycle starts at the component's smallest node and follows the edges forward
    (the last node has an edge back to the first). A component holding many elementary
    cycles reports one of them, which keeps the answer bounded; cycles are sorted by
    their first node. ``child`` means the same facts as ``parent``; ``linked`` is refused
    because every symmetric edge would be a cycle.
    """
    wanted = {"parent" if edge_type == "child" else edge_type for edge_type in _types(types)}
    if wanted & SYMMETRIC_TYPES:
        raise ValueError(
            "linked edges are symmetric; cycles are only meaningful for directed types"
        )
    plan = tuple((_OUT, edge_type) for edge_type in STORED_TYPES if edge_type in wanted)

    def successors(node: Node) -> Iterable[Node]:
        if len(plan) == 1:  # the usual parent-only case, without a generator per node
            return graph._adjacency[_OUT].get(node, {}).get(plan[0][1], ())
        return _step(graph, node, plan)

    cycles = []
    for component in _strongly_connected_components(graph.nodes, successors):
        start = min(component, key=graph._rank.__getitem__)
        cycle = _shortest_cycle_through(start, set(component), successors)
        if cycle is not None:
            cycles.append(cycle)
    cycles.sort(key=lambda cycle: graph._rank[cycle[0]])
    return cycles


def would_create_cycle(
    graph: Graph, source: Node, target: Node, type: str = "parent"
) -> list[Node] | None:
    """Return the cycle a new ``(source, target, type)`` edge would close, or None when safe.

    The cycle is given in the direction of the edge's canonical form, starting at its
    source: for a parent edge ``a -> b`` it is ``[a, b, ..., z]`` where ``z -> a`` exists.
    """
    edge_source, edge_target, edge_type = canonical_edge(source, target, type)
    if edge_type in SYMMETRIC_TYPES:
        raise ValueError("linked edges are symmetric; they cannot close a directed cycle")
    if edge_source == edge_target:
        return [edge_source]
    back = shortest_path(
        graph,
        edge_target,
        edge_source,
        max_depth=len(graph),
        types=(edge_type,),
        direction="out",
    )
    if back is None:
        return None
    return [edge_source, *back[:-1]]


def topological_order(dependencies: Mapping[Node, Iterable[Node]]) -> list[Node]:
    """Return every node after all the nodes it depends on, ties broken by the node's order.

    ``dependencies[x]`` lists the nodes ``x`` depends on; nodes met only as dependencies are
    included. Raises ``CycleError`` whose ``cycle`` is ``[a, b, ..., z]`` where ``a`` depends
    on ``b``, ..., and ``z`` depends on ``a``.
    """
    requires: dict[Node, set[Node]] = {}
    for node, needed in dependencies.items():
        needed_set = set(needed)
        requires.setdefault(node, set()).update(needed_set)
        for dependency in needed_set:
            requires.setdefault(dependency, set())
    ordered = _stable_sorted(requires)
    rank = {node: position for position, node in enumerate(ordered)}
    dependents: dict[Node, list[Node]] = {node: [] for node in ordered}
    waiting = {node: len(needed) for node, needed in requires.items()}
    for node, needed in requires.items():
        for dependency in needed:
            dependents[dependency].append(node)
    ready = [rank[node] for node in ordered if waiting[node] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = ordered[heapq.heappop(ready)]
        order.append(node)
        for dependent in dependents[node]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, rank[dependent])
    if len(order) < len(ordered):
        raise CycleError(_dependency_cycle(requires, waiting, rank))
    return order


def statistics(graph: Graph) -> dict[str, Any]:
    """Return node and edge counts, counts by type, degree summaries and component count."""
    out_degree = dict.fromkeys(graph.nodes, 0)
    in_degree = dict.fromkeys(graph.nodes, 0)
    by_type = dict.fromkeys(STORED_TYPES, 0)
    for source, target, edge_type in graph.edges:
        out_degree[source] += 1
        in_degree[target] += 1
        by_type[edge_type] += 1
    total_degree = [out_degree[node] + in_degree[node] for node in graph.nodes]
    return {
        "node_count": len(graph),
        "edge_count": len(graph.edges),
        "edges_by_type": by_type,
        "degree": {
            "in": _summary(list(in_degree.values())),
            "out": _summary(list(out_degree.values())),
            "total": _summary(total_degree),
        },
        "weakly_connected_components": _weak_component_count(graph),
    }


def _stable_sorted(nodes: Iterable[Node]) -> list[Node]:
    """Return nodes in their natural order, or by type and repr when they do not compare."""
    items = list(nodes)
    try:
        return sorted(items)  # type: ignore[type-var]
    except TypeError:
        return sorted(items, key=lambda node: (type(node).__name__, repr(node)))


def _types(types: Iterable[str] | None) -> tuple[str, ...]:
    """Return the validated edge types, all stored types when None."""
    if types is None:
        return STORED_TYPES
    wanted = (types,) if isinstance(types, str) else tuple(types)
    for edge_type in wanted:
        if edge_type not in EDGE_TYPES:
            raise ValueError(f"unknown edge type {edge_type!r}; expected one of {EDGE_TYPES}")
    return wanted


def _plan(types: Iterable[str] | None, direction: str) -> Plan:
    """Return the (side, stored type) adjacency lookups one traversal step makes."""
    if direction not in _SIDES:
        raise ValueError(f"unknown direction {direction!r}; expected out, in or both")
    sides = _SIDES[direction]
    plan: list[tuple[int, str]] = []
    for edge_type in _types(types):
        if edge_type in SYMMETRIC_TYPES:
            lookups = [(_OUT, edge_type), (_IN, edge_type)]
        elif edge_type == "child":
            lookups = [(1 - side, "parent") for side in sides]
        else:
            lookups = [(side, edge_type) for side in sides]
        plan.extend(lookup for lookup in lookups if lookup not in plan)
    return tuple(plan)


def _step(graph: Graph, node: Node, plan: Plan) -> Iterator[Node]:
    """Yield the nodes one step from ``node`` (possibly repeated) following ``plan``."""
    for side, edge_type in plan:
        by_type = graph._adjacency[side].get(node)
        if by_type:
            yield from by_type.get(edge_type, ())


def _join(meeting: Node, forward: dict[Node, Any], backward: dict[Node, Any]) -> list[Node]:
    """Return the path through ``meeting`` from the two searches' came-from maps."""
    path = []
    node = meeting
    while node is not _START:
        path.append(node)
        node = forward[node]
    path.reverse()
    node = backward[meeting]
    while node is not _START:
        path.append(node)
        node = backward[node]
    return path


def _strongly_connected_components(
    nodes: Iterable[Node], successors: Callable[[Node], Iterable[Node]]
) -> list[list[Node]]:
    """Return the strongly connected components, by Tarjan's algorithm without recursion."""
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    on_stack: set[Node] = set()
    stack: list[Node] = []
    components: list[list[Node]] = []
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(successors(root)))]
        while work:
            node, children = work[-1]
            descended = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(successors(child))))
                    descended = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if descended:
                continue
            work.pop()
            if work:
                caller = work[-1][0]
                low[caller] = min(low[caller], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _shortest_cycle_through(
    start: Node, members: set[Node], successors: Callable[[Node], Iterable[Node]]
) -> list[Node] | None:
    """Return a shortest cycle through ``start`` inside ``members``, or None if there is none."""
    came_from: dict[Node, Any] = {start: _START}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        for following in successors(current):
            if following == start:
                cycle = []
                node = current
                while node is not _START:
                    cycle.append(node)
                    node = came_from[node]
                cycle.reverse()
                return cycle
            if following in members and following not in came_from:
                came_from[following] = current
                queue.append(following)
    return None


def _dependency_cycle(
    requires: dict[Node, set[Node]], waiting: dict[Node, int], rank: dict[Node, int]
) -> list[Node]:
    """Return one cycle among the nodes Kahn's algorithm could not place."""
    # Every unplaced node still waits on at least one unplaced dependency, so walking
    # from one to the next must come back to a node already walked.
    unplaced = {node for node, count in waiting.items() if count > 0}
    node = min(unplaced, key=rank.__getitem__)
    walked: dict[Node, int] = {}
    while node not in walked:
        walked[node] = len(walked)
        node = min((dep for dep in requires[node] if dep in unplaced), key=rank.__getitem__)
    return list(walked)[walked[node] :]


def _summary(values: list[int]) -> dict[str, float]:
    """Return the min, max and mean of ``values``, zeros when empty."""
    if not values:
        return {"min": 0, "max": 0, "mean": 0.0}
    return {"min": min(values), "max": max(values), "mean": sum(values) / len(values)}


def _weak_component_count(graph: Graph) -> int:
    """Return how many components the graph has when edge directions are ignored."""
    root = {node: node for node in graph.nodes}

    def find(node: Node) -> Node:
        while root[node] != node:
            root[node] = root[root[node]]
            node = root[node]
        return node

    components = len(root)
    for source, target, _ in graph.edges:
        source_root, target_root = find(source), find(target)
        if source_root != target_root:
            root[source_root] = target_root
            components -= 1
    return components
