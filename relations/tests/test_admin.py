"""The relationship admin: adding and deleting through the services, search by node, the
neighbourhood and statistics views."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import EventType, RelationType, Role
from nexus_site.events.models import Event
from relations import services
from relations.lab.models import Page, Space
from relations.models import Relationship
from relations.nodes import node_of

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:relations_relationship_changelist")
ADD = reverse("admin:relations_relationship_add")
NEIGHBOURHOOD = reverse("admin:relations_relationship_neighbourhood")
STATISTICS = reverse("admin:relations_relationship_statistics")


def relate(source, relation_type, target):
    return services.relationship_record(
        source=node_of(source), target=node_of(target), type=relation_type
    )


def add_form_data(source, target, relation_type, metadata="{}") -> dict:
    return {
        "source": str(node_of(source)),
        "target": str(node_of(target)),
        "type": relation_type,
        "metadata": metadata,
        "_save": "Save",
    }


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def listed(response) -> set:
    return set(response.context["cl"].result_list)


@pytest.fixture
def admin_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def spaces():
    return [Space.objects.create(name=name) for name in ("Outer", "Middle", "Inner")]


def test_staff_adds_a_relationship_through_the_service_and_its_event(
    admin_client, staff_user, spaces
):
    outer, middle, _inner = spaces

    response = admin_client.post(ADD, add_form_data(outer, middle, RelationType.PARENT))

    assert response.status_code == 302, form_errors(response)
    relationship = Relationship.objects.get()
    assert (relationship.source_id, relationship.target_id) == (outer.pk, middle.pk)
    assert relationship.created_by == staff_user
    event = Event.objects.get(type=EventType.RELATIONSHIP_CREATED)
    assert event.payload["id"] == str(relationship.pk)
    assert event.actor == staff_user


def test_add_form_saves_the_metadata(admin_client, spaces):
    member = UserFactory()

    response = admin_client.post(
        ADD, add_form_data(member, spaces[0], RelationType.MEMBER, '{"role": "guest"}')
    )

    assert response.status_code == 302, form_errors(response)
    assert Relationship.objects.get().metadata == {"role": "guest"}


def test_a_cycle_is_a_form_error_naming_the_cycle_and_creates_nothing(admin_client, spaces):
    outer, middle, inner = spaces
    relate(outer, RelationType.PARENT, middle)
    relate(middle, RelationType.PARENT, inner)

    response = admin_client.post(ADD, add_form_data(inner, outer, RelationType.PARENT))

    assert response.status_code == 200
    errors = form_errors(response)["__all__"]
    assert "This relationship would close a cycle." in errors[0]
    assert "Inner" in errors[0]
    assert "Outer" in errors[0]
    assert Relationship.objects.count() == 2
    assert Event.objects.filter(type=EventType.RELATIONSHIP_CREATED).count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"source": "nonsense"}, "source"),
        ({"target": f"graphlab.space:{uuid.uuid4()}"}, "target"),
        ({"type": RelationType.OWNER}, "type"),  # a space cannot own a space
        ({"type": RelationType.CHILD}, "type"),  # not offered: write the parent edge
        ({"metadata": "[1, 2]"}, "metadata"),
        ({"metadata": "{not json"}, "metadata"),
    ],
)
def test_add_form_shows_refusals_on_their_field(admin_client, spaces, data, field):
    outer, middle, _inner = spaces

    response = admin_client.post(ADD, add_form_data(outer, middle, RelationType.PARENT) | data)

    assert response.status_code == 200
    assert field in form_errors(response)
    assert not Relationship.objects.exists()


def test_a_duplicate_is_a_form_error(admin_client, spaces):
    outer, middle, _inner = spaces
    relate(outer, RelationType.PARENT, middle)

    response = admin_client.post(ADD, add_form_data(outer, middle, RelationType.PARENT))

    assert form_errors(response)["__all__"] == ["This relationship already exists."]


def test_an_existing_relationship_is_shown_read_only(admin_client, spaces):
    relationship = relate(spaces[0], RelationType.PARENT, spaces[1])
    url = reverse("admin:relations_relationship_change", args=[relationship.pk])

    response = admin_client.get(url)
    posted = admin_client.post(url, {"type": RelationType.LINKED})

    assert response.status_code == 200
    assert str(node_of(spaces[0])) in response.content.decode()
    assert posted.status_code == 403
    assert Relationship.objects.get().type == RelationType.PARENT


def test_delete_goes_through_the_service(admin_client, spaces):
    relationship = relate(spaces[0], RelationType.PARENT, spaces[1])
    url = reverse("admin:relations_relationship_delete", args=[relationship.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Relationship.objects.exists()
    assert Event.objects.filter(type=EventType.RELATIONSHIP_DELETED).count() == 1


def test_bulk_delete_goes_through_the_service(admin_client, spaces):
    first = relate(spaces[0], RelationType.PARENT, spaces[1])
    second = relate(spaces[1], RelationType.PARENT, spaces[2])

    response = admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Relationship.objects.exists()
    assert Event.objects.filter(type=EventType.RELATIONSHIP_DELETED).count() == 2


def test_search_by_node_finds_rows_at_either_end(admin_client, spaces):
    outer, middle, inner = spaces
    above = relate(outer, RelationType.PARENT, middle)
    below = relate(middle, RelationType.PARENT, inner)
    relate(outer, RelationType.PARENT, inner)

    by_node = admin_client.get(CHANGELIST, {"q": str(node_of(middle))})
    by_uuid = admin_client.get(CHANGELIST, {"q": str(middle.pk)})
    by_nonsense = admin_client.get(CHANGELIST, {"q": "nothing like a node"})

    assert listed(by_node) == {above, below}
    assert listed(by_uuid) == {above, below}
    assert listed(by_nonsense) == set()


def test_search_by_node_keeps_to_the_nodes_model(admin_client, spaces):
    outer = spaces[0]
    relate(outer, RelationType.PARENT, spaces[1])

    response = admin_client.get(CHANGELIST, {"q": f"graphlab.page:{outer.pk}"})

    assert listed(response) == set()


def test_changelist_filters_by_type_and_model_and_links_the_tools(admin_client, spaces):
    member = UserFactory()
    parent = relate(spaces[0], RelationType.PARENT, spaces[1])
    membership = relate(member, RelationType.MEMBER, spaces[0])
    user_type = membership.source_type_id

    by_type = admin_client.get(CHANGELIST, {"type": RelationType.PARENT})
    by_model = admin_client.get(CHANGELIST, {"source_type__id__exact": user_type})

    assert listed(by_type) == {parent}
    assert listed(by_model) == {membership}
    html = by_type.content.decode()
    assert STATISTICS in html
    assert f"{NEIGHBOURHOOD}?node=graphlab.space%3A{spaces[0].pk}" in html
    assert "?type=parent" in html
    assert "?type=child" not in html  # never stored, so never offered


def test_neighbourhood_view_draws_every_neighbour(admin_client, spaces):
    outer, middle, _inner = spaces
    page = Page.objects.create(name="Hidden from everyone", space=middle)
    relate(outer, RelationType.PARENT, middle)

    response = admin_client.get(NEIGHBOURHOOD, {"node": str(node_of(outer)), "depth": "2"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-node="{node_of(page)}"' in html
    assert "Hidden from everyone" in html
    assert {(row.name, row.ring) for row in response.context["neighbours"]} == {
        ("Middle", 1),
        ("Hidden from everyone", 2),
    }


@pytest.mark.parametrize(
    "params", [{}, {"node": "nonsense"}, {"node": f"graphlab.space:{uuid.uuid4()}"}]
)
def test_neighbourhood_view_without_a_good_node_shows_the_form(admin_client, params):
    response = admin_client.get(NEIGHBOURHOOD, params)

    assert response.status_code == 200
    assert "drawing" not in response.context


def test_statistics_count_by_type_and_model_with_degrees(admin_client, spaces):
    outer, middle, inner = spaces
    member = UserFactory()
    relate(outer, RelationType.PARENT, middle)
    relate(outer, RelationType.PARENT, inner)
    relate(member, RelationType.MEMBER, outer)

    response = admin_client.get(STATISTICS)

    assert response.status_code == 200
    context = response.context
    assert (context["total"], context["nodes"]) == (3, 4)
    assert context["mean_degree"] == 1.5
    assert {row["type"]: row["count"] for row in context["by_type"]} == {
        "parent": 2,
        "member": 1,
    }
    assert dict(context["by_model"]) == {
        "accounts.user": {"source": 1, "target": 0},
        "graphlab.space": {"source": 2, "target": 3},
    }
    assert context["top_out"][0] == (node_of(outer), "Outer", 2)
    assert context["top_in"][0][2] == 1


def test_statistics_of_an_empty_graph(admin_client):
    response = admin_client.get(STATISTICS)

    assert response.status_code == 200
    assert response.context["mean_degree"] == 0


@pytest.mark.parametrize("url", [CHANGELIST, ADD, NEIGHBOURHOOD, STATISTICS])
def test_a_non_staff_user_is_sent_to_the_admin_login(client, url):
    client.force_login(UserFactory(role=Role.USER))

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_manager_may_add_a_relationship_between_what_they_manage(client, spaces):
    manager = UserFactory(role=Role.MANAGER)
    relate(manager, RelationType.OWNER, spaces[0])
    relate(manager, RelationType.OWNER, spaces[1])
    client.force_login(manager)

    response = client.post(ADD, add_form_data(spaces[0], spaces[1], RelationType.PARENT))

    assert response.status_code == 302
    assert Relationship.objects.filter(type=RelationType.PARENT).count() == 1


def test_a_manager_may_not_take_over_a_space_through_the_admin(client, spaces):
    """The admin asks the same gate as the API: staff who are not administrators cannot put
    someone else's space under one of their own."""
    manager = UserFactory(role=Role.MANAGER)
    relate(manager, RelationType.OWNER, spaces[0])
    client.force_login(manager)

    response = client.post(ADD, add_form_data(spaces[0], spaces[1], RelationType.PARENT))

    assert response.status_code == 200
    assert form_errors(response)
    assert not Relationship.objects.filter(type=RelationType.PARENT).exists()
