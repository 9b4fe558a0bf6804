"""The graph endpoints: neighbors, path, cycles, order and stats, on the graph-lab models."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from nexus_site.definitions import constants
from nexus_site.definitions.enums import RelationType
from relations import services
from relations.lab.models import Page, Space
from relations.models import Relationship
from relations.nodes import content_type_for, node_of

pytestmark = pytest.mark.django_db
URL = "/api/v1/relations/"
MISSING_PAGE = "graphlab.page:01937d2a-0000-7000-8000-000000000000"


def relate(source, relation_type, target, **metadata):
    return services.relationship_record(
        source=node_of(source), target=node_of(target), type=relation_type, metadata=metadata
    )


def corrupt_parent(parent, child) -> None:
    """Store a parent edge the service would refuse, as a corrupt import would."""
    Relationship.objects.create(
        source_type=content_type_for(node_of(parent)),
        source_id=parent.pk,
        target_type=content_type_for(node_of(child)),
        target_id=child.pk,
        type=RelationType.PARENT,
    )


def n(obj) -> str:
    return str(node_of(obj))


@pytest.fixture
def world(user):
    """The user is a member of Apollo, which holds Plan and Budget (linked); Budget is also
    linked to Hidden in Secret, and Secret is a parent of Plan: both are not the user's."""
    space = Space.objects.create(name="Apollo")
    plan = Page.objects.create(name="Plan", space=space)
    budget = Page.objects.create(name="Budget", space=space)
    secret_space = Space.objects.create(name="Secret")
    hidden = Page.objects.create(name="Hidden", space=secret_space)
    relate(user, RelationType.MEMBER, space)
    relate(plan, RelationType.LINKED, budget)
    relate(budget, RelationType.LINKED, hidden)
    relate(secret_space, RelationType.PARENT, plan)
    return SimpleNamespace(
        space=space, plan=plan, budget=budget, secret_space=secret_space, hidden=hidden
    )


@pytest.mark.parametrize("endpoint", ["neighbors", "path", "cycles", "order", "stats"])
def test_graph_endpoints_need_a_signed_in_caller(api_client, endpoint):
    assert api_client.get(f"{URL}{endpoint}/").status_code == 401


