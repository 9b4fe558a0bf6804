"""``permission_on`` decides in one statement what asking ``can`` level by level decides."""

import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import Permission, RelationType, Role
from nexus_site.exceptions import AuthorizationError, NotFoundError
from relations import services
from relations.access import LEVELS, can, permission_on, refusal, refusal_at
from relations.lab.models import Page, Space, Thread
from relations.nodes import node_of

pytestmark = pytest.mark.django_db


def relate(source, relation_type, target, **metadata):
    services.relationship_record(
        source=node_of(source), target=node_of(target), type=relation_type, metadata=metadata
    )


def level_by_level(user, node):
    best = None
    for level in LEVELS:
        if not can(user, level, node):
            break
        best = level
    return best


@pytest.mark.parametrize("seed", range(6))
def test_permission_on_agrees_with_can_level_by_level_on_random_graphs(seed):
    rng = random.Random(seed)
    spaces = [Space.objects.create(name=f"s{n}") for n in range(8)]
    for index, space in enumerate(spaces[1:], start=1):
        for parent in rng.sample(spaces[:index], k=min(index, rng.randint(0, 2))):
            relate(parent, RelationType.PARENT, space)
    pages = [Page.objects.create(name=f"p{n}", space=rng.choice([None, *spaces])) for n in range(8)]
    threads = [Thread.objects.create(name=f"t{n}", page=rng.choice(pages)) for n in range(4)]
    users = [UserFactory() for _ in range(4)] + [UserFactory(role=Role.ADMIN)]
    now = timezone.now()
    for user in users[:4]:
        for target in rng.sample(spaces + pages, k=4):
            metadata = rng.choice(
                [
                    {},
                    {"role": "guest"},
                    {"permission": rng.choice(LEVELS)},
                    {"expires_at": (now - timedelta(hours=1)).isoformat()},
                ]
            )
            kind = rng.choice([RelationType.MEMBER, RelationType.OWNER])
            relate(user, kind, target, **(metadata if kind == RelationType.MEMBER else {}))

    for user in [*users, AnonymousUser()]:
        for obj in [*spaces, *pages, *threads, *users]:
            node = node_of(obj)
            assert permission_on(user, node) == level_by_level(user, node)


def test_permission_on_asks_the_graph_once():
    space = Space.objects.create(name="s")
    page = Page.objects.create(name="p", space=space)
    user = UserFactory()
    relate(user, RelationType.MEMBER, space, permission=Permission.COMMENT)

    with CaptureQueriesContext(connection) as captured:
        assert permission_on(user, node_of(page)) == Permission.COMMENT

    assert len(captured) == 1


@pytest.mark.parametrize("action", LEVELS)
def test_refusal_at_a_decided_level_is_the_refusal_of_the_gate(action):
    space = Space.objects.create(name="s")
    users = [UserFactory() for _ in range(len(LEVELS) + 1)]
    for user, level in zip(users, LEVELS, strict=False):
        relate(user, RelationType.MEMBER, space, permission=level)
    node = node_of(space)

    for user in users:
        assert refusal_at(permission_on(user, node), action) == refusal(user, action, node)
    assert refusal_at(None, action) is NotFoundError
    assert refusal_at(Permission.VIEW, Permission.MANAGE) is AuthorizationError
