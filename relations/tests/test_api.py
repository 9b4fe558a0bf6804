"""GET /api/v1/relations/check/: allowed, path, and refusals."""

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import RelationType, Role
from relations import services
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
    services.relationship_create(
        source=node_of(group), target=node_of(thing), type=RelationType.PARENT
    )
    services.relationship_create(
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

    response = auth_client.get(URL, {"permission": "view", "object": str(node_of(stranger_thing))})

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
