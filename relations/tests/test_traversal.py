"""The database walks of relations.traversal, on the graph-lab models.

They and relations.algorithms are two implementations of one meaning of types and directions,
so the main tests build random graphs and demand that both give the same answers.
"""

import random
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from relations import algorithms, traversal
from relations.algorithms import Graph, TraversalLimitExceeded
from relations.lab.models import Comment, Page, Space, Thread
from relations.models import Relationship
from relations.nodes import Node, content_type_for, node_of, normalize

pytestmark = pytest.mark.django_db

TYPE_CHOICES = [
    None,
    ["parent"],
    ["child"],
    ["linked"],
    ["owner", "member"],
    ["parent", "linked"],
    ["child", "owner"],
]
DIRECTIONS = ["out", "in", "both"]


def store(source: Node, edge_type: str, target: Node) -> tuple[Node, Node, str]:
    """Insert the row directly: the walks must read any stored graph, cycles included."""
    source, target, edge_type = normalize(source, target, edge_type)
    Relationship.objects.create(
        source_type=content_type_for(source),
        source_id=source.id,
        target_type=content_type_for(target),
        target_id=target.id,
        type=edge_type,
    )
    return source, target, edge_type


def random_graph(rng: random.Random) -> tuple[list[Node], Graph]:
    """Store a random lab graph; return its nodes and the same graph in memory."""
    spaces = [Space.objects.create(name=f"s{n}") for n in range(6)]
    pages = [Page.objects.create(name=f"p{n}", space=rng.choice([None, *spaces])) for n in range(8)]
    threads = [Thread.objects.create(name=f"t{n}", page=rng.choice(pages)) for n in range(4)]
    comments = [Comment.objects.create(name=f"c{n}", thread=rng.choice(threads)) for n in range(4)]
    users = [UserFactory() for _ in range(3)]
    shapes = [
        ("parent", spaces, spaces),
        ("parent", spaces, pages),
        ("parent", pages, pages),
        ("linked", pages, pages),
        ("owner", users, spaces + pages + threads),
        ("member", users, spaces + pages + threads),
    ]
    edges = set()
    for _ in range(20):
        edge_type, sources, targets = rng.choice(shapes)
        source, target = node_of(rng.choice(sources)), node_of(rng.choice(targets))
        if source != target and normalize(source, target, edge_type) not in edges:
            edges.add(store(source, edge_type, target))
    structural = (
        [(node_of(page.space), node_of(page), "parent") for page in pages if page.space]
        + [(node_of(thread.page), node_of(thread), "parent") for thread in threads]
        + [(node_of(comment.thread), node_of(comment), "parent") for comment in comments]
    )
    nodes = [node_of(obj) for obj in [*spaces, *pages, *threads, *comments, *users]]
    return nodes, Graph.from_edges([*edges, *structural], nodes=nodes)


def induced(graph: Graph, keep: set[Node]) -> Graph:
    return Graph.from_edges(
        [edge for edge in graph.edges if edge[0] in keep and edge[1] in keep], nodes=keep
    )


@pytest.mark.parametrize("seed", range(5))
def test_neighbors_agree_with_the_pure_algorithm_on_random_graphs(seed):
    rng = random.Random(seed)
    nodes, graph = random_graph(rng)

    for _ in range(40):
        start, types = rng.choice(nodes), rng.choice(TYPE_CHOICES)
        direction, depth = rng.choice(DIRECTIONS), rng.randint(1, 4)

        found = traversal.neighbors(start, types=types, direction=direction, depth=depth)

        expected = algorithms.neighbors(graph, start, depth=depth, types=types, direction=direction)
        assert found == expected, (start, types, direction, depth)


@pytest.mark.parametrize("seed", range(5))
def test_shortest_paths_agree_with_the_pure_algorithm_on_random_graphs(seed):
    rng = random.Random(seed)
    nodes, graph = random_graph(rng)

    for _ in range(40):
        source, target = rng.sample(nodes, 2)
        types, max_depth = rng.choice(TYPE_CHOICES), rng.randint(1, 5)

        found = traversal.shortest_path(source, target, types=types, max_depth=max_depth)

        expected = algorithms.shortest_path(
            graph, source, target, max_depth=max_depth, types=types, direction="both"
        )
        assert (found is None) == (expected is None), (source, target, types, max_depth)
        if found is not None:
            assert len(found) == len(expected)
            assert (found[0], found[-1]) == (source, target)
            for first, second in pairwise(found):
                assert second in algorithms.neighbors(graph, first, types=types, direction="both")


