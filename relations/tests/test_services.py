"""Relationship writes: validation, one row per fact, cycle refusal, events."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from accounts.models import User
from accounts.tests.factories import UserFactory
from nexus_site.definitions.enums import EventType, RelationType
from nexus_site.events.models import Event
from nexus_site.events.selectors import events_visible_to
from nexus_site.exceptions import ConflictError, ValidationError
from relations import services
from relations.lab.models import Space
from relations.models import Relationship
from relations.nodes import Node, node_of, parse_node
from relations.registry import Registry, registry


@pytest.fixture
def users_may_nest():
    """Allow user -> user parent edges for the test, so the engine can be tried on users."""
    added = {
        (RelationType.PARENT.value, "accounts.user", "accounts.user"),
        (RelationType.CHILD.value, "accounts.user", "accounts.user"),
    } - registry.rules
    registry.allow(RelationType.PARENT, User, User)
    yield
    registry.rules -= added


def make_nodes(count: int) -> list[Node]:
    return [node_of(UserFactory()) for _ in range(count)]


def test_parse_node_reads_the_api_form(user):
    assert parse_node(f"accounts.user:{user.pk}") == Node("accounts.user", user.pk)


@pytest.mark.parametrize(
    "text", ["", "accounts.user", "accounts.user:not-a-uuid", 42, "no.such:0193"]
)
def test_parse_node_refuses_bad_strings_with_422(text):
    with pytest.raises(ValidationError) as caught:
        parse_node(text, field="source")

    assert "source" in caught.value.details


def test_parse_node_refuses_models_outside_the_graph():
    with pytest.raises(ValidationError):
        parse_node("events.event:01937d2a-0000-7000-8000-000000000000")


def test_registry_check_fails_loudly_on_a_rule_for_an_unregistered_model():
    from nexus_site.events.models import Event as EventModel

    bad = Registry()
    bad.register_model(User)
    bad.allow(RelationType.LINKED, User, EventModel)

    with pytest.raises(ImproperlyConfigured, match=r"events\.event is not registered"):
        bad.check()


def test_registry_check_refuses_a_structural_parent_that_is_not_a_foreign_key():
    bad = Registry()
    bad.register_model(User, structural_parents=("email",))

    with pytest.raises(ImproperlyConfigured, match="structural parent"):
        bad.check()


@pytest.mark.django_db
def test_linked_is_one_fact_whichever_end_is_written_first():
    a, b = make_nodes(2)
    services.relationship_record(source=a, target=b, type=RelationType.LINKED)

    with pytest.raises(ConflictError) as caught:
        services.relationship_record(source=b, target=a, type=RelationType.LINKED)

    assert caught.value.code == "conflict"
    assert Relationship.objects.count() == 1


@pytest.mark.django_db
def test_child_is_stored_as_the_parent_fact(users_may_nest):
    a, b = make_nodes(2)

    relationship = services.relationship_record(source=b, target=a, type=RelationType.CHILD)

    assert relationship.type == RelationType.PARENT
    assert (relationship.source_id, relationship.target_id) == (a.id, b.id)
    with pytest.raises(ConflictError):
        services.relationship_record(source=a, target=b, type=RelationType.PARENT)


@pytest.mark.django_db
def test_self_relationship_is_422():
    (a,) = make_nodes(1)

    with pytest.raises(ValidationError) as caught:
        services.relationship_record(source=a, target=a, type=RelationType.LINKED)

    assert "target" in caught.value.details


@pytest.mark.django_db
@pytest.mark.parametrize("relation_type", ["member", "friend"])
def test_disallowed_or_unknown_type_is_422(relation_type):
    a, b = make_nodes(2)

    with pytest.raises(ValidationError) as caught:
        services.relationship_record(source=a, target=b, type=relation_type)

    assert "type" in caught.value.details
    assert not Relationship.objects.exists()


@pytest.mark.django_db
def test_missing_target_object_is_422():
    (a,) = make_nodes(1)
    ghost = Node("accounts.user", User().pk)

    with pytest.raises(ValidationError) as caught:
        services.relationship_record(source=a, target=ghost, type=RelationType.LINKED)

    assert "target" in caught.value.details


@pytest.mark.django_db
def test_parent_edge_closing_a_cycle_is_refused_with_the_cycle(users_may_nest):
    a, b, c = make_nodes(3)
    services.relationship_record(source=a, target=b, type=RelationType.PARENT)
    services.relationship_record(source=b, target=c, type=RelationType.PARENT)

    with pytest.raises(ConflictError) as caught:
        services.relationship_record(source=c, target=a, type=RelationType.PARENT)

    assert caught.value.code == "cycle_detected"
    assert caught.value.details["cycle"] == [str(c), str(a), str(b), str(c)]
    assert Relationship.objects.count() == 2


@pytest.mark.django_db
def test_a_diamond_is_not_a_cycle(users_may_nest):
    top, left, right, bottom = make_nodes(4)
    for source, target in [(top, left), (top, right), (left, bottom)]:
        services.relationship_record(source=source, target=target, type=RelationType.PARENT)

    services.relationship_record(source=right, target=bottom, type=RelationType.PARENT)

    assert Relationship.objects.count() == 4


@pytest.mark.django_db
def test_create_and_delete_publish_events(django_capture_on_commit_callbacks):
    a, b = make_nodes(2)
    actor = User.objects.get(pk=a.id)

    relationship = services.relationship_record(
        source=a, target=b, type=RelationType.LINKED, created_by=actor
    )
    relationship_id = str(relationship.pk)
    services.relationship_erase(relationship=relationship, actor=actor)

    events = list(Event.objects.filter(type__startswith="relationship_").order_by("id"))
    assert [event.type for event in events] == [
        EventType.RELATIONSHIP_CREATED,
        EventType.RELATIONSHIP_DELETED,
    ]
    assert events[0].payload["id"] == events[1].payload["id"] == relationship_id
    assert not Relationship.objects.exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writers_cannot_close_a_cycle_between_them(users_may_nest):
    a, b = make_nodes(2)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(source: Node, target: Node) -> None:
        try:
            barrier.wait(timeout=10)
            services.relationship_record(source=source, target=target, type=RelationType.PARENT)
            outcomes.append("created")
        except ConflictError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(a, b)),
        threading.Thread(target=write, args=(b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["created", "cycle_detected"]
    assert Relationship.objects.count() == 1


def test_a_share_is_announced_to_its_two_ends_and_the_targets_viewers_only(user, other_user):
    space = Space.objects.create(name="Apollo")
    viewer, bystander = UserFactory(), UserFactory()
    for who in (user, viewer):
        services.relationship_record(
            source=node_of(who), target=node_of(space), type=RelationType.MEMBER
        )
    Event.objects.all().delete()

    services.relationship_record(
        source=node_of(other_user), target=node_of(space), type=RelationType.MEMBER
    )

    def heard(who):
        return events_visible_to(who).filter(type=EventType.RELATIONSHIP_CREATED).exists()

    assert heard(other_user)  # the user at the source end
    assert heard(viewer)  # a viewer of the target
    assert not heard(bystander)  # a colleague may see the user node, yet hears nothing
