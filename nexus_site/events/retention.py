"""Events retention: purge events older than ``EVENTS_RETENTION_DAYS``, but never one that a
cursor still has to read.

A reader that follows the outbox with a cursor (notifications' catch-up sweep; pattern
triggers and webhooks) registers a floor at start, in its ``AppConfig.ready``::

    from nexus_site.events.retention import after_cursor, register_retention_floor

    register_retention_floor(
        "notifications", after_cursor(DerivationCursor.objects, "last_event_id")
    )

A floor is a callable returning the lowest event id its reader still needs (or None when it
needs none). The purge deletes only events below the lowest floor, so an event at or above
any floor stays whatever its age. ``after_cursor`` builds a floor from cursor rows storing the
last id read: the lowest of them plus one (None without rows).
"""

from collections.abc import Callable

from django.db.models import Min, QuerySet

from nexus_site.events.models import Event
from nexus_site.retention import Sweep, delete_in_batches, keep_days

Floor = Callable[[], int | None]

# Configuration set once per process at start (AppConfig.ready), never shared state.
_floors: dict[str, Floor] = {}


def register_retention_floor(name: str, floor: Floor) -> None:
    """Keep every event whose id is at or above what ``floor()`` returns (None: no limit)."""
    _floors[name] = floor


def after_cursor(cursors: QuerySet, field: str) -> Floor:
    """Return a floor just after the lowest ``field`` (a last event id read) of ``cursors``."""

    def floor() -> int | None:
        lowest = cursors.all().aggregate(lowest=Min(field))["lowest"]
        return None if lowest is None else lowest + 1

    floor.__qualname__ = f"after_cursor[{cursors.model._meta.label}.{field}]"
    return floor


def retention_floor() -> int | None:
    """Return the lowest event id any registered reader still needs (None: none needed)."""
    floors = [value for value in (floor() for floor in _floors.values()) if value is not None]
    return min(floors) if floors else None


def events_purge(sweep: Sweep) -> int:
    """Delete the events (and their audience rows) older than the keep time and below every
    cursor's floor, in batches; return how many events went."""
    cutoff = sweep.cutoff(keep_days("EVENTS_RETENTION_DAYS"))
    if cutoff is None:
        return 0
    old = Event.objects.filter(created_at__lt=cutoff)
    floor = retention_floor()
    if floor is not None:
        old = old.filter(id__lt=floor)
    return delete_in_batches(old, sweep)
