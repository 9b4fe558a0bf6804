"""Unit tests of the pure graph algorithms: plain data, no database."""

import random
from collections import deque
from itertools import pairwise

import pytest

from relations.algorithms import (
    CycleError,
    Graph,
    TraversalLimitExceeded,
    find_cycles,
    neighbors,
    shortest_path,
    statistics,
    topological_order,
    would_create_cycle,
)

# a -> b -> c -> d as parents, plus a side branch b -> e and an owner edge x -> a.
TREE = Graph.from_edges(
    [
        ("a", "b", "parent"),
        ("b", "c", "parent"),
        ("c", "d", "parent"),
        ("b", "e", "parent"),
        ("x", "a", "owner"),
    ]
)


def chain(length: int, edge_type: str = "parent") -> Graph:
    return Graph.from_edges((f"n{i}", f"n{i + 1}", edge_type) for i in range(length - 1))


def plain_bfs_distance(edges, source, target, *, both: bool) -> int | None:
    """Return the hop count from source to target by a one-directional BFS, None if none."""
    adjacency: dict[str, set[str]] = {}
    for s, t, _ in edges:
        adjacency.setdefault(s, set()).add(t)
        if both:
            adjacency.setdefault(t, set()).add(s)
    distances = {source: 0}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node == target:
            return distances[node]
        for following in adjacency.get(node, ()):
            if following not in distances:
                distances[following] = distances[node] + 1
                queue.append(following)
    return None


def assert_is_path(graph: Graph, path: list, *, both: bool) -> None:
    stored = {(s, t) for s, t, _ in graph.edges}
    for step_from, step_to in pairwise(path):
        assert (step_from, step_to) in stored or (both and (step_to, step_from) in stored)


# Graph


def test_graph_rejects_an_unknown_edge_type():
    with pytest.raises(ValueError, match="unknown edge type"):
        Graph.from_edges([("a", "b", "friend")])


def test_graph_is_immutable():
    with pytest.raises(AttributeError):
        TREE._edges = ()


def test_graph_keeps_isolated_nodes():
    graph = Graph.from_edges([("a", "b", "parent")], nodes=["z"])

    assert graph.nodes == ("a", "b", "z")
    assert "z" in graph


def test_graph_stores_child_as_the_reversed_parent_edge():
    graph = Graph.from_edges([("b", "a", "child")])

    assert graph.edges == (("a", "b", "parent"),)


def test_graph_counts_a_linked_pair_once_whichever_way_it_is_written():
    graph = Graph.from_edges([("a", "b", "linked"), ("b", "a", "linked")])

    assert graph.edges == (("a", "b", "linked"),)


# neighbors


def test_neighbors_defaults_to_one_step_outwards():
    assert neighbors(TREE, "b") == {"c": 1, "e": 1}


def test_neighbors_reports_distances_up_to_the_depth():
    assert neighbors(TREE, "a", depth=2) == {"b": 1, "c": 2, "e": 2}


def test_neighbors_with_depth_zero_is_empty():
    assert neighbors(TREE, "a", depth=0) == {}


def test_neighbors_excludes_the_start_even_on_a_cycle():
    graph = Graph.from_edges([("a", "b", "parent"), ("b", "a", "parent")])

    assert neighbors(graph, "a", depth=5) == {"b": 1}


def test_neighbors_follows_only_the_requested_types():
    assert neighbors(TREE, "x", depth=3, types=["parent"]) == {}
    assert neighbors(TREE, "x", depth=2, types=["owner", "parent"]) == {"a": 1, "b": 2}


def test_neighbors_direction_in_follows_incoming_edges():
    assert neighbors(TREE, "c", depth=5, direction="in") == {"b": 1, "a": 2, "x": 3}


def test_neighbors_direction_both_ignores_edge_direction():
    assert neighbors(TREE, "c", direction="both") == {"b": 1, "d": 1}


def test_neighbors_reads_linked_edges_from_either_end():
    graph = Graph.from_edges([("a", "b", "linked")])

    assert neighbors(graph, "a", direction="out") == {"b": 1}
    assert neighbors(graph, "b", direction="out") == {"a": 1}
    assert neighbors(graph, "b", direction="in") == {"a": 1}


def test_neighbors_gives_the_same_answers_for_child_and_parent_spellings():
    as_parent = Graph.from_edges([("a", "b", "parent"), ("b", "c", "parent")])
    as_child = Graph.from_edges([("b", "a", "child"), ("c", "b", "child")])

    for node in "abc":
        for direction in ("out", "in", "both"):
            assert neighbors(as_parent, node, depth=3, direction=direction) == neighbors(
                as_child, node, depth=3, direction=direction
            )


def test_neighbors_child_filter_reads_parent_edges_backwards():
    assert neighbors(TREE, "c", depth=5, types=["child"]) == {"b": 1, "a": 2}
    assert neighbors(TREE, "a", depth=5, types=["child"], direction="in") == {
        "b": 1,
        "c": 2,
        "e": 2,
        "d": 3,
    }


