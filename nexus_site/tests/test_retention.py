"""Retention: batched deletes, the purger registry, events kept for their cursors, expired
refresh tokens."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.authentication import VersionedRefreshToken
from nexus_site import retention
from nexus_site.events import retention as events_retention
from nexus_site.events.models import Event, EventAudience
from nexus_site.events.services import publish
from nexus_site.tasks import purge_expired
from notifications.models import DerivationCursor

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def deletes_of(queries, table: str) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if query["sql"].startswith("DELETE") and f'"{table}"' in query["sql"].split("WHERE")[0]
    ]


def old_events(count: int, user, *, age=40 * DAY) -> list[Event]:
    events = [publish("task_created", {"n": n}, user_ids=[user.pk]) for n in range(count)]
    Event.objects.filter(pk__in=[event.pk for event in events]).update(created_at=NOW - age)
    return events


# --- delete_in_batches ---------------------------------------------------------------------


def test_each_delete_statement_is_bounded_by_the_batch_size(user, settings):
    settings.RETENTION_BATCH_SIZE = 2
    events = old_events(5, user)

    with CaptureQueriesContext(connection) as queries:
        deleted = events_retention.events_purge(retention.Sweep(now=NOW))

    statements = deletes_of(queries, Event._meta.db_table)
    assert deleted == 5
    assert len(statements) == 3
    for statement in statements:
        in_list = statement.split(" IN (")[1]
        assert in_list.count(",") + 1 <= 2
    assert not Event.objects.filter(pk__in=[event.pk for event in events]).exists()
    assert not EventAudience.objects.exists()


def test_a_sweep_out_of_time_deletes_nothing_more(user):
    old_events(3, user)
    sweep = retention.Sweep(now=NOW, deadline=0)

    assert events_retention.events_purge(sweep) == 0
    assert Event.objects.count() == 3


# --- events --------------------------------------------------------------------------------


def test_events_older_than_the_keep_time_go_and_recent_ones_stay(user, settings):
    settings.EVENTS_RETENTION_DAYS = 30
    old = old_events(2, user, age=31 * DAY)
    recent = old_events(2, user, age=29 * DAY)

    assert events_retention.events_purge(retention.Sweep(now=NOW)) == 2

    assert sorted(Event.objects.values_list("pk", flat=True)) == [event.pk for event in recent]
    assert not EventAudience.objects.filter(event_id__in=[event.pk for event in old]).exists()


def test_events_at_or_after_a_cursor_floor_stay_whatever_their_age(user, settings):
    settings.EVENTS_RETENTION_DAYS = 1
    events = old_events(5, user)
    DerivationCursor.objects.create(name="events", last_event_id=events[1].pk)  # read 0 and 1

    assert events_retention.retention_floor() == events[2].pk
    assert events_retention.events_purge(retention.Sweep(now=NOW)) == 2

    assert list(Event.objects.values_list("pk", flat=True)) == [event.pk for event in events[2:]]


def test_the_lowest_floor_wins(user, settings):
    settings.EVENTS_RETENTION_DAYS = 1
    events = old_events(4, user)
    DerivationCursor.objects.create(name="events", last_event_id=events[2].pk)
    events_retention.register_retention_floor("test-reader", lambda: events[1].pk)
    try:
        events_retention.events_purge(retention.Sweep(now=NOW))
    finally:
        events_retention._floors.pop("test-reader")

    assert list(Event.objects.values_list("pk", flat=True)) == [event.pk for event in events[1:]]


def test_a_reader_without_a_cursor_holds_nothing_back(user, settings):
    settings.EVENTS_RETENTION_DAYS = 1
    old_events(2, user)

    assert events_retention.retention_floor() is None
    assert events_retention.events_purge(retention.Sweep(now=NOW)) == 2


def test_zero_days_keeps_events_forever(user, settings):
    settings.EVENTS_RETENTION_DAYS = 0
    old_events(2, user, age=3650 * DAY)

    assert events_retention.events_purge(retention.Sweep(now=NOW)) == 0
    assert Event.objects.count() == 2


# --- tokens --------------------------------------------------------------------------------


def test_expired_tokens_and_their_blacklist_entries_go_in_batches(user, settings):
    settings.RETENTION_BATCH_SIZE = 2
    expired = [VersionedRefreshToken.for_user(user) for _ in range(3)]
    expired[0].blacklist()
    OutstandingToken.objects.filter(jti__in=[token["jti"] for token in expired]).update(
        expires_at=timezone.now() - DAY
    )
    live = VersionedRefreshToken.for_user(user)
    live.blacklist()

    with CaptureQueriesContext(connection) as queries:
        deleted = retention.expired_tokens_purge(retention.Sweep())

    assert deleted == 3
    assert len(deletes_of(queries, OutstandingToken._meta.db_table)) == 2
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
    assert list(BlacklistedToken.objects.values_list("token__jti", flat=True)) == [live["jti"]]


# --- the sweep -----------------------------------------------------------------------------


def test_every_app_registers_its_purger():
    assert {"tokens", "events", "ai_interactions", "public_links"} <= set(retention.purgers())
    assert "notifications" in events_retention._floors


def test_a_failing_purger_does_not_stop_the_others(user, settings):
    settings.EVENTS_RETENTION_DAYS = 1
    old_events(1, user)

    def broken(sweep):
        raise RuntimeError("boom")

    retention._purgers = {"broken": broken, **retention._purgers}
    try:
        counts = retention.purge_expired(now=NOW)
    finally:
        retention._purgers.pop("broken")

    assert "broken" not in counts
    assert counts["events"] == 1


def test_the_purge_task_is_on_the_beat_schedule(settings):
    scheduled = settings.CELERY_BEAT_SCHEDULE["purge-expired-data"]["task"]

    assert purge_expired.name == scheduled
    assert set(purge_expired.apply().get()) == set(retention.purgers())
