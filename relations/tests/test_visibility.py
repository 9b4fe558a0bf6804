"""The hierarchy reads, the visible-objects filter and the events hook, on the graph-lab models.

The filter and ``can`` are two implementations of one rule, so the main test builds random
graphs and demands that they agree on every object.
"""

import random
from datetime import timedelta
from itertools import pairwise

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import RelationType, Role
from nexus_site.events.selectors import events_visible_to
from nexus_site.events.services import publish
from relations import services
from relations.access import (
    can,
    explain,
    live_grants,
    reachable_containers,
    sharing_reach,
    visible_filter,
    visible_node_strings,
    visible_nodes,
)
from relations.algorithms import TraversalLimitExceeded
from relations.hierarchy import ancestry, descendants
from relations.lab.models import Comment, Page, Space, Thread
from relations.models import Relationship
from relations.nodes import content_type_for, node_of

pytestmark = pytest.mark.django_db


def relate(source, relation_type, target, **metadata):
    return services.relationship_record(
        source=node_of(source), target=node_of(target), type=relation_type, metadata=metadata
    )


def visible(user, model):
    return set(model.objects.filter(visible_filter(user, model)).values_list("pk", flat=True))


@pytest.fixture
def tree():
    """root > inner > leaf spaces by edges; a page, thread and comment under leaf by keys."""
    root, inner, leaf = (Space.objects.create(name=name) for name in ("root", "inner", "leaf"))
    relate(root, RelationType.PARENT, inner)
    relate(inner, RelationType.PARENT, leaf)
    page = Page.objects.create(name="page", space=leaf)
    thread = Thread.objects.create(name="thread", page=page)
    comment = Comment.objects.create(name="comment", thread=thread)
    return root, inner, leaf, page, thread, comment


def test_ancestry_follows_keys_and_edges_to_the_root(tree):
    root, inner, _leaf, _page, thread, comment = tree

    hierarchy = ancestry([node_of(comment)])

    assert hierarchy.nodes == {node_of(obj) for obj in tree}
    below = hierarchy.upward_paths(node_of(comment))
    assert below[node_of(root)] == node_of(inner)
    assert below[node_of(thread)] == node_of(comment)


def test_descendants_load_containers_but_not_leaves_under_keys(tree):
    root, inner, leaf, page, thread, _comment = tree

    found = descendants([node_of(root)])

    assert found == {node_of(obj) for obj in (root, inner, leaf, page, thread)}


def test_hierarchy_reads_end_on_a_corrupt_loop():
    first, second = Space.objects.create(name="a"), Space.objects.create(name="b")
    relate(first, RelationType.PARENT, second)
    Relationship.objects.create(  # bypasses the service's cycle refusal, as corruption would
        source_type=content_type_for(node_of(second)),
        source_id=second.pk,
        target_type=content_type_for(node_of(first)),
        target_id=first.pk,
        type=RelationType.PARENT,
    )

    assert ancestry([node_of(first)]).nodes == {node_of(first), node_of(second)}
    assert descendants([node_of(second)]) == {node_of(first), node_of(second)}


def test_reads_past_the_limit_are_refused(tree):
    with pytest.raises(TraversalLimitExceeded):
        descendants([node_of(tree[0])], limit=3)


def test_explain_walks_through_foreign_keys(tree):
    root, _inner, _leaf, _page, _thread, comment = tree
    member = UserFactory()
    relate(member, RelationType.MEMBER, root)

    decision = explain(member, "edit", node_of(comment))

    assert decision.allowed
    assert [step.target for step in decision.path] == [str(node_of(obj)) for obj in tree]
    assert [step.type for step in decision.path] == ["member"] + ["parent"] * 5


def test_explain_reads_hierarchy_and_grants_in_one_query(tree):
    """Keys and edges interleave (page by edge under a page held by key), in one statement."""
    root, _inner, leaf, page, _thread, _comment = tree
    sub = Page.objects.create(name="sub", space=None)
    relate(page, RelationType.PARENT, sub)
    reply = Thread.objects.create(name="reply", page=sub)
    member = UserFactory()
    relate(member, RelationType.MEMBER, root)
    relate(member, RelationType.OWNER, leaf)

    with CaptureQueriesContext(connection) as queries:
        decision = explain(member, "manage", node_of(reply))

    assert len(queries) == 1
    assert decision.allowed
    assert decision.reason == "owner"
    assert [step.target for step in decision.path] == [
        str(node_of(obj)) for obj in (leaf, page, sub, reply)
    ]


