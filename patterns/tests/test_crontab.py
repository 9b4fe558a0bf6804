"""patterns.crontab: the due minute of a crontab rule at or before a time (no database)."""

import datetime

import pytest
from celery.schedules import crontab

from patterns.crontab import due_at_or_before

UTC = datetime.UTC
SATURDAY_NOON = datetime.datetime(2026, 12, 5, 12, 0, 30, tzinfo=UTC)


def rule(expression: str) -> crontab:
    minute, hour, day_of_month, month_of_year, day_of_week = expression.split()
    return crontab(minute, hour, day_of_week, day_of_month, month_of_year)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("* * * * *", datetime.datetime(2026, 12, 5, 12, 0, tzinfo=UTC)),
        ("*/30 * * * *", datetime.datetime(2026, 12, 5, 12, 0, tzinfo=UTC)),
        ("45 * * * *", datetime.datetime(2026, 12, 5, 11, 45, tzinfo=UTC)),
        ("30 7 * * 1-5", datetime.datetime(2026, 12, 4, 7, 30, tzinfo=UTC)),
        ("0 0 1 * *", datetime.datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
        ("15 9 * 3 *", datetime.datetime(2026, 3, 31, 9, 15, tzinfo=UTC)),
        ("0 6 29 2 *", datetime.datetime(2024, 2, 29, 6, 0, tzinfo=UTC)),
        ("0 8 13 * 5", datetime.datetime(2026, 11, 13, 8, 0, tzinfo=UTC)),
    ],
)
def test_the_due_minute_is_the_latest_match_at_or_before_the_time(expression, expected):
    assert due_at_or_before(rule(expression), SATURDAY_NOON) == expected


def test_a_time_on_a_due_minute_is_its_own_due_minute():
    moment = datetime.datetime(2026, 12, 4, 7, 30, tzinfo=UTC)

    assert due_at_or_before(rule("30 7 * * 1-5"), moment) == moment


def test_a_rare_rule_is_found_years_back():
    # 29 February on a Monday: 2016, then 2044.
    assert due_at_or_before(rule("0 0 29 2 1"), SATURDAY_NOON) == datetime.datetime(
        2016, 2, 29, 0, 0, tzinfo=UTC
    )
