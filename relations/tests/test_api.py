"""GET /api/v1/relations/check/: allowed, path, and refusals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import RelationType, Role
from relations import services
from relations.models import Relationship
from relations.nodes import node_of
from relations.registry import registry

pytestmark = pytest.mark.django_db
URL = "/api/v1/relations/check/"


@pytest.fixture(autouse=True)
def users_take_every_role():
    before = set(registry.rules)
    for relation_type in (RelationType.PARENT, RelationType.MEMBER):
        registry.allow(relation_type, User, User)
    yield
    registry.rules.intersection_update(before)


@pytest.fixture
def shared_thing(user):
    group, thing = UserFactory(), UserFactory()
    services.relationship_record(
        source=node_of(group), target=node_of(thing), type=RelationType.PARENT
    )
    services.relationship_record(
        source=node_of(user), target=node_of(group), type=RelationType.MEMBER
    )
    return group, thing


def test_check_answers_allowed_with_the_granting_path(auth_client, user, shared_thing):
    group, thing = shared_thing

    response = auth_client.get(URL, {"permission": "edit", "object": str(node_of(thing))})

    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is True
    assert [step["target"] for step in body["path"]] == [str(node_of(group)), str(node_of(thing))]


def test_check_answers_not_allowed_for_another_users_object(auth_client):
    stranger_thing = UserFactory()

    response = auth_client.get(URL, {"permission": "edit", "object": str(node_of(stranger_thing))})

    assert response.status_code == 200
    assert response.json() == {"allowed": False, "reason": "no_path", "path": []}


@pytest.mark.parametrize(
    "params",
    [
        {"permission": "view", "object": "not-a-node"},
        {"permission": "view", "object": "accounts.user:123"},
        {"permission": "view", "object": "no_such.model:01937d2a-0000-7000-8000-000000000000"},
        {"permission": "fly", "object": "accounts.user:01937d2a-0000-7000-8000-000000000000"},
        {"permission": "view"},
    ],
)
def test_bad_parameters_are_422(auth_client, params):
    response = auth_client.get(URL, params)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"


def test_customers_may_not_check_someone_else(auth_client, other_user, shared_thing):
    _group, thing = shared_thing

    response = auth_client.get(
        URL,
        {"subject": str(node_of(other_user)), "permission": "view", "object": str(node_of(thing))},
    )

    assert response.status_code == 403


def test_staff_may_check_someone_else(user, shared_thing):
    _group, thing = shared_thing
    client = bearer_client(UserFactory(role=Role.ADMIN))

    response = client.get(
        URL, {"subject": str(node_of(user)), "permission": "edit", "object": str(node_of(thing))}
    )

    assert response.json()["allowed"] is True


def test_staff_checking_a_missing_user_get_404(shared_thing):
    _group, thing = shared_thing
    client = bearer_client(UserFactory(role=Role.ADMIN))
    ghost = node_of(User())

    response = client.get(
        URL, {"subject": str(ghost), "permission": "view", "object": str(node_of(thing))}
    )

    assert response.status_code == 404


def test_check_needs_a_signed_in_caller(api_client):
    response = api_client.get(URL, {"permission": "view", "object": "accounts.user:x"})

    assert response.status_code == 401


LIST = "/api/v1/relations/"


def test_create_a_link_between_oneself_and_another_user(auth_client, user, other_user):
    response = auth_client.post(
        LIST,
        {"source": str(node_of(other_user)), "target": str(node_of(user)), "type": "linked"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["type"] == "linked"
    assert {body["source"], body["target"]} == {str(node_of(user)), str(node_of(other_user))}
    assert body["created_by"] == str(user.pk)


def test_linking_two_other_people_is_403(auth_client, other_user):
    """Both are visible (the directory), neither is the caller's to edit: 403, not 422."""
    third = UserFactory()

    response = auth_client.post(
        LIST,
        {"source": str(node_of(third)), "target": str(node_of(other_user)), "type": "linked"},
        format="json",
    )

    assert response.status_code == 403
    assert not Relationship.objects.exists()


def test_duplicate_is_409(auth_client, user, other_user):
    body = {"source": str(node_of(other_user)), "target": str(node_of(user)), "type": "linked"}
    auth_client.post(LIST, body, format="json")

    response = auth_client.post(LIST, body, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_cycle_is_409_with_the_cycle(auth_client, user):
    child = UserFactory()
    services.relationship_record(
        source=node_of(user), target=node_of(child), type=RelationType.PARENT
    )
    services.relationship_record(
        source=node_of(user), target=node_of(child), type=RelationType.MEMBER
    )

    response = auth_client.post(
        LIST,
        {"source": str(node_of(child)), "target": str(node_of(user)), "type": "parent"},
        format="json",
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "cycle_detected"
    assert error["details"]["cycle"][0] == error["details"]["cycle"][-1] == str(node_of(child))


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"source": "x", "target": "y", "type": "linked"},
        {"source": "accounts.user:01937d2a-0000-7000-8000-000000000000", "type": "linked"},
        {"source": "a", "target": "b", "type": "sibling"},
        {"source": "a", "target": "b", "type": "linked", "metadata": "not an object"},
    ],
)
def test_bad_bodies_are_422(auth_client, body):
    response = auth_client.post(LIST, body, format="json")

    assert response.status_code == 422


def test_another_users_relationship_answers_404(auth_client, other_user):
    theirs = services.relationship_record(
        source=node_of(other_user), target=node_of(UserFactory()), type=RelationType.LINKED
    )

    assert auth_client.get(f"{LIST}{theirs.pk}/").status_code == 404
    assert auth_client.delete(f"{LIST}{theirs.pk}/").status_code == 404


def test_list_shows_only_what_touches_the_caller(auth_client, user, other_user):
    mine = services.relationship_record(
        source=node_of(other_user), target=node_of(user), type=RelationType.LINKED
    )
    services.relationship_record(
        source=node_of(other_user), target=node_of(UserFactory()), type=RelationType.LINKED
    )

    response = auth_client.get(LIST)

    assert [item["id"] for item in response.json()["results"]] == [str(mine.pk)]


def test_delete_own_relationship(auth_client, user, other_user):
    response = auth_client.post(
        LIST,
        {"source": str(node_of(other_user)), "target": str(node_of(user)), "type": "linked"},
        format="json",
    )

    deleted = auth_client.delete(f"{LIST}{response.json()['id']}/")

    assert deleted.status_code == 204
    assert auth_client.get(f"{LIST}{response.json()['id']}/").status_code == 404


def test_list_runs_a_constant_number_of_queries(user):
    client = bearer_client(user)
    for _ in range(3):
        services.relationship_record(
            source=node_of(UserFactory()), target=node_of(user), type=RelationType.LINKED
        )
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(20):
        services.relationship_record(
            source=node_of(UserFactory()), target=node_of(user), type=RelationType.LINKED
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)

    assert response.json()["count"] == 23
    assert len(many) == len(few)


def test_admin_lists_relationships_for_staff(client, user, other_user):
    services.relationship_record(
        source=node_of(other_user), target=node_of(user), type=RelationType.LINKED
    )
    client.force_login(UserFactory(role=Role.ADMIN))

    response = client.get("/admin/relations/relationship/?type__exact=linked")

    assert response.status_code == 200
    assert str(user.pk) in response.content.decode()
