"""Crontab arithmetic beat does not offer: the due minute at or before a given time.

Pure: takes a celery ``crontab`` (its fields expanded to sets of numbers) and a time, returns a
time. A schedule's run for one tick is keyed by this minute, so every message sent for the same
tick (a second beat, a redelivery) finds the same run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from celery.schedules import crontab

# Far enough back for any expression that matches at all (29 February comes every 4 years,
# and a weekday rule can push it to 28 years); a search past it means the rule never matches.
MAX_YEARS_BACK = 30


def due_at_or_before(rule: crontab, moment: datetime) -> datetime | None:
    """Return the latest minute at or before ``moment`` that ``rule`` matches (None if none).

    ``moment`` is read in its own time zone; the answer keeps it, seconds zeroed. Days match
    when both the day of the month and the weekday (0 is Sunday) are in the rule, as celery's
    own ``crontab`` reckons.
    """
    current = moment.replace(second=0, microsecond=0)
    earliest = current.replace(year=current.year - MAX_YEARS_BACK, month=1, day=1)
    while current >= earliest:
        if current.month not in rule.month_of_year:
            current = current.replace(day=1, hour=23, minute=59) - timedelta(days=1)
        elif (
            current.day not in rule.day_of_month or current.isoweekday() % 7 not in rule.day_of_week
        ):
            current = current.replace(hour=23, minute=59) - timedelta(days=1)
        elif current.hour not in rule.hour:
            current = current.replace(minute=59) - timedelta(hours=1)
        elif current.minute not in rule.minute:
            current -= timedelta(minutes=1)
        else:
            return current
    return None
