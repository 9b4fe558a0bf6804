"""can/explain: owners, members, guests, shares with levels and expiry, deep parents, paths.

The graph-lab models stand in for the domain: a Space is a project, a Page under it (by
foreign key) a document, and spaces nest by parent edges.
"""

from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import RelationType, Role
from relations import services
from relations.access import can, explain
from relations.lab.models import Page, Space
from relations.nodes import node_of

pytestmark = pytest.mark.django_db


def relate(source, relation_type, target, **metadata):
    return services.relationship_record(
        source=node_of(source), target=node_of(target), type=relation_type, metadata=metadata
    )


@pytest.fixture
def project_with_document():
    project = Space.objects.create(name="Apollo")
    return project, Page.objects.create(name="Plan", space=project)


def test_member_of_the_parent_may_edit_the_child_and_explain_says_why(project_with_document):
    project, document = project_with_document
    member = UserFactory()
    relate(member, RelationType.MEMBER, project)

    decision = explain(member, "edit", node_of(document))

    assert decision.allowed
    assert decision.path_as_dicts() == [
        {"source": str(node_of(member)), "type": "member", "target": str(node_of(project))},
        {"source": str(node_of(project)), "type": "parent", "target": str(node_of(document))},
    ]


def test_member_may_not_manage(project_with_document):
    project, document = project_with_document
    member = UserFactory()
    relate(member, RelationType.MEMBER, project)

    assert not can(member, "manage", node_of(document))


def test_owner_may_manage(project_with_document):
    project, document = project_with_document
    owner = UserFactory()
    relate(owner, RelationType.OWNER, project)

    assert can(owner, "manage", node_of(document))


def test_guest_member_only_views(project_with_document):
    project, document = project_with_document
    guest = UserFactory()
    relate(guest, RelationType.MEMBER, project, role="guest")

    assert can(guest, "view", node_of(document))
    assert not can(guest, "comment", node_of(document))


@pytest.mark.parametrize(
    ("level", "allowed", "refused"),
    [("view", "view", "comment"), ("comment", "comment", "edit"), ("edit", "edit", "manage")],
)
def test_share_level_limits_the_action(project_with_document, level, allowed, refused):
    _project, document = project_with_document
    reader = UserFactory()
    relate(reader, RelationType.MEMBER, document, permission=level)

    assert can(reader, allowed, node_of(document))
    assert not can(reader, refused, node_of(document))


def test_expired_share_grants_nothing(project_with_document):
    _project, document = project_with_document
    reader = UserFactory()
    past = (timezone.now() - timedelta(seconds=1)).isoformat()
    relate(reader, RelationType.MEMBER, document, permission="edit", expires_at=past)

    decision = explain(reader, "comment", node_of(document))

    assert not decision.allowed
    assert decision.reason == "no_path"


def test_unexpired_share_grants_its_level(project_with_document):
    _project, document = project_with_document
    reader = UserFactory()
    future = (timezone.now() + timedelta(days=1)).isoformat()
    relate(reader, RelationType.MEMBER, document, permission="comment", expires_at=future)

    assert can(reader, "comment", node_of(document))


def test_stranger_is_refused(project_with_document):
    _project, document = project_with_document

    decision = explain(UserFactory(), "comment", node_of(document))

    assert decision == type(decision)(False, "no_path", [])


def test_admin_role_may_do_anything(project_with_document):
    _project, document = project_with_document

    decision = explain(UserFactory(role=Role.ADMIN), "manage", node_of(document))

    assert decision.allowed
    assert decision.reason == "admin"


def test_membership_reaches_through_deep_parents():
    chain = [Space.objects.create(name=f"level {n}") for n in range(7)]
    for parent, child in pairwise(chain):
        relate(parent, RelationType.PARENT, child)
    member = UserFactory()
    relate(member, RelationType.MEMBER, chain[0])

    decision = explain(member, "edit", node_of(chain[-1]))

    assert decision.allowed
    assert len(decision.path) == 7
    assert decision.path[-1].target == str(node_of(chain[-1]))


def test_the_shortest_granting_path_is_returned():
    top, middle, leaf = (Space.objects.create(name=name) for name in ("top", "middle", "leaf"))
    relate(top, RelationType.PARENT, middle)
    relate(middle, RelationType.PARENT, leaf)
    member = UserFactory()
    relate(member, RelationType.MEMBER, top)
    relate(member, RelationType.MEMBER, middle)

    decision = explain(member, "edit", node_of(leaf))

    assert [step.target for step in decision.path] == [str(node_of(middle)), str(node_of(leaf))]


def test_unknown_action_is_refused(project_with_document):
    project, document = project_with_document
    owner = UserFactory()
    relate(owner, RelationType.OWNER, project)

    assert explain(owner, "destroy", node_of(document)).reason == "unknown_action"


def test_check_runs_a_bounded_number_of_queries_per_level(
    project_with_document, django_assert_max_num_queries
):
    project, document = project_with_document
    member = UserFactory()
    relate(member, RelationType.MEMBER, project)

    with django_assert_max_num_queries(5):
        assert can(member, "view", node_of(document))


def test_users_may_view_each_other_but_not_edit():
    alice, bob = UserFactory(), UserFactory()

    assert explain(alice, "view", node_of(bob)).reason == "directory"
    assert not can(alice, "edit", node_of(bob))
