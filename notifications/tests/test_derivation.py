"""Notifications derived from committed events: who hears of what, and who never does.

Each test acts through the real services inside ``django_capture_on_commit_callbacks``, so the
events' committed listener runs and enqueues the derivation (eager Celery here), as in
production after commit.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.notification_kinds import NotificationKind
from accounts.tests.factories import UserFactory
from comments.tests.factories import comment_on
from nexus_site.definitions.enums import EventType, RelationType, Role
from nexus_site.events import listeners
from nexus_site.events.models import Event
from nexus_site.events.services import publish
from notifications.derivation import NOTIFICATION_EVENT, Notice, derive, notify
from notifications.models import Action, Notification
from projects import services as projects
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from relations.nodes import node_of
from relations.services import relationship_create
from workspace.tests.chat.factories import make_room, post
from workspace.tests.documents.factories import DocumentFactory, share
from workspace.tests.files.factories import upload_file
from workspace.tests.mail.factories import copy_of, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block, then its on-commit callbacks (and theirs), as a commit would."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def notices(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("created_at"))


@pytest.fixture
def project(user):
    return ProjectFactory(owner=user)


# --- task assigned ---------------------------------------------------------------------------


def test_a_task_created_for_a_member_tells_the_member(committed, user, project):
    member = add_member(project)
    task = committed(
        projects.task_create, actor=user, project=project, title="Fix", assignee=member
    )
    (notification,) = notices(member)
    assert notification.kind == NotificationKind.TASK_ASSIGNED
    assert notification.action == Action.ASSIGNED
    assert (notification.node_label, notification.node_id) == ("projects.task", task.pk)
    assert notification.title == "Fix"
    assert notification.url == f"/projects/tasks/{task.pk}/"
    assert notification.actor_id == user.pk
    assert notification.read_at is None


def test_a_task_reassigned_tells_the_new_assignee_and_the_previous_one(committed, user, project):
    first, second = add_member(project), add_member(project)
    task = TaskFactory(project=project, assignee=first, title="Handover")
    committed(projects.task_update, actor=user, task=task, assignee=second)
    (notification,) = notices(second)
    assert notification.action == Action.ASSIGNED
    assert notification.title == "Handover"
    (taken,) = notices(first)
    assert taken.action == Action.UNASSIGNED


def test_a_task_unassigned_tells_the_previous_assignee_only(committed, user, project):
    member = add_member(project)
    task = TaskFactory(project=project, assignee=member, title="Handover")
    committed(projects.task_update, actor=user, task=task, assignee=None)
    (taken,) = notices(member)
    assert taken.action == Action.UNASSIGNED
    assert not notices(user)


def test_a_task_updated_naming_the_previous_assignee_tells_them_it_was_taken(
    committed, user, project
):
    first = add_member(project)
    task = TaskFactory(project=project, title="Handover")
    payload = {"task": str(task.pk), "title": task.title, "fields": ["assignee"]}
    payload |= {"assignee": None, "previous_assignee": str(first.pk)}
    committed(publish, "task_updated", payload, actor=user)
    (notification,) = notices(first)
    assert notification.action == Action.UNASSIGNED


def test_a_task_edit_that_keeps_the_assignee_tells_nobody(committed, user, project):
    member = add_member(project)
    task = TaskFactory(project=project, assignee=member)
    committed(projects.task_update, actor=user, task=task, title="Renamed")
    assert not notices(member)


def test_a_task_i_assign_to_myself_tells_nobody(committed, user, project):
    committed(projects.task_create, actor=user, project=project, title="Mine", assignee=user)
    assert not Notification.objects.exists()


def test_a_task_without_assignee_tells_nobody(committed, user, project):
    add_member(project)
    committed(projects.task_create, actor=user, project=project, title="Open")
    assert not Notification.objects.exists()


# --- mentions --------------------------------------------------------------------------------


def test_a_comment_mention_tells_the_mentioned_with_a_link_to_the_comment(committed, user, project):
    member = add_member(project)
    task = TaskFactory(project=project, title="Plan")
    comment = committed(comment_on, task, user, f"Look @{member.email}")
    (notification,) = notices(member)
    assert notification.kind == NotificationKind.MENTION
    assert notification.title == "Plan"
    assert notification.url == f"/projects/tasks/{task.pk}/#comment-{comment.pk}"
    assert not notices(user)


def test_a_mention_of_someone_who_cannot_see_the_object_tells_nobody(committed, user, project):
    outsider = UserFactory()
    task = TaskFactory(project=project)
    committed(
        publish,
        EventType.MENTION,
        {"task": str(task.pk), "comment": None, "title": task.title},
        user_ids=[outsider.pk],
        actor=user,
    )
    assert not notices(outsider)


def test_a_deactivated_member_is_not_told(committed, user, project):
    member = add_member(project)
    member.is_active = False
    member.save(update_fields=["is_active"])
    task = TaskFactory(project=project)
    committed(
        publish,
        EventType.MENTION,
        {"task": str(task.pk), "title": task.title},
        user_ids=[member.pk],
        actor=user,
    )
    assert not notices(member)


def test_an_administrator_mentioned_hears_of_it_without_a_grant(committed, user, project):
    admin = UserFactory(role=Role.ADMIN)
    task = TaskFactory(project=project)
    committed(
        publish,
        EventType.MENTION,
        {"task": str(task.pk), "title": task.title},
        user_ids=[admin.pk],
        actor=user,
    )
    assert len(notices(admin)) == 1


def test_a_chat_mention_tells_the_mentioned_member_with_the_room_name(committed, user):
    member = UserFactory()
    room = make_room(user, name="Design", members=[member])
    committed(post, user, room, f"hi @{member.email}")
    (notification,) = notices(member)
    assert notification.kind == NotificationKind.MENTION
    assert (notification.node_label, notification.title) == ("workspace.room", "Design")
    assert notification.url == f"/chat/{room.pk}/"


# --- shares ----------------------------------------------------------------------------------


def test_a_document_shared_with_me_tells_me_and_not_its_owner(committed, user):
    reader = UserFactory()
    document = DocumentFactory(owner=user, title="Budget")
    committed(share, document, reader)
    (notification,) = notices(reader)
    assert notification.kind == NotificationKind.SHARED_WITH_ME
    assert (notification.node_label, notification.node_id) == ("workspace.document", document.pk)
    assert notification.title == "Budget"
    assert not notices(user)


def test_a_file_shared_with_me_tells_me_with_its_name(committed, user):
    reader = UserFactory()
    file = upload_file(user, name="report.pdf")
    committed(
        relationship_create,
        actor=user,
        source=node_of(reader),
        target=node_of(file),
        type=RelationType.MEMBER,
        metadata={"permission": "view"},
    )
    (notification,) = notices(reader)
    assert notification.kind == NotificationKind.SHARED_WITH_ME
    assert (notification.node_label, notification.title) == ("workspace.file", "report.pdf")
    assert notification.url == f"/files/{file.pk}/"
    assert not notices(user)


# --- mail ------------------------------------------------------------------------------------


def test_mail_received_tells_each_recipient_with_a_link_to_their_copy(committed, user):
    reader = UserFactory()
    sent = committed(write, user, to=[reader], subject="Lunch")
    (notification,) = notices(reader)
    mine = copy_of(reader, sent)
    assert notification.kind == NotificationKind.MAIL_RECEIVED
    assert notification.title == "Lunch"
    assert notification.url == f"/mail/{mine.pk}/"
    assert not notices(user)


# --- membership ------------------------------------------------------------------------------


def test_being_added_to_a_project_tells_the_member(committed, user, project):
    member = UserFactory()
    committed(add_member, project, user=member)
    (notification,) = notices(member)
    assert notification.kind == NotificationKind.PROJECT_MEMBERSHIP
    assert notification.action == Action.MEMBER_ADDED
    assert notification.title == project.name
    assert notification.url == f"/projects/{project.pk}/"


def test_being_removed_from_a_project_tells_the_member_without_a_link(committed, user, project):
    member = add_member(project)
    committed(projects.project_member_remove, actor=user, project=project, user=member)
    (notification,) = notices(member)
    assert notification.action == Action.MEMBER_REMOVED
    assert notification.url == ""


def test_leaving_a_project_myself_tells_nobody(committed, user, project):
    member = add_member(project)
    committed(projects.project_member_remove, actor=member, project=project, user=member)
    assert not Notification.objects.exists()


# --- pattern runs ----------------------------------------------------------------------------


def test_a_failed_run_tells_its_starter_even_though_they_started_it(committed, user):
    committed(
        publish,
        EventType.PATTERN_FAILED,
        {"pattern": "kickoff", "execution": "0193a1b2-0000-7000-8000-000000000001"},
        user_ids=[user.pk],
        actor=user,
    )
    (notification,) = notices(user)
    assert notification.kind == NotificationKind.PATTERN_RUN_FAILED
    assert notification.title == "kickoff"


# --- AI budgets ------------------------------------------------------------------------------


def test_a_used_up_project_budget_tells_its_managers_who_may_see_it(committed, user, project):
    gone = UserFactory()  # named by the publisher, but no longer on the project
    payload = {"budget": "0193a1b2-0000-7000-8000-000000000002", "project": str(project.pk)}
    payload |= {"month": "2026-12", "spent": "12.00", "amount": "10.00", "currency": "EUR"}
    committed(publish, EventType.AI_BUDGET_EXCEEDED, payload, user_ids=[user.pk, gone.pk])
    (notification,) = notices(user)
    assert notification.kind == NotificationKind.AI_BUDGET
    assert notification.title == f"{project.name} · 2026-12: 12.00 / 10.00 EUR"
    assert notification.url == "/ai/"
    assert not notices(gone)


def test_a_used_up_personal_budget_tells_its_person(committed, user):
    payload = {"budget": "0193a1b2-0000-7000-8000-000000000003", "project": None}
    payload |= {"month": "2026-12", "spent": "5", "amount": "5", "currency": "USD"}
    committed(publish, EventType.AI_BUDGET_EXCEEDED, payload, user_ids=[user.pk])
    (notification,) = notices(user)
    assert notification.action == Action.BUDGET_EXCEEDED


# --- idempotence, volume, live ---------------------------------------------------------------


def test_an_event_derived_twice_notifies_once(committed, user, project):
    member = add_member(project)
    committed(projects.task_create, actor=user, project=project, title="Once", assignee=member)
    event = Event.objects.get(type=EventType.TASK_CREATED)
    assert derive(event) == 0
    assert len(notices(member)) == 1


def test_the_fan_out_to_200_members_is_one_statement(user, project):
    members = [add_member(project) for _ in range(200)]
    outsider = UserFactory()
    task = TaskFactory(project=project)
    event = publish(EventType.TASK_CREATED, {"task": str(task.pk)}, actor=user)
    notice = Notice(
        kind=NotificationKind.TASK_ASSIGNED,
        action=Action.ASSIGNED,
        recipients=tuple(str(person.pk) for person in [*members, outsider, user]),
        label="projects.task",
        object_id=str(task.pk),
        title=task.title,
    )
    with CaptureQueriesContext(connection) as queries:
        inserted = notify(event, notice)
    inserts = [q["sql"] for q in queries if "INSERT" in q["sql"].upper()]
    assert len(inserts) == 1
    assert "INSERT INTO notifications_notification" in inserts[0]
    assert len(inserted) == 200
    assert Notification.objects.filter(recipient__in=members).count() == 200
    assert not notices(outsider)  # cannot see the task
    assert not notices(user)  # the actor


def test_each_new_notification_is_announced_live_to_its_recipient_only(committed, user, project):
    member = add_member(project)
    committed(projects.task_create, actor=user, project=project, title="Live", assignee=member)
    (told,) = Event.objects.filter(type=NOTIFICATION_EVENT)
    (notification,) = notices(member)
    assert told.audience_users == [str(member.pk)]
    assert told.payload["notification"] == str(notification.pk)
    assert told.payload["url"] == notification.url
    assert told.payload["recipient"] == str(member.pk)


def test_only_events_that_may_notify_enqueue_a_derivation(
    django_capture_on_commit_callbacks, monkeypatch, user, project
):
    enqueued = []
    listener = listeners._listeners["notifications"]
    monkeypatch.setitem(
        listeners._listeners, "notifications", (listener[0], listener[1], enqueued.append)
    )
    task = TaskFactory(project=project)
    with django_capture_on_commit_callbacks(execute=True):
        projects.task_update(actor=user, task=task, title="Renamed")
        projects.task_create(actor=user, project=project, title="Nobody's")
    assert enqueued == []
    member = add_member(project)
    with django_capture_on_commit_callbacks(execute=True):
        projects.task_update(actor=user, task=task, assignee=member)
    assert len(enqueued) == 1


def test_a_node_of_the_recipient_is_parsed_from_the_notification(user, project):
    notification = Notification(node_label="projects.project", node_id=project.pk)
    assert notification.node == str(node_of(project))
