"""The reach kept between requests (relations.reach): read once while the graph holds, and never
a moment longer than a write that changes it, whichever end of the relationship that write is at.

These tests run outside a test transaction (``transaction=True``): the cache is never used
inside one, which the last tests show.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import RelationType
from relations import reach, services
from relations.access import reachable_containers
from relations.lab.models import Page, Space, Thread
from relations.models import Relationship
from relations.nodes import node_of

pytestmark = pytest.mark.django_db(transaction=True)
READ = 3  # statements of a reach read: the grants, the parent edges below, the pages below


@pytest.fixture(autouse=True)
def kept(settings):
    settings.REACH_CACHE_SECONDS = 60
    reach.forget()
    yield
    reach.forget()


def relate(source, relation_type, target, **metadata):
    return services.relationship_record(
        source=node_of(source), target=node_of(target), type=relation_type, metadata=metadata
    )


def reached(user) -> set:
    return {node.id for node in reachable_containers(user)}


@pytest.fixture
def member():
    user = UserFactory()
    space = Space.objects.create(name="Apollo")
    relate(user, RelationType.MEMBER, space)
    return user, space


def test_the_reach_is_read_once_while_the_graph_holds(member, django_assert_num_queries):
    user, space = member
    assert space.pk in reached(user)

    with django_assert_num_queries(0):
        assert space.pk in reached(user)


def test_a_revoked_grant_leaves_the_reach_at_once(member):
    user, space = member
    assert space.pk in reached(user)

    services.relationship_erase(relationship=Relationship.objects.get(target_id=space.pk))

    assert space.pk not in reached(user)


def test_a_grant_to_someone_else_changes_their_reach_not_a_stale_copy(member):
    user, space = member
    other = UserFactory()
    assert space.pk not in reached(other)  # kept: reaches nothing

    relate(other, RelationType.MEMBER, space)

    assert space.pk in reached(other)
    assert space.pk in reached(user)


def test_a_sub_space_added_or_unlinked_below_a_grant_moves_the_reach(member):
    user, space = member
    child = Space.objects.create(name="Gemini")
    assert child.pk not in reached(user)

    edge = relate(space, RelationType.PARENT, child)
    assert child.pk in reached(user)

    services.relationship_erase(relationship=edge)
    assert child.pk not in reached(user)


def test_a_container_moved_by_its_foreign_key_moves_the_reach(member):
    user, space = member
    elsewhere = Space.objects.create(name="Skylab")
    page = Page.objects.create(name="Plan", space=space)
    Thread.objects.create(name="Talk", page=page)  # a page with threads is a container
    assert page.pk in reached(user)

    page.space = elsewhere
    page.save()

    assert page.pk not in reached(user)


def test_a_grant_ends_the_entry_when_it_expires(member, monkeypatch):
    user, space = member
    expiry = timezone.now() + timedelta(seconds=30)
    shared = Space.objects.create(name="Mir")
    relate(user, RelationType.MEMBER, shared, expires_at=expiry.isoformat())
    assert shared.pk in reached(user)

    later = expiry + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert shared.pk not in reached(user)
    assert space.pk in reached(user)


def test_another_process_write_is_seen_through_the_access_version(member):
    """A write this process's signals never see (another process's, or a queryset update) is
    seen as soon as the access version moves."""
    user, space = member
    assert space.pk in reached(user)
    Relationship.objects.filter(target_id=space.pk).update(type=RelationType.LINKED)
    assert space.pk in reached(user)  # kept: nothing said the graph changed

    cache.incr(reach.VERSION_KEY)  # what the other process's commit does

    assert space.pk not in reached(user)


def test_a_grant_in_a_rolled_back_transaction_is_never_kept():
    user = UserFactory()
    space = Space.objects.create(name="Apollo")
    assert space.pk not in reached(user)

    seen_inside = []

    def grant_then_fail():
        with transaction.atomic():
            relate(user, RelationType.MEMBER, space)
            seen_inside.append(space.pk in reached(user))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        grant_then_fail()

    assert seen_inside == [True]  # the transaction saw its own grant
    assert space.pk not in reached(user)


def test_inside_a_transaction_the_reach_is_read_every_time(member, django_assert_num_queries):
    user, space = member
    reached(user)

    with transaction.atomic(), django_assert_num_queries(READ):
        assert space.pk in reached(user)


def test_nothing_is_kept_without_a_lifetime(member, settings, django_assert_num_queries):
    settings.REACH_CACHE_SECONDS = 0
    user, space = member
    reached(user)

    with django_assert_num_queries(READ):
        assert space.pk in reached(user)
