"""Notification e-mails: per-kind choice, bursts grouped, daily digest, one-click unsubscribe."""

import pytest
from django.core import mail
from django.test import Client

from accounts.notification_kinds import NotificationDelivery, NotificationKind
from accounts.selectors import notification_preference
from accounts.services import user_notification_preferences_set
from accounts.tests.factories import UserFactory
from comments.tests.factories import comment_on
from notifications import emails
from notifications.models import Notification
from projects.tests.factories import ProjectFactory, TaskFactory, add_member
from workspace.tests.mail.factories import write

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


@pytest.fixture
def task(user):
    return TaskFactory(project=ProjectFactory(owner=user), title="Launch plan")


@pytest.fixture
def member(task):
    return add_member(task.project, user=UserFactory(first_name="Mia"))


def choose(user, kind, delivery):
    user_notification_preferences_set(user=user, deliveries={kind: delivery})


def test_a_mention_is_e_mailed_at_once_with_a_link_and_unsubscribe_headers(
    committed, user, task, member
):
    mail.outbox.clear()
    committed(comment_on, task, user, f"Look @{member.email}")
    (message,) = [m for m in mail.outbox if m.to == [member.email]]
    assert "mentioned you" in message.subject
    assert "Launch plan" in message.subject
    assert f"/projects/tasks/{task.pk}/#comment-" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert Notification.objects.get(recipient=member).emailed_at is not None


def test_a_burst_of_mentions_opens_one_window_and_leaves_in_one_e_mail(
    committed, monkeypatch, user, task, member
):
    enqueued = []
    monkeypatch.setattr(emails, "enqueue", lambda *args: enqueued.append(args))
    for index in range(3):
        committed(comment_on, task, user, f"Point {index} for @{member.email}")
    assert enqueued == [(str(member.pk), NotificationKind.MENTION)]
    mail.outbox.clear()
    assert emails.send_immediate(str(member.pk), NotificationKind.MENTION) == 3
    (message,) = mail.outbox
    assert "(3)" in message.subject
    assert message.body.count("mentioned you") == 3
    assert emails.send_immediate(str(member.pk), NotificationKind.MENTION) == 0


def test_open_windows_are_read_in_one_go_and_only_new_ones_opened(monkeypatch):
    from django.core.cache import cache

    people = [UserFactory() for _ in range(5)]
    enqueued, added = [], []
    monkeypatch.setattr(emails, "enqueue", lambda *args: enqueued.append(args))
    add = cache.add

    def counting_add(key, *args, **kwargs):
        added.append(key)
        return add(key, *args, **kwargs)

    monkeypatch.setattr(cache, "add", counting_add)
    kind = NotificationKind.MENTION
    emails.schedule_immediate({kind: {person.pk for person in people[:3]}})
    assert sorted(enqueued) == sorted((str(person.pk), kind) for person in people[:3])
    enqueued.clear()
    added.clear()
    # The three windows are open: only the two newcomers cost an add, and only they enqueue.
    emails.schedule_immediate({kind: {person.pk for person in people}})
    assert sorted(added) == sorted(emails.marker(person.pk, kind) for person in people[3:])
    assert sorted(enqueued) == sorted((str(person.pk), kind) for person in people[3:])
    for person in people:
        cache.delete(emails.marker(person.pk, kind))


def test_never_sends_no_e_mail_but_still_notifies(committed, user, task, member):
    choose(member, NotificationKind.MENTION, NotificationDelivery.NEVER)
    mail.outbox.clear()
    committed(comment_on, task, user, f"Quiet @{member.email}")
    assert not [m for m in mail.outbox if m.to == [member.email]]
    assert Notification.objects.filter(recipient=member).count() == 1


def test_a_digest_kind_waits_for_the_daily_digest_and_leaves_once(committed, user, task, member):
    choose(member, NotificationKind.MENTION, NotificationDelivery.DAILY_DIGEST)
    committed(comment_on, task, user, f"Later @{member.email}")
    committed(comment_on, task, user, f"And @{member.email}")
    mail.outbox.clear()
    assert emails.send_daily_digests() == 1
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert "digest" in message.subject
    assert message.body.count("mentioned you") == 2
    assert emails.send_daily_digests() == 0


def test_a_read_notification_is_not_e_mailed_later(committed, user, task, member):
    choose(member, NotificationKind.MENTION, NotificationDelivery.DAILY_DIGEST)
    committed(comment_on, task, user, f"Seen @{member.email}")
    Notification.objects.update(read_at="2026-01-01T00:00:00Z")
    mail.outbox.clear()
    assert emails.send_daily_digests() == 0


def test_mail_received_is_not_e_mailed_again_by_notifications(committed, user):
    reader = UserFactory()
    choose(reader, NotificationKind.MAIL_RECEIVED, NotificationDelivery.IMMEDIATELY)
    mail.outbox.clear()
    committed(write, user, to=[reader], subject="Lunch")
    assert len([m for m in mail.outbox if m.to == [reader.email]]) == 1  # workspace.mail's own


def test_the_e_mail_is_written_in_the_recipients_language(committed, user, task):
    member = add_member(task.project, user=UserFactory(language="de"))
    mail.outbox.clear()
    committed(comment_on, task, user, f"Hallo @{member.email}")
    (message,) = [m for m in mail.outbox if m.to == [member.email]]
    assert "Jemand erwähnt mich" in message.body  # the kind, already in the catalogues
    assert "Someone mentions me" not in message.body


# --- unsubscribe -----------------------------------------------------------------------------


def unsubscribe_path(user, kinds) -> str:
    return emails.unsubscribe_url(user, kinds).removeprefix(emails.settings.SITE_URL)


def test_the_unsubscribe_link_asks_first_and_changes_nothing_on_get(client, member):
    response = client.get(unsubscribe_path(member, [NotificationKind.MENTION]))
    assert response.status_code == 200
    assert "Someone mentions me" in response.content.decode()
    member.refresh_from_db()
    assert notification_preference(member, NotificationKind.MENTION) == "immediately"


def test_one_click_unsubscribe_posts_without_a_session_or_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_path(member, [NotificationKind.MENTION]))
    assert response.status_code == 200
    member.refresh_from_db()
    assert notification_preference(member, NotificationKind.MENTION) == NotificationDelivery.NEVER
    assert notification_preference(member, NotificationKind.TASK_ASSIGNED) == "immediately"


def test_a_forged_unsubscribe_token_is_refused_and_changes_nothing(client, member):
    token = emails.unsubscribe_token(member, [NotificationKind.MENTION])
    response = client.post(f"/notifications/unsubscribe/{token[:-2]}xx/")
    assert response.status_code == 404
    member.refresh_from_db()
    assert notification_preference(member, NotificationKind.MENTION) == "immediately"


def test_an_unsubscribe_token_names_only_its_own_user(client, member, other_user):
    client.post(unsubscribe_path(member, [NotificationKind.MENTION]))
    other_user.refresh_from_db()
    assert notification_preference(other_user, NotificationKind.MENTION) == "immediately"