@pytest.mark.parametrize("seed", range(3))
def test_refused_nodes_are_neither_returned_nor_crossed(seed):
    rng = random.Random(seed)
    nodes, graph = random_graph(rng)
    allowed = set(rng.sample(nodes, len(nodes) // 2))
    asked = []

    def allow(reached: set[Node]) -> set[Node]:
        asked.append(reached)
        return reached & allowed

    for _ in range(20):
        start, target = rng.sample(nodes, 2)
        types, depth = rng.choice(TYPE_CHOICES), rng.randint(1, 4)
        asked.clear()

        found = traversal.neighbors(start, types=types, direction="both", depth=depth, allow=allow)

        assert len(asked) <= depth
        assert found == algorithms.neighbors(
            induced(graph, allowed | {start}), start, depth=depth, types=types, direction="both"
        )
        path = traversal.shortest_path(start, target, types=types, max_depth=depth, allow=allow)
        expected = algorithms.shortest_path(
            induced(graph, allowed | {start, target}), start, target, max_depth=depth, types=types
        )
        assert (path is None) == (expected is None)
        assert path is None or len(path) == len(expected)


def star(size: int) -> Node:
    center = node_of(Page.objects.create(name=f"center of {size}"))
    for n in range(size):
        store(center, "linked", node_of(Page.objects.create(name=f"ray {n}")))
    return center


def test_a_star_of_200_costs_the_queries_of_a_star_of_5(django_assert_max_num_queries):
    small, large = star(5), star(200)
    traversal.neighbors(small)  # loads the content types once, as any earlier request would
    with CaptureQueriesContext(connection) as few:
        assert len(traversal.neighbors(small)) == 5

    with django_assert_max_num_queries(len(few)):
        assert len(traversal.neighbors(large)) == 200


def test_queries_grow_with_depth_only():
    chain = [node_of(Space.objects.create(name=f"level {n}")) for n in range(8)]
    for parent, child in pairwise(chain):
        store(parent, "parent", child)
    traversal.neighbors(chain[0])
    counts = []
    for depth in (1, 2, 3):
        with CaptureQueriesContext(connection) as captured:
            assert len(traversal.neighbors(chain[0], direction="out", depth=depth)) == depth
        counts.append(len(captured))

    assert counts == [counts[0], 2 * counts[0], 3 * counts[0]]


def test_structural_keys_are_parent_edges_both_ways():
    space = Space.objects.create(name="space")
    page = Page.objects.create(name="page", space=space)
    thread = Thread.objects.create(name="thread", page=page)
    comment = Comment.objects.create(name="comment", thread=thread)

    below = traversal.neighbors(node_of(space), types=["parent"], direction="out", depth=3)
    above = traversal.neighbors(node_of(comment), types=["child"], direction="out", depth=3)

    assert below == {node_of(page): 1, node_of(thread): 2, node_of(comment): 3}
    assert above == {node_of(thread): 1, node_of(page): 2, node_of(space): 3}


def test_neighbors_past_the_limit_are_refused():
    center = star(5)

    assert len(traversal.neighbors(center, max_visited=5)) == 5
    with pytest.raises(TraversalLimitExceeded):
        traversal.neighbors(center, max_visited=4)


def test_a_shortest_path_past_the_limit_is_refused():
    first, second = star(5), star(5)
    store(first, "linked", second)

    assert traversal.shortest_path(first, second, max_visited=6) == [first, second]
    with pytest.raises(TraversalLimitExceeded):
        traversal.shortest_path(first, second, max_visited=5)


def test_a_node_is_its_own_shortest_path_and_unreachable_nodes_have_none():
    lone, other = node_of(Space.objects.create(name="a")), node_of(Space.objects.create(name="b"))

    assert traversal.shortest_path(lone, lone) == [lone]
    assert traversal.shortest_path(lone, other) is None


@pytest.mark.parametrize("arguments", [{"types": ["sibling"]}, {"direction": "up"}, {"depth": -1}])
def test_bad_arguments_raise_value_error(arguments):
    with pytest.raises(ValueError):
        traversal.neighbors(node_of(Space.objects.create(name="a")), **arguments)


def test_edges_among_gives_stored_and_structural_edges_in_stored_form():
    space, outside = Space.objects.create(name="space"), Space.objects.create(name="outside")
    first = Page.objects.create(name="first", space=space)
    second = Page.objects.create(name="second")
    user = UserFactory()
    parent = store(node_of(first), "child", node_of(space))  # stored as space parent of first
    linked = store(node_of(second), "linked", node_of(first))
    owner = store(node_of(user), "owner", node_of(space))
    store(node_of(outside), "parent", node_of(second))
    members = [node_of(obj) for obj in (space, first, second, user)]

    every = traversal.edges_among(members)
    parents = traversal.edges_among(members, types=["child"])

    assert parent == (node_of(space), node_of(first), "parent")
    assert every == sorted({parent, linked, owner})
    assert parents == [parent]
    assert traversal.edges_among(members[1:], types=["parent"]) == []