def test_neighbors_lists_visible_nodes_by_depth_with_names(auth_client, user, world):
    response = auth_client.get(f"{URL}neighbors/", {"node": n(world.plan), "depth": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["results"] == [
        {"node": n(world.budget), "name": "Budget", "depth": 1},
        {"node": n(world.space), "name": "Apollo", "depth": 1},
        {"node": n(user), "name": user.email, "depth": 2},
    ]


def test_neighbors_never_lists_what_the_caller_may_not_view(auth_client, world):
    response = auth_client.get(f"{URL}neighbors/", {"node": n(world.plan), "depth": 3})

    listed = {item["node"] for item in response.json()["results"]}
    assert n(world.secret_space) not in listed
    assert n(world.hidden) not in listed


def test_admins_see_every_neighbour(staff_client, world):
    response = staff_client.get(f"{URL}neighbors/", {"node": n(world.plan)})

    listed = {item["node"] for item in response.json()["results"]}
    assert listed == {n(world.budget), n(world.space), n(world.secret_space)}


def test_neighbors_follow_the_type_and_direction_asked(auth_client, world):
    children = auth_client.get(
        f"{URL}neighbors/", {"node": n(world.space), "type": "parent", "direction": "out"}
    )
    repeated = auth_client.get(
        f"{URL}neighbors/", {"node": n(world.plan), "type": ["linked", "child"], "direction": "out"}
    )
    commas = auth_client.get(
        f"{URL}neighbors/", {"node": n(world.plan), "type": "linked,child", "direction": "out"}
    )

    assert {item["node"] for item in children.json()["results"]} == {
        n(world.plan),
        n(world.budget),
    }
    assert repeated.json() == commas.json()
    assert {item["node"] for item in commas.json()["results"]} == {
        n(world.budget),
        n(world.space),
    }


@pytest.mark.parametrize("node", ["hidden", "secret_space", "missing"])
def test_neighbors_of_a_node_the_caller_may_not_view_is_404(auth_client, world, node):
    text = MISSING_PAGE if node == "missing" else n(getattr(world, node))

    response = auth_client.get(f"{URL}neighbors/", {"node": text})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "params",
    [
        {"node": ""},
        {"node": "not-a-node"},
        {"node": "graphlab.page:123"},
        {"node": "no_such.model:01937d2a-0000-7000-8000-000000000000"},
        {"type": "sibling"},
        {"type": "parent,sibling"},
        {"type": ""},
        {"direction": "up"},
        {"depth": 0},
        {"depth": constants.GRAPH_MAX_DEPTH + 1},
        {"depth": "deep"},
    ],
)
def test_bad_neighbors_parameters_are_422(auth_client, world, params):
    response = auth_client.get(f"{URL}neighbors/", {"node": n(world.plan), **params})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"


def test_neighbors_past_the_traversal_limit_is_422(auth_client, world, monkeypatch):
    monkeypatch.setattr(constants, "GRAPH_MAX_VISITED", 2)

    response = auth_client.get(f"{URL}neighbors/", {"node": n(world.plan)})

    assert response.status_code == 422
    assert "more than 2 nodes" in response.json()["error"]["message"]


def test_neighbors_cost_the_same_queries_for_5_or_50_nodes(auth_client, user):
    counts = []
    for size in (5, 50):
        space = Space.objects.create(name=f"space of {size}")
        relate(user, RelationType.MEMBER, space)
        for number in range(size):
            Page.objects.create(name=f"page {number}", space=space)
        with CaptureQueriesContext(connection) as captured:
            response = auth_client.get(
                f"{URL}neighbors/", {"node": n(space), "direction": "out", "type": "parent"}
            )
        assert response.json()["count"] == size
        counts.append(len(captured))

    assert counts[0] == counts[1]


def test_path_answers_nodes_edges_and_length(auth_client, user, world):
    response = auth_client.get(f"{URL}path/", {"from": n(world.plan), "to": n(user)})

    assert response.status_code == 200
    assert response.json() == {
        "path": [
            {"node": n(world.plan), "name": "Plan"},
            {"node": n(world.space), "name": "Apollo"},
            {"node": n(user), "name": user.email},
        ],
        "edges": [
            {"source": n(world.space), "type": "parent", "target": n(world.plan)},
            {"source": n(user), "type": "member", "target": n(world.space)},
        ],
        "length": 2,
    }


def test_path_goes_only_through_nodes_the_caller_may_view(auth_client, staff_client, user, world):
    elsewhere = Space.objects.create(name="Elsewhere")
    far = Page.objects.create(name="Far", space=elsewhere)
    relate(user, RelationType.MEMBER, elsewhere)
    relate(world.hidden, RelationType.LINKED, far)
    params = {"from": n(world.plan), "to": n(far), "type": "linked"}

    mine = auth_client.get(f"{URL}path/", params)
    everyone = staff_client.get(f"{URL}path/", params)

    assert mine.status_code == 404
    assert mine.json()["error"]["code"] == "path_not_found"
    assert everyone.json()["length"] == 3


def test_no_path_within_max_depth_is_404_path_not_found(auth_client, user, world):
    response = auth_client.get(
        f"{URL}path/", {"from": n(world.plan), "to": n(user), "max_depth": 1}
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "path_not_found"


@pytest.mark.parametrize("end", ["from", "to"])
@pytest.mark.parametrize("node", ["hidden", "missing"])
def test_path_from_or_to_a_node_the_caller_may_not_view_is_404(auth_client, world, end, node):
    text = MISSING_PAGE if node == "missing" else n(world.hidden)
    params = {"from": n(world.plan), "to": n(world.budget), end: text}

    response = auth_client.get(f"{URL}path/", params)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "nope"},
        {"to": None},
        {"max_depth": 0},
        {"max_depth": constants.GRAPH_MAX_DEPTH + 1},
        {"type": "sibling"},
    ],
)
def test_bad_path_parameters_are_422(auth_client, world, params):
    query = {"from": n(world.plan), "to": n(world.budget), **params}

    response = auth_client.get(
        f"{URL}path/", {key: value for key, value in query.items() if value is not None}
    )

    assert response.status_code == 422


