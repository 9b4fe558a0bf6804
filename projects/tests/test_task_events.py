"""Task edits and deletions announced to the project: ``task_updated`` and ``task_deleted``."""

import pytest

from conftest import bearer_client
from nexus_site.definitions.enums import EventType, MemberRole
from nexus_site.events.models import Event
from nexus_site.events.selectors import events_visible_to
from nexus_site.exceptions import AuthorizationError
from projects import services
from projects.models import Priority, TaskStatus
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations.nodes import node_of

pytestmark = pytest.mark.django_db


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(type=event_type).order_by("id"))


def event_types_seen_by(user) -> list[str]:
    response = bearer_client(user).get("/api/v1/events/", {"limit": 100})
    assert response.status_code == 200
    return [event["type"] for event in response.json()["results"]]


def test_task_update_publishes_task_updated_with_the_changed_field_names():
    project = ProjectFactory()
    member = add_member(project, MemberRole.MEMBER)
    task = TaskFactory(project=project, title="Draft")

    services.task_update(
        actor=project.owner,
        task=task,
        title="Final",
        assignee=member,
        priority=Priority.HIGH,
        description="Long text that stays out of the event",
    )

    (updated,) = events(EventType.TASK_UPDATED)
    assert updated.payload == {
        "task": str(task.pk),
        "project": str(project.pk),
        "title": "Final",
        "fields": ["assignee", "description", "priority", "title"],
        "assignee": str(member.pk),
        "previous_assignee": None,
    }
    assert updated.audience_node == str(node_of(project))
    assert updated.audience_users == [str(member.pk)]
    assert updated.actor_id == project.owner.pk


def test_a_change_of_assignee_names_the_new_one_or_none_and_the_previous_one():
    project = ProjectFactory()
    first, second = add_member(project), add_member(project)
    task = TaskFactory(project=project, assignee=first)

    services.task_update(actor=project.owner, task=task, assignee=second)
    services.task_update(actor=project.owner, task=task, assignee=None)

    taken, dropped = events(EventType.TASK_UPDATED)
    assert taken.payload["assignee"] == str(second.pk)
    assert taken.payload["previous_assignee"] == str(first.pk)
    assert dropped.payload["assignee"] is None
    assert dropped.payload["previous_assignee"] == str(second.pk)
    assert dropped.audience_users == []


def test_a_status_change_is_announced_as_task_updated_and_task_status_changed():
    task = TaskFactory()

    services.task_update(actor=task.project.owner, task=task, status=TaskStatus.IN_PROGRESS)

    (updated,) = events(EventType.TASK_UPDATED)
    assert updated.payload["fields"] == ["status"]
    assert len(events(EventType.TASK_STATUS_CHANGED)) == 1


def test_an_update_that_changes_nothing_publishes_no_task_updated():
    task = TaskFactory(title="Same")

    services.task_update(actor=task.project.owner, task=task, title="Same")

    assert not events(EventType.TASK_UPDATED)


def test_task_delete_publishes_task_deleted_to_the_project():
    task = TaskFactory(title="Gone")
    task_id, project = str(task.pk), task.project

    services.task_delete(actor=project.owner, task=task)

    (deleted,) = events(EventType.TASK_DELETED)
    assert deleted.payload == {"task": task_id, "project": str(project.pk), "title": "Gone"}
    assert deleted.audience_node == str(node_of(project))
    assert deleted in events_visible_to(project.owner)


def test_a_refused_update_or_delete_publishes_nothing(other_user):
    task = TaskFactory()
    viewer = add_member(task.project, MemberRole.GUEST)

    for write in (
        lambda: services.task_update(actor=viewer, task=task, title="Mine"),
        lambda: services.task_delete(actor=viewer, task=task),
    ):
        with pytest.raises(AuthorizationError):
            write()

    assert not events(EventType.TASK_UPDATED)
    assert not events(EventType.TASK_DELETED)


def test_members_read_edits_and_deletions_in_the_events_api_and_outsiders_never(other_user):
    project = ProjectFactory()
    member = add_member(project, MemberRole.MEMBER)
    task = TaskFactory(project=project)
    services.task_update(actor=project.owner, task=task, title="Renamed")
    services.task_delete(actor=project.owner, task=task)

    seen = event_types_seen_by(member)
    assert EventType.TASK_UPDATED in seen
    assert EventType.TASK_DELETED in seen
    outsider_sees = event_types_seen_by(other_user)
    assert EventType.TASK_UPDATED not in outsider_sees
    assert EventType.TASK_DELETED not in outsider_sees


def test_removing_a_member_announces_each_task_it_unassigns():
    project = ProjectFactory()
    member = add_member(project, MemberRole.MEMBER)
    theirs = [TaskFactory(project=project, assignee=member) for _ in range(2)]
    TaskFactory(project=project)  # nobody's: not announced

    services.project_member_remove(actor=project.owner, project=project, user=member)

    announced = events(EventType.TASK_UPDATED)
    assert sorted(event.payload["task"] for event in announced) == sorted(
        str(task.pk) for task in theirs
    )
    for event in announced:
        assert event.payload["fields"] == ["assignee"]
        assert event.payload["assignee"] is None
        assert event.payload["previous_assignee"] == str(member.pk)
        assert event.audience_node == str(node_of(project))
    assert len(events(EventType.PROJECT_MEMBER_REMOVED)) == 1
