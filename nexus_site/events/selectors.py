"""Read events on behalf of a user: the only way to load them, so visibility always applies.

Staff see every event; others see the events naming them in the audience, and the events
whose audience node the registered "may see node" test lets them see.
"""

from collections.abc import Collection
from typing import Any

from django.db.models import Q, QuerySet

from nexus_site.events.models import Event, EventAudience
from nexus_site.events.visibility import node_visibility_registered, visible_nodes


def events_matching(
    *,
    after: int | None = None,
    types: Collection[str] | None = None,
    pattern: str | None = None,
) -> QuerySet[Event]:
    """Return every event after the cursor, of these types and this pattern, oldest first."""
    events = Event.objects.order_by("id")
    if after is not None:
        events = events.filter(id__gt=after)
    if types:
        events = events.filter(type__in=list(types))
    if pattern:
        events = events.filter(payload__pattern=pattern)
    return events


def events_visible_to(
    user: Any,
    *,
    after: int | None = None,
    types: Collection[str] | None = None,
    pattern: str | None = None,
) -> QuerySet[Event]:
    """Return the events ``user`` may see after the cursor, oldest first.

    Runs at most one query (the nodes that occur) plus the node test before the result's own.
    """
    events = events_matching(after=after, types=types, pattern=pattern)
    if not getattr(user, "is_authenticated", False):
        return events.none()
    if user.is_staff:
        return events
    named = EventAudience.objects.filter(user_id=user.pk)
    if after is not None:
        named = named.filter(event_id__gt=after)
    visible = Q(id__in=named.values("event_id"))
    if node_visibility_registered():
        occurring = (
            events.exclude(audience_node="").order_by().values_list("audience_node", flat=True)
        )
        nodes = visible_nodes(user, occurring.distinct())
        if nodes:
            visible |= Q(audience_node__in=sorted(nodes))
    return events.filter(visible)


def event_visible_to(
    user: Any,
    event_id: int,
    *,
    types: Collection[str] | None = None,
    pattern: str | None = None,
) -> Event | None:
    """Return event ``event_id`` if ``user`` may see it and it passes the filters, else None."""
    event = events_matching(types=types, pattern=pattern).filter(id=event_id).first()
    if event is None or not user_may_see(user, event):
        return None
    return event


def user_may_see(user: Any, event: Event) -> bool:
    """Return whether ``user`` is in the audience of ``event``."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or str(user.pk) in event.audience_users:
        return True
    return bool(event.audience_node) and bool(visible_nodes(user, [event.audience_node]))
