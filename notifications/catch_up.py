"""The safety net behind the committed listener: derive the events it missed.

The listener enqueues a derivation after each commit; an event whose task never reached the
broker (an outage at that instant, a process killed between commit and enqueue) would be left
underived. A beat task reads the outbox from a stored cursor, the events of the derived types
older than ``LAG`` (the listener's turn has passed), and derives them; the unique
(recipient, event) constraint makes an event derived twice notify once, and only the rows
actually inserted are announced and e-mailed. The cursor row is locked while it runs, so two
sweeps never overlap. A first sweep starts at the end of the outbox: the history before the
app existed is not notified.
"""

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from nexus_site.events.models import Event
from notifications.derivation import DERIVED_TYPES, derive
from notifications.models import DerivationCursor

CURSOR = "events"
LAG = datetime.timedelta(seconds=30)
BATCH = 500


def catch_up(now: datetime.datetime | None = None) -> int:
    """Derive up to ``BATCH`` events after the cursor; return how many were read."""
    settled = (now or timezone.now()) - LAG
    with transaction.atomic():
        cursor = DerivationCursor.objects.select_for_update().filter(name=CURSOR).first()
        if cursor is None:
            end = Event.objects.filter(created_at__lt=settled).aggregate(end=Max("id"))["end"]
            DerivationCursor.objects.create(name=CURSOR, last_event_id=end or 0)
            return 0
        events = list(
            Event.objects.filter(
                id__gt=cursor.last_event_id, type__in=sorted(DERIVED_TYPES), created_at__lt=settled
            ).order_by("id")[:BATCH]
        )
        for event in events:
            derive(event)
        if events:
            cursor.last_event_id = events[-1].id
            cursor.save(update_fields=["last_event_id", "updated_at"])
    return len(events)
