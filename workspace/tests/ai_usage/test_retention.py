"""Raw AI interactions: purged past their keep time, in batches, never before their day is
rolled up."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nexus_site.retention import Sweep
from workspace.ai_usage import rollups
from workspace.ai_usage.models import AIInteraction
from workspace.ai_usage.retention import interactions_purge
from workspace.tests.ai_usage.factories import InteractionFactory

pytestmark = pytest.mark.django_db
DAY1 = datetime.datetime(2026, 1, 5, 12, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
NOW = DAY1 + 60 * DAY


def calls_on(days: range) -> None:
    for day in days:
        InteractionFactory(occurred_at=DAY1 + day * DAY)


def remaining_days() -> list[int]:
    return sorted(
        (moment - DAY1).days
        for moment in AIInteraction.objects.values_list("occurred_at", flat=True)
    )


def test_nothing_is_purged_before_the_first_roll_up(settings):
    settings.AI_USAGE_RETENTION_DAYS = 1
    calls_on(range(5))

    assert interactions_purge(Sweep(now=NOW)) == 0
    assert AIInteraction.objects.count() == 5


def test_days_not_rolled_up_stay_however_old(settings):
    settings.AI_USAGE_RETENTION_DAYS = 1
    calls_on(range(5))
    rollups.roll_up(now=DAY1 + 2 * DAY)  # days 0 and 1 rolled up

    assert interactions_purge(Sweep(now=NOW)) == 2
    assert remaining_days() == [2, 3, 4]


def test_rolled_up_days_inside_the_keep_time_stay(settings):
    settings.AI_USAGE_RETENTION_DAYS = 3
    calls_on(range(5))
    rollups.roll_up(now=DAY1 + 5 * DAY)

    assert interactions_purge(Sweep(now=DAY1 + 5 * DAY)) == 2
    assert remaining_days() == [2, 3, 4]


def test_zero_days_keeps_raw_interactions_forever(settings):
    settings.AI_USAGE_RETENTION_DAYS = 0
    calls_on(range(3))
    rollups.roll_up(now=NOW)

    assert interactions_purge(Sweep(now=NOW)) == 0
    assert AIInteraction.objects.count() == 3


def test_raw_interactions_go_in_bounded_batches(settings):
    settings.AI_USAGE_RETENTION_DAYS = 1
    settings.RETENTION_BATCH_SIZE = 2
    calls_on(range(5))
    rollups.roll_up(now=NOW)
    table = AIInteraction._meta.db_table

    with CaptureQueriesContext(connection) as queries:
        deleted = interactions_purge(Sweep(now=NOW))

    statements = [
        query["sql"] for query in queries if query["sql"].startswith(f'DELETE FROM "{table}"')
    ]
    assert deleted == 5
    assert len(statements) == 3
    assert all(statement.split(" IN (")[1].count(",") < 2 for statement in statements)
    assert not AIInteraction.objects.exists()