def test_neighbors_of_an_unknown_node_is_empty():
    assert neighbors(TREE, "nowhere", depth=3) == {}


def test_neighbors_raises_when_more_than_max_nodes_would_be_visited():
    with pytest.raises(TraversalLimitExceeded) as caught:
        neighbors(TREE, "a", depth=5, max_nodes=3)

    assert caught.value.limit == 3


def test_neighbors_allows_exactly_max_nodes():
    assert len(neighbors(TREE, "a", depth=5, max_nodes=4)) == 4


def test_neighbors_rejects_an_unknown_type_or_direction():
    with pytest.raises(ValueError, match="unknown edge type"):
        neighbors(TREE, "a", types=["friend"])
    with pytest.raises(ValueError, match="unknown direction"):
        neighbors(TREE, "a", direction="sideways")


# shortest_path


def test_shortest_path_returns_the_nodes_from_source_to_target():
    assert shortest_path(TREE, "x", "d", max_depth=10) == ["x", "a", "b", "c", "d"]


def test_shortest_path_prefers_the_shorter_route():
    graph = Graph.from_edges(
        [("s", "a", "member"), ("a", "b", "member"), ("b", "t", "member"), ("s", "t", "linked")]
    )

    assert shortest_path(graph, "s", "t", max_depth=5) == ["s", "t"]


def test_shortest_path_to_itself_is_the_node_alone():
    assert shortest_path(TREE, "a", "a", max_depth=0) == ["a"]


def test_shortest_path_is_none_when_no_path_exists():
    graph = Graph.from_edges([("a", "b", "parent"), ("c", "d", "parent")])

    assert shortest_path(graph, "a", "d", max_depth=10) is None


def test_shortest_path_respects_max_depth():
    assert shortest_path(TREE, "a", "d", max_depth=2) is None
    assert shortest_path(TREE, "a", "d", max_depth=3) == ["a", "b", "c", "d"]


def test_shortest_path_follows_only_the_requested_types():
    assert shortest_path(TREE, "x", "b", max_depth=5, types=["parent"]) is None
    assert shortest_path(TREE, "x", "b", max_depth=5, types=["owner", "parent"]) == ["x", "a", "b"]


def test_shortest_path_out_does_not_walk_edges_backwards():
    assert shortest_path(TREE, "d", "a", max_depth=5, direction="out") is None
    assert shortest_path(TREE, "d", "a", max_depth=5, direction="both") == ["d", "c", "b", "a"]


def test_shortest_path_crosses_linked_edges_either_way_even_outwards():
    graph = Graph.from_edges([("a", "b", "parent"), ("c", "b", "linked")])

    assert shortest_path(graph, "a", "c", max_depth=5, direction="out") == ["a", "b", "c"]


def test_shortest_path_matches_a_plain_bfs_on_random_graphs():
    rng = random.Random(20240531)
    for _ in range(60):
        size = rng.randint(2, 40)
        names = [f"n{i}" for i in range(size)]
        edges = [
            (rng.choice(names), rng.choice(names), "parent")
            for _ in range(rng.randint(0, size * 2))
        ]
        graph = Graph.from_edges(edges, nodes=names)
        for _ in range(10):
            source, target = rng.choice(names), rng.choice(names)
            for direction, both in (("out", False), ("both", True)):
                expected = plain_bfs_distance(edges, source, target, both=both)
                max_depth = rng.choice([1, 2, 3, size])
                path = shortest_path(
                    graph, source, target, max_depth=max_depth, direction=direction
                )
                if expected is None or expected > max_depth:
                    assert path is None
                else:
                    assert path is not None
                    assert len(path) - 1 == expected
                    assert (path[0], path[-1]) == (source, target)
                    assert_is_path(graph, path, both=both)


# find_cycles


def test_find_cycles_reports_a_cycle_in_order_from_its_smallest_node():
    graph = Graph.from_edges([("b", "c", "parent"), ("c", "a", "parent"), ("a", "b", "parent")])

    assert find_cycles(graph) == [["a", "b", "c"]]


def test_find_cycles_finds_none_in_a_dag():
    assert find_cycles(TREE) == []


def test_find_cycles_reports_one_cycle_per_component():
    graph = Graph.from_edges(
        [
            ("a", "b", "parent"),
            ("b", "a", "parent"),
            ("b", "c", "parent"),
            ("x", "y", "parent"),
            ("y", "z", "parent"),
            ("z", "x", "parent"),
            ("y", "x", "parent"),
        ]
    )

    assert find_cycles(graph) == [["a", "b"], ["x", "y"]]


def test_find_cycles_reports_a_self_loop():
    graph = Graph.from_edges([("a", "a", "parent"), ("a", "b", "parent")])

    assert find_cycles(graph) == [["a"]]


def test_find_cycles_looks_only_at_the_requested_types():
    graph = Graph.from_edges([("a", "b", "owner"), ("b", "a", "owner")])

    assert find_cycles(graph) == []
    assert find_cycles(graph, types=["owner"]) == [["a", "b"]]