def test_path_past_the_traversal_limit_is_422(auth_client, user, world, monkeypatch):
    monkeypatch.setattr(constants, "GRAPH_MAX_VISITED", 1)

    response = auth_client.get(f"{URL}path/", {"from": n(world.plan), "to": n(user)})

    assert response.status_code == 422


@pytest.fixture
def loop(user):
    """Three spaces of the user's in a parent cycle: the last edge bypasses the service."""
    spaces = [Space.objects.create(name=f"loop {number}") for number in range(3)]
    relate(user, RelationType.MEMBER, spaces[0])
    relate(spaces[0], RelationType.PARENT, spaces[1])
    relate(spaces[1], RelationType.PARENT, spaces[2])
    corrupt_parent(spaces[2], spaces[0])
    return spaces


def test_cycles_lists_the_cycles_the_caller_may_see(auth_client, staff_client, loop):
    theirs = [Space.objects.create(name=f"theirs {number}") for number in range(2)]
    relate(theirs[0], RelationType.PARENT, theirs[1])
    corrupt_parent(theirs[1], theirs[0])

    mine = auth_client.get(f"{URL}cycles/")
    everyone = staff_client.get(f"{URL}cycles/", {"type": "child"})

    cycle = [n(space) for space in loop]
    first = cycle.index(min(cycle))  # a cycle is listed from its smallest node
    assert mine.status_code == 200
    assert mine.json()["results"] == [{"nodes": cycle[first:] + cycle[:first], "length": 3}]
    assert everyone.json()["count"] == 2


def test_cycles_of_other_types_are_looked_for_on_demand(auth_client, loop):
    response = auth_client.get(f"{URL}cycles/", {"type": "member"})

    assert response.json()["count"] == 0


@pytest.mark.parametrize("edge_type", ["linked", "sibling", ""])
def test_cycles_refuse_undirected_or_unknown_types(auth_client, edge_type):
    assert auth_client.get(f"{URL}cycles/", {"type": edge_type}).status_code == 422


def test_cycles_past_the_traversal_limit_is_422(auth_client, loop, monkeypatch):
    monkeypatch.setattr(constants, "GRAPH_MAX_VISITED", 2)

    response = auth_client.get(f"{URL}cycles/")

    assert response.status_code == 422


@pytest.fixture
def nested(user):
    """root > middle > leaf spaces by edges, and a page under leaf by key; all the user's."""
    root, middle, leaf = (Space.objects.create(name=name) for name in ("root", "middle", "leaf"))
    relate(user, RelationType.MEMBER, root)
    relate(root, RelationType.PARENT, middle)
    relate(middle, RelationType.PARENT, leaf)
    page = Page.objects.create(name="page", space=leaf)
    return root, middle, leaf, page


def test_order_puts_parents_first(auth_client, nested):
    root, middle, leaf, page = nested
    nodes = ",".join(n(obj) for obj in (page, leaf, root, middle))

    parents_first = auth_client.get(f"{URL}order/", {"nodes": nodes})
    children_first = auth_client.get(f"{URL}order/", {"nodes": nodes, "type": "child"})

    assert parents_first.status_code == 200
    assert parents_first.json() == {"order": [n(obj) for obj in (root, middle, leaf, page)]}
    assert children_first.json() == {"order": [n(obj) for obj in (page, leaf, middle, root)]}


def test_order_of_nodes_in_a_cycle_is_409_with_the_cycle(auth_client, loop):
    response = auth_client.get(f"{URL}order/", {"nodes": ",".join(n(space) for space in loop)})

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "cycle_detected"
    assert sorted(error["details"]["cycle"]) == sorted(n(space) for space in loop)


