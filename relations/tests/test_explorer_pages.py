"""The graph explorer as a user works it: find nodes by name (only what they may see), large
neighbourhoods capped and grouped, a node expanded in place, pan and zoom controls."""

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import RelationType
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations import pages, services
from relations.lab.models import Page, Space, Thread
from relations.nodes import Node, node_of
from relations.pages import DRAWN_NODES, NODES_PER_NODE, Group, capped

URL = reverse("relations:explorer")
SEARCH = reverse("relations:search")
DRAWING = reverse("relations:drawing")


def relate(source, relation_type, target):
    services.relationship_record(source=node_of(source), target=node_of(target), type=relation_type)


@pytest.fixture
def viewer(db):
    return UserFactory(first_name="Vera", last_name="Viewer")


@pytest.fixture
def signed_in(client, viewer):
    client.force_login(viewer)
    return client


def found_names(client, text: str) -> list[str]:
    response = client.get(SEARCH, {"q": text})
    assert response.status_code == 200
    return [item["name"] for item in json.loads(response.content)["results"]]


# --- find by name -------------------------------------------------------------------------------


def test_search_finds_projects_and_tasks_the_user_may_see_by_name(signed_in, viewer):
    mine = ProjectFactory(owner=viewer, name="Rocket launch")
    TaskFactory(project=mine, title="Launch checklist")
    ProjectFactory(name="Launch of someone else")  # not the viewer's

    assert sorted(found_names(signed_in, "launch")) == ["Launch checklist", "Rocket launch"]


def test_search_answers_nodes_and_links_to_draw_them(signed_in, viewer):
    project = ProjectFactory(owner=viewer, name="Apollo")

    (result,) = json.loads(signed_in.get(SEARCH, {"q": "apo"}).content)["results"]

    assert result == {
        "node": str(node_of(project)),
        "name": "Apollo",
        "kind": "project",
        "url": f"?node={str(node_of(project)).replace(':', '%3A')}",
    }


def test_search_on_the_page_lists_what_it_found(signed_in, viewer):
    project = ProjectFactory(owner=viewer, name="Apollo")

    html = signed_in.get(URL, {"q": "Apollo"}).content.decode()

    assert f'href="?node={str(node_of(project)).replace(":", "%3A")}">Apollo</a>' in html


def test_search_never_finds_what_the_user_may_not_see(signed_in):
    hidden = ProjectFactory(name="Secret apollo")
    TaskFactory(project=hidden, title="Secret apollo task")

    assert found_names(signed_in, "secret") == []
    assert "Secret apollo" not in signed_in.get(URL, {"q": "secret"}).content.decode()


def test_search_finds_people_who_share_something_with_the_user_never_the_whole_directory(
    signed_in, viewer
):
    project = ProjectFactory(owner=viewer)
    colleague = add_member(project, user=UserFactory(first_name="Maria", email="maria@a.test"))
    UserFactory(first_name="Maria", email="maria@b.test")  # shares nothing with the viewer

    results = json.loads(signed_in.get(SEARCH, {"q": "maria"}).content)["results"]

    assert [item["node"] for item in results] == [str(node_of(colleague))]


def test_search_of_one_letter_finds_nothing(signed_in, viewer):
    ProjectFactory(owner=viewer, name="A")

    assert found_names(signed_in, "a") == []


def test_search_needs_a_signed_in_user(client, db):
    response = client.get(SEARCH, {"q": "apollo"})

    assert response.status_code == 302


