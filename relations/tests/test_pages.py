"""The graph explorer at /graph/ (on the graph-lab models) and the drawing's layout."""

import math
import uuid
from itertools import combinations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import RelationType, Role
from relations import pages, services
from relations.drawing import NODE_RADIUS, NODE_SPACING, draw, layout
from relations.lab.models import Page, Space
from relations.nodes import node_of

URL = reverse("relations:explorer")


def relate(source, relation_type, target):
    return services.relationship_record(
        source=node_of(source), target=node_of(target), type=relation_type
    )


def explore(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response, response.content.decode()


def data_node(obj) -> str:
    return f'data-node="{node_of(obj)}"'


@pytest.fixture
def world(db):
    """A viewer who is a member of Apollo; Apollo holds Plan (by key) and Inner (by edge);
    Plan is linked to Zeus Notes in the Zeus space, which the viewer may not see."""
    viewer = UserFactory(first_name="Vera")
    apollo = Space.objects.create(name="Apollo")
    inner = Space.objects.create(name="Inner")
    plan = Page.objects.create(name="Plan", space=apollo)
    zeus = Space.objects.create(name="Zeus")
    zeus_notes = Page.objects.create(name="Zeus Notes", space=zeus)
    relate(viewer, RelationType.MEMBER, apollo)
    relate(apollo, RelationType.PARENT, inner)
    relate(plan, RelationType.LINKED, zeus_notes)
    return {
        "viewer": viewer,
        "apollo": apollo,
        "inner": inner,
        "plan": plan,
        "zeus": zeus,
        "zeus_notes": zeus_notes,
    }


@pytest.fixture
def viewer_client(client, world):
    client.force_login(world["viewer"])
    return client


# --- The page -----------------------------------------------------------------------------


def test_explorer_redirects_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_explorer_draws_the_neighbourhood_with_names_and_edge_types(viewer_client, world):
    _response, html = explore(viewer_client, node=str(node_of(world["apollo"])))

    for name in ("viewer", "apollo", "inner", "plan"):
        assert data_node(world[name]) in html
    assert "Inner" in html
    assert "Plan" in html
    assert 'data-edge-type="member"' in html
    assert 'data-edge-type="parent"' in html
    assert '<title id="graph-title">Apollo and its neighbours within 1 step</title>' in html


def test_explorer_lists_the_neighbours_with_their_depth(viewer_client, world):
    Page.objects.create(name="Deep", space=world["inner"])

    response, _html = explore(viewer_client, node=str(node_of(world["apollo"])), depth="2")

    rows = {(row.name, row.ring) for row in response.context["neighbours"]}
    assert rows == {("Inner", 1), ("Plan", 1), (world["viewer"].email, 1), ("Deep", 2)}


def test_explorer_leaves_out_neighbours_the_user_may_not_see(viewer_client, world):
    _response, html = explore(viewer_client, node=str(node_of(world["plan"])), depth="3")

    assert data_node(world["zeus_notes"]) not in html
    assert "Zeus" not in html


def test_hidden_and_missing_nodes_answer_the_same_not_found(viewer_client, world):
    missing = f"graphlab.space:{uuid.uuid4()}"

    hidden_response, hidden_html = explore(viewer_client, node=str(node_of(world["zeus"])))
    missing_response, _missing_html = explore(viewer_client, node=missing)

    errors = hidden_response.context["form"].errors["node"]
    assert errors == missing_response.context["form"].errors["node"]
    assert errors == [str(pages.NOT_FOUND)]
    assert "Zeus" not in hidden_html
    assert "drawing" not in hidden_response.context


@pytest.mark.parametrize(
    "params",
    [
        {"node": "nonsense"},
        {"node": "graphlab.space:not-a-uuid"},
        {"node": f"auth.group:{uuid.uuid4()}"},
        {"node": ""},
        {"node": f"graphlab.space:{uuid.uuid4()}", "depth": "9"},
        {"node": f"graphlab.space:{uuid.uuid4()}", "type": "child"},
    ],
)
def test_bad_input_shows_a_form_error(viewer_client, params):
    response, _html = explore(viewer_client, **params)

    assert response.context["form"].errors


def test_path_marks_the_nodes_and_edges_on_it(viewer_client, world):
    viewer, apollo, plan = world["viewer"], world["apollo"], world["plan"]

    response, html = explore(
        viewer_client,
        node=str(node_of(apollo)),
        path_from=str(node_of(viewer)),
        path_to=str(node_of(plan)),
    )

    drawing = response.context["drawing"]
    on_path = {node.key for node in drawing.nodes if node.on_path}
    assert on_path == {str(node_of(viewer)), str(node_of(apollo)), str(node_of(plan))}
    assert sorted(edge.type for edge in drawing.edges if edge.on_path) == ["member", "parent"]
    assert f'class="graph-node on-path" {data_node(plan)}' in html
    assert [name for _node, name, _href in response.context["path"]] == [
        viewer.email,
        "Apollo",
        "Plan",
    ]


def test_path_beyond_the_neighbourhood_is_drawn_on_an_outer_ring(viewer_client, world):
    response, _html = explore(
        viewer_client,
        node=str(node_of(world["inner"])),
        path_from=str(node_of(world["inner"])),
        path_to=str(node_of(world["plan"])),
    )

    rings = {node.name: (node.ring, node.on_path) for node in response.context["drawing"].nodes}
    assert rings["Plan"] == (2, True)
    assert "Plan" not in {row.name for row in response.context["neighbours"]}


def test_path_to_a_hidden_node_answers_not_found(viewer_client, world):
    response, html = explore(
        viewer_client,
        node=str(node_of(world["plan"])),
        path_from=str(node_of(world["plan"])),
        path_to=str(node_of(world["zeus_notes"])),
    )

    assert response.context["path_form"].errors["path_to"] == [str(pages.NOT_FOUND)]
    assert "Zeus" not in html


def test_path_only_through_hidden_nodes_is_not_found(viewer_client, world):
    hidden = Page.objects.create(name="Hidden", space=world["zeus"])
    other = Page.objects.create(name="Other", space=world["apollo"])
    relate(world["plan"], RelationType.LINKED, hidden)
    relate(hidden, RelationType.LINKED, other)

    response, html = explore(
        viewer_client,
        node=str(node_of(world["plan"])),
        path_from=str(node_of(world["plan"])),
        path_to=str(node_of(other)),
        type=["linked"],
    )

    assert response.context["path_missing"]
    assert "Hidden" not in html


def test_why_shows_the_granting_path(viewer_client, world):
    response, html = explore(viewer_client, node=str(node_of(world["plan"])))

    parts = [part.text for part in response.context["why"]]
    assert parts == ["You", "member of", "Apollo", "parent of", "Plan"]
    assert 'id="why"' in html


def test_why_tells_an_admin_they_see_everything(client, world):
    client.force_login(UserFactory(role=Role.ADMIN))

    _response, html = explore(client, node=str(node_of(world["zeus_notes"])))

    assert "You are an administrator" in html
    assert "Zeus Notes" in html


def test_suggestions_are_the_visible_other_ends_of_the_users_relationships(viewer_client, world):
    colleague = UserFactory()
    relate(world["viewer"], RelationType.LINKED, colleague)

    response, html = explore(viewer_client)

    assert [node for node, _name in response.context["suggestions"]] == [
        node_of(colleague),
        node_of(world["apollo"]),
    ]
    assert f'<option value="{node_of(world["apollo"])}">Apollo</option>' in html


def test_a_neighbourhood_over_the_limit_shows_a_message(viewer_client, world, monkeypatch):
    monkeypatch.setattr(pages, "EXPLORER_MAX_NODES", 1)

    response, html = explore(viewer_client, node=str(node_of(world["apollo"])))

    assert "more than 1 nodes" in response.context["limit_error"]
    assert 'role="alert"' in html


def test_names_cost_one_query_per_model_whatever_the_neighbourhood_size(viewer_client, world):
    def queries(node) -> int:
        with CaptureQueriesContext(connection) as captured:
            explore(viewer_client, node=str(node_of(node)))
        return len(captured)

    few = queries(world["apollo"])
    for index in range(6):
        Page.objects.create(name=f"More {index}", space=world["apollo"])

    assert queries(world["apollo"]) == few


def test_main_navigation_links_to_the_explorer(viewer_client):
    html = viewer_client.get(reverse("dashboard")).content.decode()

    assert f'href="{URL}"' in html


# --- Layout and drawing (pure) ------------------------------------------------------------


def distance(a, b) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def test_layout_puts_the_centre_in_the_middle():
    placed = layout({"c": 0, "a": 1, "b": 1, "d": 2})

    assert placed.positions["c"] == (placed.size / 2, placed.size / 2)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 40, 150])