@pytest.mark.parametrize("node", ["hidden", "missing"])
def test_order_with_a_node_the_caller_may_not_view_is_404(auth_client, world, node):
    text = MISSING_PAGE if node == "missing" else n(world.hidden)

    response = auth_client.get(f"{URL}order/", {"nodes": f"{n(world.plan)},{text}"})

    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"nodes": ""},
        {"nodes": ",, ,"},
        {"nodes": "nope"},
        {"nodes": ",".join(f"graphlab.space:01937d2a-0000-7000-8000-{i:012d}" for i in range(501))},
        {"type": "linked"},
    ],
)
def test_bad_order_parameters_are_422(auth_client, world, params):
    response = auth_client.get(f"{URL}order/", {"nodes": n(world.plan), **params})

    assert response.status_code == 422


def test_stats_count_what_the_caller_may_see(auth_client, user, world):
    outsider = UserFactory()
    relate(outsider, RelationType.OWNER, world.secret_space)

    response = auth_client.get(f"{URL}stats/")

    assert response.status_code == 200
    # Visible: user member Apollo, Plan linked Budget. Budget-Hidden and Secret-Plan have an
    # end the user may not view.
    assert response.json() == {
        "relationships": 2,
        "by_type": {"owner": 0, "member": 1, "linked": 1, "parent": 0},
        "by_model": {"accounts.user": 1, "graphlab.page": 2, "graphlab.space": 1},
        "nodes": 4,
        "degree": {"max": 1, "mean": 1.0, "p50": 1, "p90": 1},
    }


def test_stats_for_admins_cover_every_relationship(staff_client, user, world):
    response = staff_client.get(f"{URL}stats/")

    body = response.json()
    assert body["relationships"] == Relationship.objects.count() == 4
    assert body["by_type"] == {"owner": 0, "member": 1, "linked": 2, "parent": 1}
    assert body["by_model"] == {"accounts.user": 1, "graphlab.page": 5, "graphlab.space": 2}
    assert body["nodes"] == 6
    assert body["degree"] == {"max": 2, "mean": 8 / 6, "p50": 1, "p90": 2}


def test_stats_cost_the_same_queries_at_any_size(auth_client, user, django_assert_max_num_queries):
    space = Space.objects.create(name="space")
    relate(user, RelationType.MEMBER, space)

    def add_pages(count: int) -> None:
        for number in range(count):
            page = Page.objects.create(name=f"page {number}")
            relate(space, RelationType.PARENT, page)
            relate(user, RelationType.OWNER, page)

    add_pages(3)
    with CaptureQueriesContext(connection) as few:
        auth_client.get(f"{URL}stats/")
    add_pages(30)

    with django_assert_max_num_queries(len(few)):
        response = auth_client.get(f"{URL}stats/")

    assert response.json()["relationships"] == 67


def test_links_between_two_other_users_stay_theirs_in_walks(auth_client, user):
    colleague, friend = UserFactory(), UserFactory()
    relate(colleague, RelationType.LINKED, friend)
    relate(user, RelationType.LINKED, colleague)

    around = auth_client.get(f"{URL}neighbors/", {"node": n(colleague), "depth": 2})
    between = auth_client.get(f"{URL}path/", {"from": n(colleague), "to": n(friend)})
    through = auth_client.get(f"{URL}path/", {"from": n(user), "to": n(friend)})

    assert [row["node"] for row in around.json()["results"]] == [n(user)]
    assert between.status_code == 404
    assert between.json()["error"]["code"] == "path_not_found"
    assert through.status_code == 404


def test_a_user_sees_their_own_links_in_walks(auth_client, user):
    colleague = UserFactory()
    relate(user, RelationType.LINKED, colleague)

    response = auth_client.get(f"{URL}path/", {"from": n(user), "to": n(colleague)})

    assert response.status_code == 200
    assert response.json()["edges"][0]["type"] == "linked"