def test_membership_reaches_any_depth():
    chain = [Space.objects.create(name=f"level {n}") for n in range(25)]
    for parent, child in pairwise(chain):
        relate(parent, RelationType.PARENT, child)
    page = Page.objects.create(name="deep", space=chain[-1])
    member = UserFactory()
    relate(member, RelationType.MEMBER, chain[0])

    assert can(member, "edit", node_of(page))
    assert page.pk in visible(member, Page)


def test_filter_keeps_what_a_member_reaches_and_nothing_else(tree):
    _root, inner, leaf, page, thread, comment = tree
    elsewhere = Space.objects.create(name="elsewhere")
    stranger_page = Page.objects.create(name="not yours", space=elsewhere)
    member = UserFactory()
    relate(member, RelationType.MEMBER, inner)

    assert visible(member, Space) == {inner.pk, leaf.pk}
    assert visible(member, Page) == {page.pk}
    assert visible(member, Thread) == {thread.pk}
    assert visible(member, Comment) == {comment.pk}
    assert stranger_page.pk not in visible(member, Page)


def test_filter_drops_expired_shares_and_keeps_guests(tree):
    _root, _inner, _leaf, page, _thread, _comment = tree
    guest, expired = UserFactory(), UserFactory()
    relate(guest, RelationType.MEMBER, page, role="guest")
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    relate(expired, RelationType.MEMBER, page, permission="edit", expires_at=past)

    assert visible(guest, Page) == {page.pk}
    assert visible(expired, Page) == set()


def test_admins_see_everything_and_anonymous_users_nothing(tree, django_user_model):
    admin = UserFactory(role=Role.ADMIN)

    assert visible(admin, Comment) == {tree[-1].pk}
    assert visible(AnonymousUser(), Comment) == set()
    assert len(visible(UserFactory(), django_user_model)) == django_user_model.objects.count()


def test_filter_costs_the_same_queries_for_five_pages_or_fifty():
    counts = []
    for size in (5, 50):
        space = Space.objects.create(name=f"space of {size}")
        for n in range(size):
            page = Page.objects.create(name=f"page {n}", space=space)
            Thread.objects.create(name=f"thread {n}", page=page)
        member = UserFactory()
        relate(member, RelationType.MEMBER, space)
        with CaptureQueriesContext(connection) as captured:
            assert len(visible(member, Thread)) == size
        counts.append(len(captured))

    assert counts[0] == counts[1]


@pytest.mark.parametrize("seed", range(6))
def test_filter_agrees_with_can_on_random_graphs(seed):
    rng = random.Random(seed)
    spaces = [Space.objects.create(name=f"s{n}") for n in range(10)]
    for index, space in enumerate(spaces[1:], start=1):
        for parent in rng.sample(spaces[:index], k=min(index, rng.randint(0, 2))):
            relate(parent, RelationType.PARENT, space)
    pages = [
        Page.objects.create(name=f"p{n}", space=rng.choice([None, *spaces])) for n in range(12)
    ]
    for index, page in enumerate(pages[1:], start=1):
        if rng.random() < 0.3:
            relate(rng.choice(pages[:index]), RelationType.PARENT, page)
    threads = [Thread.objects.create(name=f"t{n}", page=rng.choice(pages)) for n in range(6)]
    users = [UserFactory() for _ in range(4)]
    now = timezone.now()
    for user in users:
        for target in rng.sample(spaces + pages, k=3):
            metadata = rng.choice(
                [{}, {"role": "guest"}, {"expires_at": (now - timedelta(hours=1)).isoformat()}]
            )
            kind = rng.choice([RelationType.MEMBER, RelationType.OWNER])
            relate(user, kind, target, **(metadata if kind == RelationType.MEMBER else {}))

    for user in users:
        for model, objects in ((Space, spaces), (Page, pages), (Thread, threads)):
            expected = {obj.pk for obj in objects if can(user, "view", node_of(obj))}
            assert visible(user, model) == expected
            assert visible_nodes(user, [node_of(obj) for obj in objects]) == {
                node_of(obj) for obj in objects if obj.pk in expected
            }


