"""A property of the gate, on random graphs: no relationship a user is allowed to create gives
them more than they could already reach, nor gives anyone else more than they could manage.

Hypothesis draws a small world (users, projects with tasks, owner and member edges with random
permissions, parent edges between projects). The acting user then tries every fact between
its nodes, each in a savepoint rolled back afterwards; whenever the gate lets one through,
every user's reach is compared before and after.
"""

import itertools

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import Permission, RelationType
from nexus_site.exceptions import BaseAppException
from projects.tests.factories import ProjectFactory, TaskFactory
from relations.access import can
from relations.models import Relationship
from relations.nodes import node_of
from relations.services import relationship_create, relationship_record

pytestmark = pytest.mark.django_db

USERS = 3  # the actor is user 0
PROJECTS = 4
LEVELS = [Permission.VIEW.value, Permission.EDIT.value, Permission.MANAGE.value]
GRANTS = st.sampled_from([None, "view", "comment", "edit", "manage", "guest"])

# Nodes are numbered users first, then projects; the actor is drawn into grants and facts
# more often than the others, so the examples are about what they may do.
USER = st.sampled_from([0, 0, *range(1, USERS)])
PROJECT = st.integers(0, PROJECTS - 1)

world = st.fixed_dictionaries(
    {
        "owners": st.lists(USER, min_size=PROJECTS, max_size=PROJECTS),
        "grants": st.lists(st.tuples(USER, PROJECT, GRANTS), max_size=6),
        # (i, j) with i < j is "project i parent project j": always acyclic.
        "parents": st.lists(
            st.tuples(st.integers(0, PROJECTS - 2), st.integers(1, PROJECTS - 1)).filter(
                lambda pair: pair[0] < pair[1]
            ),
            max_size=3,
            unique=True,
        ),
    }
)


def build(drawn):
    users = [UserFactory() for _ in range(USERS)]
    projects = [ProjectFactory(owner=users[owner]) for owner in drawn["owners"]]
    tasks = [TaskFactory(project=project) for project in projects]
    for user, project, grant in drawn["grants"]:
        if grant is None or users[user] == projects[project].owner:
            continue
        metadata = {"role": "guest"} if grant == "guest" else {"permission": grant}
        record(users[user], RelationType.MEMBER, projects[project], metadata)
    for parent, child in drawn["parents"]:
        record(projects[parent], RelationType.PARENT, projects[child])
    return users, projects, tasks


def record(source, type, target, metadata=None):
    try:
        with transaction.atomic():
            relationship_record(
                source=node_of(source), target=node_of(target), type=type, metadata=metadata
            )
    except BaseAppException:
        pass  # a duplicate drawn twice: the world simply has it once


def reach(users, objects) -> dict:
    """Return, per user and level, the objects the user may act on at that level."""
    return {
        (user.pk, level): {obj.pk for obj in objects if can(user, level, node_of(obj))}
        for user in users
        for level in LEVELS
    }


# The world of the takeover the gate closed, always tried: the actor is a guest of project 0
# (owned by user 1) and owns project 1; "project 0 child project 1" would hand them project 0.
TAKEOVER = {"owners": [1, 0, 2, 2], "grants": [(0, 0, "guest")], "parents": []}


def facts(users, projects):
    """Yield every fact the actor could ask for: grants to each user on each project (with a
    view and a manage permission), and every type between two projects."""
    for user, project in itertools.product(users, projects):
        for type in (RelationType.OWNER, RelationType.MEMBER):
            for permission in (Permission.VIEW, Permission.MANAGE):
                yield user, type.value, project, {"permission": permission.value}
    for first, second in itertools.permutations(projects, 2):
        for type in (RelationType.PARENT, RelationType.CHILD, RelationType.LINKED):
            yield first, type.value, second, {}


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=world)
@example(drawn=TAKEOVER)
def test_no_allowed_relationship_reaches_further_than_its_actor_managed(drawn):
    with transaction.atomic():
        users, projects, tasks = build(drawn)
        actor, objects = users[0], [*projects, *tasks]
        before = reach(users, objects)
        managed = before[(actor.pk, Permission.MANAGE.value)]
        for source, type, target, metadata in facts(users, projects):
            fact = f"{source} {type} {target}"
            edges = Relationship.objects.count()
            with transaction.atomic():
                try:
                    relationship_create(
                        actor=actor,
                        source=node_of(source),
                        target=node_of(target),
                        type=type,
                        metadata=metadata,
                    )
                except BaseAppException:
                    assert Relationship.objects.count() == edges, f"{fact}: refused, yet written"
                else:
                    for key, reached in reach(users, objects).items():
                        gained = reached - before[key]
                        if key[0] == actor.pk:
                            assert not gained, f"{fact}: the actor gained {key[1]} on {gained}"
                        else:
                            assert gained <= managed, f"{fact}: {key} gained beyond the actor"
                transaction.set_rollback(True)
        transaction.set_rollback(True)