def test_layout_never_overlaps_nodes_of_one_ring(count):
    rings = {"c": 0} | {f"n{index}": 1 for index in range(count)} | {"far": 2}

    placed = layout(rings).positions

    ring = [placed[f"n{index}"] for index in range(count)]
    for a, b in combinations(ring, 2):
        assert distance(a, b) >= NODE_SPACING - 0.5 > 2 * NODE_RADIUS


def test_layout_puts_deeper_rings_further_out_and_keeps_everything_on_the_canvas():
    rings = {"c": 0} | {f"a{i}": 1 for i in range(30)} | {f"b{i}": 2 for i in range(3)}

    placed = layout(rings)

    middle = (placed.size / 2, placed.size / 2)
    inner = max(distance(placed.positions[f"a{i}"], middle) for i in range(30))
    outer = min(distance(placed.positions[f"b{i}"], middle) for i in range(3))
    assert outer > inner + NODE_SPACING
    for x, y in placed.positions.values():
        assert NODE_RADIUS < x < placed.size - NODE_RADIUS
        assert NODE_RADIUS < y < placed.size - NODE_RADIUS


def test_layout_puts_children_beside_their_parent():
    rings = {"c": 0, "left": 1, "right": 1, "x": 2, "y": 2}
    edges = [("c", "left", "parent"), ("c", "right", "parent")]
    edges += [("left", "x", "parent"), ("right", "y", "parent")]

    placed = layout(rings, edges).positions

    assert distance(placed["x"], placed["left"]) < distance(placed["x"], placed["right"])
    assert distance(placed["y"], placed["right"]) < distance(placed["y"], placed["left"])