def test_events_about_a_node_reach_its_viewers_only(tree):
    root, *_rest = tree
    member, stranger = UserFactory(), UserFactory()
    relate(member, RelationType.MEMBER, root)
    event = publish("task_created", node=str(node_of(tree[3])))

    assert event in events_visible_to(member)
    assert event not in events_visible_to(stranger)


def test_the_events_hook_ignores_nodes_of_models_that_do_not_take_part(tree):
    member = UserFactory(role=Role.USER)
    relate(member, RelationType.MEMBER, tree[0])
    page = str(node_of(tree[3]))

    assert visible_node_strings(
        member, {page, "gone.model:0190b5a4-0000-7000-8000-000000000000"}
    ) == {page}


def listed(client) -> set[tuple[str, str, str]]:
    response = client.get("/api/v1/relations/", {"limit": 500})
    assert response.status_code == 200
    return {(row["source"], row["type"], row["target"]) for row in response.json()["results"]}


def test_the_relationship_list_shows_the_team_of_a_space_i_see_and_nothing_else(
    auth_client, user, tree
):
    root, inner, *_rest = tree
    colleague, outsider, third = UserFactory(), UserFactory(), UserFactory()
    relate(user, RelationType.MEMBER, inner)
    relate(colleague, RelationType.OWNER, inner)
    secret = Space.objects.create(name="secret")
    relate(outsider, RelationType.MEMBER, secret)
    relate(outsider, RelationType.LINKED, third)

    rows = listed(auth_client)

    assert (str(node_of(colleague)), "owner", str(node_of(inner))) in rows
    assert (str(node_of(user)), "member", str(node_of(inner))) in rows
    assert (str(node_of(inner)), "parent", str(node_of(tree[2]))) in rows
    assert (str(node_of(root)), "parent", str(node_of(inner))) not in rows  # root is above me
    named = {node for row in rows for node in (row[0], row[2])}
    assert str(node_of(secret)) not in named
    assert not {str(node_of(outsider)), str(node_of(third))} <= named


def test_the_relationship_list_costs_the_same_queries_at_any_length(auth_client, user):
    counts = []
    for size in (3, 30):
        space = Space.objects.create(name=f"space {size}")
        relate(user, RelationType.MEMBER, space)
        for n in range(size):
            relate(space, RelationType.PARENT, Page.objects.create(name=f"p{n}"))
        with CaptureQueriesContext(connection) as captured:
            listed(auth_client)
        counts.append(len(captured))

    assert counts[0] == counts[1]


def test_inside_sharing_reach_the_grants_and_reach_are_read_once_with_the_same_answer(tree):
    root, *_rest = tree
    user = UserFactory()
    relate(user, RelationType.MEMBER, root)
    expected_reach, expected_grants = reachable_containers(user), live_grants(user)

    with sharing_reach():
        first = reachable_containers(user)
        with CaptureQueriesContext(connection) as context:
            again, grants = reachable_containers(user), live_grants(user)

    assert first == again == expected_reach
    assert grants == expected_grants
    assert len(context.captured_queries) == 0


def test_reach_is_read_afresh_outside_a_sharing_block(tree):
    root, inner, *_rest = tree
    user = UserFactory()
    relate(user, RelationType.MEMBER, inner)
    with sharing_reach():
        before = reachable_containers(user)

    relate(user, RelationType.MEMBER, root)

    assert node_of(root) not in before
    assert node_of(root) in reachable_containers(user)


def test_a_sharing_block_inside_another_shares_its_reads(tree):
    root, *_rest = tree
    user = UserFactory()
    relate(user, RelationType.MEMBER, root)

    with sharing_reach():
        reachable_containers(user)
        with sharing_reach(), CaptureQueriesContext(connection) as context:
            reachable_containers(user)

    assert len(context.captured_queries) == 0


def test_sharing_reach_keeps_each_users_reach_apart(tree):
    root, *_rest = tree
    member, stranger = UserFactory(), UserFactory()
    relate(member, RelationType.MEMBER, root)

    with sharing_reach():
        reached = reachable_containers(member)
        unreached = reachable_containers(stranger)

    assert node_of(root) in reached
    assert unreached == set()