def test_search_runs_a_constant_number_of_queries(signed_in, viewer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            signed_in.get(SEARCH, {"q": "task"})
        return len(captured)

    project = ProjectFactory(owner=viewer)
    TaskFactory(project=project, title="Task one")
    few = queries()
    for index in range(8):
        TaskFactory(project=project, title=f"Task {index}")

    assert queries() == few


# --- capping and grouping (pure) ----------------------------------------------------------------


def star(count: int, label: str = "graphlab.page", centre=None):
    centre = centre or Node("graphlab.space", uuid.uuid4())
    leaves = [Node(label, uuid.uuid4()) for _ in range(count)]
    rings = {centre: 0} | dict.fromkeys(leaves, 1)
    edges = [(centre, leaf, "parent") for leaf in leaves]
    return centre, leaves, rings, edges


def test_a_node_shows_at_most_thirty_neighbours_and_groups_the_rest_by_kind():
    centre, leaves, rings, edges = star(NODES_PER_NODE + 12)

    drawn, drawn_edges = capped(rings, edges)

    groups = [node for node in drawn if isinstance(node, Group)]
    assert len([node for node in drawn if node in leaves]) == NODES_PER_NODE
    assert groups == [Group(centre, "graphlab.page", 12)]
    assert drawn[groups[0]] == 1
    assert (centre, groups[0], "more") in drawn_edges


def test_a_small_neighbourhood_is_drawn_whole():
    _centre, _leaves, rings, edges = star(5)

    drawn, drawn_edges = capped(rings, edges)

    assert drawn == rings
    assert drawn_edges == edges


def test_every_kind_gets_its_turn_when_a_node_is_crowded():
    centre, _leaves, rings, edges = star(40)
    users = [Node("accounts.user", uuid.uuid4()) for _ in range(3)]
    rings |= dict.fromkeys(users, 1)
    edges += [(user, centre, "member") for user in users]

    drawn, _edges = capped(rings, edges)

    assert all(user in drawn for user in users)
    assert Group(centre, "graphlab.page", 40 - (NODES_PER_NODE - 3)) in drawn


def test_the_drawing_never_holds_more_than_its_total():
    _centre, leaves, rings, edges = star(20)
    for leaf in leaves:
        children = [Node("graphlab.thread", uuid.uuid4()) for _ in range(20)]
        rings |= dict.fromkeys(children, 2)
        edges += [(leaf, child, "parent") for child in children]

    drawn, _edges = capped(rings, edges)

    assert len([node for node in drawn if not isinstance(node, Group)]) == DRAWN_NODES


def test_path_nodes_are_always_drawn():
    centre, leaves, rings, edges = star(NODES_PER_NODE + 5)

    drawn, _edges = capped(rings, edges, keep=[centre, leaves[-1]])

    assert leaves[-1] in drawn


# --- the page: grouped, expanded ------------------------------------------------------------


@pytest.fixture
def crowded(viewer):
    """A space the viewer is a member of, holding 40 pages; the first page holds a thread."""
    space = Space.objects.create(name="Apollo")
    relate(viewer, RelationType.MEMBER, space)
    pages_ = [Page.objects.create(name=f"Page {index:02}", space=space) for index in range(40)]
    thread = Thread.objects.create(name="A thread", page=pages_[0])
    return space, pages_, thread


def test_a_crowded_neighbourhood_is_capped_with_a_group_node_and_a_full_table(signed_in, crowded):
    space, pages_, _linked = crowded

    response = signed_in.get(URL, {"node": str(node_of(space))})

    html = response.content.decode()
    drawn = {node.key for node in response.context["drawing"].nodes}
    assert len(drawn & {str(node_of(page)) for page in pages_}) == NODES_PER_NODE - 1  # + viewer
    assert "+11 more pages" in html
    assert 'class="graph-group-link"' in html
    assert len(response.context["neighbours"]) == 41  # every page and the viewer
    assert "the table below lists every neighbour" in html


def test_a_click_on_a_node_expands_it_in_the_drawing(signed_in, crowded):
    space, pages_, thread = crowded
    first = str(node_of(pages_[0]))

    response = signed_in.get(URL, {"node": str(node_of(space))})
    href = next(node.href for node in response.context["drawing"].nodes if node.key == first)
    assert "expand=" in href
    expanded = signed_in.get(URL + href)

    assert str(node_of(thread)) in {node.key for node in expanded.context["drawing"].nodes}
    assert expanded.context["expanded"] == [first]
    again = next(n.href for n in expanded.context["drawing"].nodes if n.key == first)
    assert "expand=" not in again  # a second click folds it


def test_the_drawing_fragment_answers_the_same_drawing_without_the_page(signed_in, crowded):
    space, pages_, thread = crowded

    response = signed_in.get(
        DRAWING, {"node": str(node_of(space)), "expand": str(node_of(pages_[0]))}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="graph-svg"' in html
    assert f'data-node="{node_of(thread)}"' in html


def test_expanding_never_reaches_what_the_user_may_not_see(signed_in, crowded):
    space, pages_, _linked = crowded
    hidden_space = Space.objects.create(name="Zeus")
    hidden_page = Page.objects.create(name="Zeus plans", space=hidden_space)
    relate(pages_[1], RelationType.LINKED, hidden_page)

    for expand in (node_of(pages_[1]), node_of(hidden_page), node_of(hidden_space), "nonsense"):
        # pages_[1] is linked to a page in a space the viewer is not in
        response = signed_in.get(DRAWING, {"node": str(node_of(space)), "expand": str(expand)})
        assert response.status_code == 200
        assert "Zeus" not in response.content.decode()


def test_another_users_node_draws_nothing_in_the_fragment(signed_in):
    hidden = Space.objects.create(name="Zeus")

    response = signed_in.get(DRAWING, {"node": str(node_of(hidden))})

    assert response.status_code == 200
    assert "Zeus" not in response.content.decode()
    assert "drawing" not in response.context


def test_expanding_runs_a_constant_number_of_queries(signed_in, crowded):
    space, pages_, _linked = crowded

    def queries(page) -> int:
        with CaptureQueriesContext(connection) as captured:
            signed_in.get(DRAWING, {"node": str(node_of(space)), "expand": str(node_of(page))})
        return len(captured)

    Thread.objects.create(name="First", page=pages_[2])  # names cost one query per model
    few = queries(pages_[2])
    for index in range(6):
        Thread.objects.create(name=f"Extra {index}", page=pages_[2])

    assert queries(pages_[2]) == few


def test_the_drawing_has_pan_and_zoom_controls_reachable_by_keyboard(signed_in, crowded):
    space, _pages, _linked = crowded

    html = signed_in.get(URL, {"node": str(node_of(space))}).content.decode()

    assert 'role="toolbar"' in html
    for action in ("in", "out", "reset"):
        assert f'data-zoom="{action}"' in html
    assert 'id="graph-svg"' in html
    assert 'tabindex="0"' in html
    assert "relations/explorer.js" in html


def test_the_admin_drawing_keeps_its_plain_picture(admin_client, crowded):
    space, _pages, _linked = crowded

    response = admin_client.get(
        reverse("admin:relations_relationship_neighbourhood"), {"node": str(node_of(space))}
    )

    assert response.status_code == 200
    assert 'role="toolbar"' not in response.content.decode()


def test_a_page_that_cannot_be_expanded_keeps_its_place(monkeypatch, signed_in, crowded):
    space, _pages, _linked = crowded
    monkeypatch.setattr(pages, "EXPANDED_NODES", 0)

    response = signed_in.get(URL, {"node": str(node_of(space)), "expand": str(node_of(_pages[0]))})

    assert response.context["expanded"] == []
