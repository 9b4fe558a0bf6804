"""Which committed events reach which subscriptions: type, scope through the graph, the owner's
access (also lost access), and exactly once however often an event is processed. Events are
published by the real services and carried by the committed listener (Celery eager here) to a
real receiver on loopback."""

import json

import pytest

from nexus_site.definitions.enums import MemberRole, RelationType
from nexus_site.events.models import Event
from projects import services as projects
from projects.tests.factories import ProjectFactory, add_member
from relations.nodes import node_of
from relations.services import relationship_record
from webhooks import matching
from webhooks.models import DeliveryStatus, WebhookDelivery
from webhooks.sweep import catch_up
from webhooks.tasks import fan_out
from webhooks.tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def create_task(actor, project, title="Task", capture=None):
    with capture(execute=True):
        return projects.task_create(actor=actor, project=project, title=title)


def delivered_titles(receiver) -> list[str]:
    return [json.loads(r.body)["data"].get("title") for r in receiver.requests]


def test_an_event_of_a_subscribed_type_is_delivered(
    receiver, eager, django_capture_on_commit_callbacks
):
    project = ProjectFactory()
    SubscriptionFactory(owner=project.owner, url=receiver.url, event_types=["task_created"])
    create_task(project.owner, project, "Wire it", django_capture_on_commit_callbacks)
    assert delivered_titles(receiver) == ["Wire it"]
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "task_created"
    assert body["node"] == str(node_of(project))
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_an_event_of_another_type_is_not(receiver, eager, django_capture_on_commit_callbacks):
    project = ProjectFactory()
    SubscriptionFactory(owner=project.owner, url=receiver.url, event_types=["document_created"])
    create_task(project.owner, project, "Quiet", django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_scope_delivers_events_under_the_project_and_not_outside(
    receiver, eager, django_capture_on_commit_callbacks
):
    owner_project = ProjectFactory(name="Apollo")
    owner = owner_project.owner
    sub_project = ProjectFactory(owner=owner, name="Apollo lander")
    relationship_record(
        source=node_of(owner_project), target=node_of(sub_project), type=RelationType.PARENT
    )
    elsewhere = ProjectFactory(owner=owner, name="Gemini")
    SubscriptionFactory(
        owner=owner,
        url=receiver.url,
        event_types=["task_created"],
        scope=str(node_of(owner_project)),
    )
    capture = django_capture_on_commit_callbacks
    create_task(owner, owner_project, "In Apollo", capture)
    create_task(owner, sub_project, "In the lander", capture)
    create_task(owner, elsewhere, "In Gemini", capture)
    assert delivered_titles(receiver) == ["In Apollo", "In the lander"]


def test_a_scope_without_descendants_takes_only_the_node(
    receiver, eager, django_capture_on_commit_callbacks
):
    parent = ProjectFactory()
    child = ProjectFactory(owner=parent.owner)
    relationship_record(source=node_of(parent), target=node_of(child), type=RelationType.PARENT)
    SubscriptionFactory(
        owner=parent.owner,
        url=receiver.url,
        event_types=["task_created"],
        scope=str(node_of(parent)),
        with_descendants=False,
    )
    create_task(parent.owner, parent, "Here", django_capture_on_commit_callbacks)
    create_task(parent.owner, child, "Below", django_capture_on_commit_callbacks)
    assert delivered_titles(receiver) == ["Here"]


def test_a_task_scope_matches_events_naming_that_task(
    receiver, eager, django_capture_on_commit_callbacks
):
    project = ProjectFactory()
    owner = project.owner
    capture = django_capture_on_commit_callbacks
    watched = create_task(owner, project, "Watched", capture)
    other = create_task(owner, project, "Other", capture)
    SubscriptionFactory(
        owner=owner, url=receiver.url, event_types=["task_updated"], scope=str(node_of(watched))
    )
    with capture(execute=True):
        projects.task_update(actor=owner, task=watched, description="changed")
    with capture(execute=True):
        projects.task_update(actor=owner, task=other, description="changed")
    assert [json.loads(r.body)["data"]["task"] for r in receiver.requests] == [str(watched.pk)]


def test_events_the_owner_may_not_see_are_not_delivered(
    receiver, eager, django_capture_on_commit_callbacks
):
    theirs = ProjectFactory()
    outsider = ProjectFactory().owner
    SubscriptionFactory(owner=outsider, url=receiver.url, event_types=["task_created"])
    create_task(theirs.owner, theirs, "Private", django_capture_on_commit_callbacks)
    assert receiver.requests == []


def test_an_owner_who_loses_access_gets_nothing_more(
    receiver, eager, django_capture_on_commit_callbacks
):
    project = ProjectFactory()
    member = add_member(project, role=MemberRole.MEMBER)
    SubscriptionFactory(
        owner=member, url=receiver.url, event_types=["task_created"], scope=str(node_of(project))
    )
    capture = django_capture_on_commit_callbacks
    create_task(project.owner, project, "Before", capture)
    with capture(execute=True):
        projects.project_member_remove(actor=project.owner, project=project, user=member)
    create_task(project.owner, project, "After", capture)
    assert delivered_titles(receiver) == ["Before"]


def test_an_inactive_owner_gets_nothing(receiver, eager, django_capture_on_commit_callbacks):
    project = ProjectFactory()
    member = add_member(project)
    SubscriptionFactory(owner=member, url=receiver.url, event_types=["task_created"])
    member.is_active = False
    member.save(update_fields=["is_active"])
    create_task(project.owner, project, "Unheard", django_capture_on_commit_callbacks)
    assert receiver.requests == []


def test_an_event_processed_twice_is_delivered_once(
    receiver, eager, django_capture_on_commit_callbacks
):
    project = ProjectFactory()
    SubscriptionFactory(owner=project.owner, url=receiver.url, event_types=["task_created"])
    create_task(project.owner, project, "Once", django_capture_on_commit_callbacks)
    event_id = Event.objects.get(type="task_created").pk
    assert fan_out([event_id]) == 0
    assert fan_out([event_id, event_id]) == 0
    assert matching.deliveries_create([event_id]) == []
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_two_subscriptions_each_get_the_event_once(
    receiver, eager, django_capture_on_commit_callbacks
):
    project = ProjectFactory()
    member = add_member(project)
    SubscriptionFactory(owner=project.owner, url=receiver.url, event_types=["task_created"])
    SubscriptionFactory(owner=member, url=receiver.url, event_types=["task_created"])
    create_task(project.owner, project, "Both", django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 2
    assert len({r.headers["x-nexus-delivery"] for r in receiver.requests}) == 2


def test_the_catch_up_delivers_an_event_the_listener_missed(receiver, eager):
    """The listener never ran (no on_commit here): the sweep reads the outbox after its cursor."""
    import datetime

    from django.utils import timezone

    project = ProjectFactory()
    SubscriptionFactory(owner=project.owner, url=receiver.url, event_types=["task_created"])
    now = timezone.now()
    assert catch_up(now) == []  # the first sweep starts at the end of the outbox
    projects.task_create(actor=project.owner, project=project, title="Missed")
    later = now + datetime.timedelta(minutes=5)
    pending = catch_up(later)
    assert len(pending) == 1
    assert catch_up(later) == []  # the cursor moved on
    assert WebhookDelivery.objects.get().event_type == "task_created"


def test_the_listener_skips_types_nobody_subscribed_to():
    event = Event(type="task_created", payload={})
    matching.forget_subscribed_types()
    assert not matching.worth_fanning_out(event)
