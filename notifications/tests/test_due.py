"""Tasks due tomorrow or overdue: announced once per task and day, to the assignee only."""

import datetime

import pytest

from accounts.notification_kinds import NotificationKind
from notifications.due import announce_due_tasks
from notifications.models import Action, Notification
from projects.models import TaskStatus
from projects.tests.factories import ProjectFactory, TaskFactory, add_member

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 5)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


@pytest.fixture
def project(user):
    return ProjectFactory(owner=user)


def due_task(project, assignee, days: int, **fields):
    return TaskFactory(
        project=project, assignee=assignee, due_date=TODAY + datetime.timedelta(days=days), **fields
    )


def test_a_task_due_tomorrow_and_an_overdue_one_tell_their_assignee(committed, user, project):
    member = add_member(project)
    tomorrow = due_task(project, member, 1, title="Tomorrow")
    late = due_task(project, member, -3, title="Late")
    assert committed(announce_due_tasks, TODAY) == 2
    told = {row.node_id: row for row in Notification.objects.filter(recipient=member)}
    assert told[tomorrow.pk].kind == NotificationKind.TASK_DUE
    assert told[tomorrow.pk].action == Action.DUE_TOMORROW
    assert told[late.pk].action == Action.OVERDUE
    assert not Notification.objects.filter(recipient=user).exists()


def test_a_second_run_the_same_day_announces_nothing(committed, project):
    member = add_member(project)
    due_task(project, member, 1)
    committed(announce_due_tasks, TODAY)
    assert committed(announce_due_tasks, TODAY) == 0
    assert Notification.objects.filter(recipient=member).count() == 1


def test_the_next_day_an_overdue_task_is_announced_again(committed, project):
    member = add_member(project)
    due_task(project, member, -1)
    committed(announce_due_tasks, TODAY)
    committed(announce_due_tasks, TODAY + datetime.timedelta(days=1))
    assert Notification.objects.filter(recipient=member).count() == 2


def test_done_unassigned_and_later_tasks_are_not_announced(committed, user, project):
    member = add_member(project)
    due_task(project, member, 1, status=TaskStatus.DONE)
    due_task(project, None, 1)
    due_task(project, member, 2)
    assert committed(announce_due_tasks, TODAY) == 0
