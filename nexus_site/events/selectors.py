"""Read events on behalf of a user: the only way to load them, so visibility always applies.

Staff see every event; others see the events naming them in the audience, and the events
whose audience node the registered "may see node" test lets them see. A page (the API's list,
the socket's replay) is read with ``event_values_visible_to``, which asks the node test only
for the nodes of the events it reads, window by window, until the page is full.
"""

from collections.abc import Collection, Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

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


# A page is read in windows of events after the cursor, the first as long as the page, each
# next one twice the last, up to this: the nodes of a window are decided in one batch, so the
# work follows the page served, not the log after the cursor.
MAX_WINDOW = 4000


def event_values_visible_to(
    user: Any,
    *,
    fields: Sequence[str],
    size: int,
    after: int | None = None,
    types: Collection[str] | None = None,
    pattern: str | None = None,
) -> list[dict[str, Any]]:
    """Return the first ``size`` events ``user`` may see after the cursor, oldest first, as
    values of ``fields``: the events ``events_visible_to`` gives, in the same order.

    Candidates (events naming the user, and events with an audience node) are read in windows;
    the node test is asked once per window, for that window's nodes not decided before.
    """
    if size <= 0 or not getattr(user, "is_authenticated", False):
        return []
    if user.is_staff:
        return list(
            events_matching(after=after, types=types, pattern=pattern).values(*fields)[:size]
        )
    named = EventAudience.objects.filter(user_id=user.pk, event_id=OuterRef("id"))
    nodes_apply = node_visibility_registered()
    candidate = Q(named_=True) | ~Q(audience_node="") if nodes_apply else Q(named_=True)
    columns = list(dict.fromkeys(["id", "audience_node", *fields]))
    page: list[dict[str, Any]] = []
    decided: dict[str, bool] = {}
    window = size
    while True:
        rows = list(
            events_matching(after=after, types=types, pattern=pattern)
            .annotate(named_=Exists(named))
            .filter(candidate)
            .values("named_", *columns)[:window]
        )
        if nodes_apply:
            undecided = {row["audience_node"] for row in rows if not row["named_"]}
            undecided -= decided.keys() | {""}
            if undecided:
                seen = visible_nodes(user, undecided)
                decided.update((item, item in seen) for item in undecided)
        for row in rows:
            if row["named_"] or decided.get(row["audience_node"], False):
                page.append({name: row[name] for name in fields})
                if len(page) == size:
                    return page
        if len(rows) < window:
            return page
        after = rows[-1]["id"]
        window = min(window * 2, MAX_WINDOW)


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
