"""The catch-up sweep derives what the committed listener missed, once."""

import datetime

import pytest
from django.utils import timezone

from accounts.notification_kinds import NotificationKind
from notifications.catch_up import CURSOR, catch_up
from notifications.models import DerivationCursor, Notification
from projects import services as projects
from projects.tests.factories import ProjectFactory, add_member

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(minutes=5)


@pytest.fixture
def project(user):
    return ProjectFactory(owner=user)


def test_the_first_sweep_starts_at_the_end_of_the_outbox(user, project):
    member = add_member(project)  # on_commit never runs here: the listener's turn is missed
    assert catch_up(timezone.now() + LATER) == 0
    assert not Notification.objects.filter(recipient=member).exists()
    assert DerivationCursor.objects.get(name=CURSOR).last_event_id > 0


def test_a_sweep_derives_missed_events_once_and_moves_its_cursor(user, project):
    DerivationCursor.objects.create(name=CURSOR, last_event_id=0)
    member = add_member(project)
    projects.task_create(actor=user, project=project, title="Missed", assignee=member)
    assert catch_up(timezone.now() + LATER) > 0
    kinds = sorted(Notification.objects.filter(recipient=member).values_list("kind", flat=True))
    assert kinds == [NotificationKind.PROJECT_MEMBERSHIP, NotificationKind.TASK_ASSIGNED]
    assert catch_up(timezone.now() + LATER) == 0
    assert Notification.objects.filter(recipient=member).count() == 2


def test_a_sweep_leaves_recent_events_to_the_listener(user, project):
    DerivationCursor.objects.create(name=CURSOR, last_event_id=0)
    member = add_member(project)
    assert catch_up(timezone.now()) == 0
    assert not Notification.objects.filter(recipient=member).exists()