@pytest.mark.parametrize("children", [2, 5, 12, 60])
def test_layout_never_overlaps_children_crowding_round_one_parent(children):
    rings = {"c": 0, "p": 1, "q": 1, "r": 1} | {f"k{index}": 2 for index in range(children)}
    edges = [("c", parent, "parent") for parent in "pqr"]
    edges += [("p", f"k{index}", "parent") for index in range(children)]

    placed = layout(rings, edges).positions

    ring = [placed[f"k{index}"] for index in range(children)]
    for a, b in combinations(ring, 2):
        assert distance(a, b) >= NODE_SPACING - 0.5


def test_draw_marks_the_path_and_drops_edges_to_nodes_not_drawn():
    rings = {"c": 0, "a": 1, "b": 1}
    edges = [("c", "a", "member"), ("a", "b", "linked"), ("c", "b", "owner"), ("a", "gone", "x")]

    drawing = draw(
        rings,
        edges,
        names=dict.fromkeys(rings, "name"),
        kinds=dict.fromkeys(rings, "kind"),
        phrases={"member": "member of"},
        href=lambda key: f"?node={key}",
        path=["c", "a", "b"],
    )

    assert {(edge.type, edge.on_path) for edge in drawing.edges} == {
        ("member", True),
        ("linked", True),
        ("owner", False),
    }
    assert all(node.on_path for node in drawing.nodes)
    assert [edge.phrase for edge in drawing.edges if edge.type == "member"] == ["member of"]
    assert not next(edge for edge in drawing.edges if edge.type == "linked").arrow
    assert [entry.type for entry in drawing.edge_types] == ["linked", "member", "owner"]


def test_draw_keeps_two_edges_between_one_pair_apart():
    rings = {"u": 0, "s": 1}

    drawing = draw(
        rings,
        [("u", "s", "owner"), ("u", "s", "member")],
        names=dict.fromkeys(rings, ""),
        kinds=dict.fromkeys(rings, ""),
        phrases={},
        href=str,
    )

    first, second = drawing.edges
    assert distance((first.x1, first.y1), (second.x1, second.y1)) > 5