def test_find_cycles_sees_child_edges_as_parent_edges():
    graph = Graph.from_edges([("a", "b", "parent"), ("a", "b", "child")])

    assert find_cycles(graph) == [["a", "b"]]


def test_find_cycles_refuses_linked_edges():
    with pytest.raises(ValueError, match="symmetric"):
        find_cycles(TREE, types=["linked"])


# would_create_cycle


def test_would_create_cycle_returns_the_cycle_the_edge_would_close():
    assert would_create_cycle(TREE, "d", "a") == ["d", "a", "b", "c"]


def test_would_create_cycle_is_none_when_the_edge_is_safe():
    assert would_create_cycle(TREE, "a", "d") is None
    assert would_create_cycle(TREE, "e", "d") is None


def test_would_create_cycle_reads_a_child_edge_as_the_reversed_parent_edge():
    assert would_create_cycle(TREE, "a", "d", type="child") == ["d", "a", "b", "c"]


def test_would_create_cycle_reports_a_self_edge():
    assert would_create_cycle(TREE, "a", "a") == ["a"]


def test_would_create_cycle_ignores_edges_of_other_types():
    assert would_create_cycle(TREE, "a", "x") is None
    assert would_create_cycle(TREE, "a", "x", type="owner") == ["a", "x"]


# topological_order


def test_topological_order_puts_dependencies_first():
    order = topological_order({"app": ["db", "cache"], "cache": ["net"], "db": ["net"]})

    assert order == ["net", "cache", "db", "app"]


def test_topological_order_includes_nodes_met_only_as_dependencies():
    assert topological_order({"b": ["a"]}) == ["a", "b"]


def test_topological_order_does_not_depend_on_input_order():
    forward = {"d": ["b", "c"], "b": ["a"], "c": ["a"], "e": []}
    backward = dict(reversed(list(forward.items())))

    assert topological_order(forward) == topological_order(backward) == ["a", "b", "c", "d", "e"]


def test_topological_order_is_valid_on_random_dags():
    rng = random.Random(7)
    for _ in range(50):
        size = rng.randint(1, 60)
        rank = list(range(size))
        rng.shuffle(rank)
        # Only depending on nodes of lower rank makes the graph acyclic.
        dependencies = {
            node: [
                other for other in range(size) if rank[other] < rank[node] and rng.random() < 0.2
            ]
            for node in range(size)
        }

        order = topological_order(dependencies)

        assert sorted(order) == list(range(size))
        position = {node: index for index, node in enumerate(order)}
        for node, needed in dependencies.items():
            assert all(position[dependency] < position[node] for dependency in needed)


def test_topological_order_raises_a_cycle_error_carrying_a_real_cycle():
    dependencies = {"a": ["b"], "b": ["c"], "c": ["d", "b"], "d": [], "e": ["a"]}

    with pytest.raises(CycleError) as caught:
        topological_order(dependencies)

    cycle = caught.value.cycle
    assert sorted(cycle) == ["b", "c"]
    for node, following in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        assert following in dependencies[node]


def test_topological_order_reports_a_self_dependency_as_a_cycle():
    with pytest.raises(CycleError) as caught:
        topological_order({"a": ["a"]})

    assert caught.value.cycle == ["a"]


# scale


def test_algorithms_handle_a_100000_node_chain_without_recursion():
    length = 100_000
    graph = chain(length)
    first, last = "n0", f"n{length - 1}"

    assert len(neighbors(graph, first, depth=length)) == length - 1
    assert len(shortest_path(graph, first, last, max_depth=length)) == length
    assert find_cycles(graph) == []
    assert len(would_create_cycle(graph, last, first)) == length
    order = topological_order({f"n{i + 1}": [f"n{i}"] for i in range(length - 1)})
    assert order[0] == first
    assert order[-1] == last


def test_find_cycles_handles_a_100000_node_ring():
    length = 100_000
    graph = Graph.from_edges((f"n{i}", f"n{(i + 1) % length}", "parent") for i in range(length))

    (cycle,) = find_cycles(graph)

    assert len(cycle) == length


# statistics


def test_statistics_describe_a_known_graph():
    graph = Graph.from_edges(
        [
            ("u", "p", "owner"),
            ("v", "p", "member"),
            ("p", "d", "parent"),
            ("d", "p2", "linked"),
            ("q", "r", "child"),
        ],
        nodes=["lonely"],
    )

    assert statistics(graph) == {
        "node_count": 8,
        "edge_count": 5,
        "edges_by_type": {"owner": 1, "member": 1, "linked": 1, "parent": 2},
        "degree": {
            "in": {"min": 0, "max": 2, "mean": 5 / 8},
            "out": {"min": 0, "max": 1, "mean": 5 / 8},
            "total": {"min": 0, "max": 3, "mean": 10 / 8},
        },
        "weakly_connected_components": 3,
    }


def test_statistics_of_an_empty_graph_are_zero():
    stats = statistics(Graph.from_edges([]))

    assert stats["node_count"] == 0
    assert stats["weakly_connected_components"] == 0
    assert stats["degree"]["total"] == {"min": 0, "max": 0, "mean": 0.0}
