"""Which subscriptions hear of which committed events, and their delivery rows, made once.

A subscription hears of an event when
- it is active and names the event's type;
- its owner is active and may see the event (``nexus_site.events.selectors.user_may_see``:
  the relations rule for the event's graph node, or being named in its audience), decided
  when the event is fanned out, so an owner who lost access gets nothing more;
- the event is within its scope: no scope is "everything the owner may see"; a node alone
  matches an event about that node; a node "and everything under it" matches an event about
  any node whose ancestry (``relations.hierarchy.ancestry``: parent edges and structural
  foreign keys, the same hierarchy access is computed on) contains it. An event is "about"
  its audience node and the objects its payload names (a task event's node is its project;
  its payload names the task).

Fan-out reads the events, the active subscriptions of their types, the ancestry of all their
nodes (one recursive query) and each owner's visible nodes (one batch per owner), then inserts
the deliveries with ``ignore_conflicts``: the unique (subscription, event) constraint makes a
second fan-out of the same event insert nothing, so each event reaches each subscription once.
"""

import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError

from nexus_site.definitions.enums import EventType
from nexus_site.events.models import Event
from nexus_site.events.visibility import visible_nodes
from nexus_site.exceptions import ValidationError
from relations.algorithms import TraversalLimitExceeded
from relations.hierarchy import ancestry
from relations.nodes import Node, parse_node
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

SUBSCRIBABLE_TYPES = frozenset(t for t in EventType.values if t != EventType.WORKER_PING)
# Payload keys that name the object an event is about, and the node label of each.
PAYLOAD_NODES = {
    "task": "projects.task",
    "project": "projects.project",
    "document": "workspace.document",
    "file": "workspace.file",
    "room": "workspace.room",
}
# The listener's "is any subscription listening for this type" answer is kept this long per
# process: a subscription made meanwhile is served by the catch-up sweep until then.
TYPES_MEMO_SECONDS = 5.0
_types_memo: dict[str, Any] = {"at": -1e9, "types": frozenset()}


def subscribed_types() -> frozenset[str]:
    """Return the event types some active subscription names (memoised briefly)."""
    now = time.monotonic()
    if now - _types_memo["at"] > TYPES_MEMO_SECONDS:
        named: set[str] = set()
        for types in WebhookSubscription.objects.filter(is_active=True).values_list(
            "event_types", flat=True
        ):
            named.update(types or ())
        _types_memo.update(at=now, types=frozenset(named))
    return _types_memo["types"]


def forget_subscribed_types() -> None:
    """Drop the memo (a subscription of this process changed)."""
    _types_memo["at"] = -1e9


def worth_fanning_out(event: Event) -> bool:
    """The committed listener's filter: enqueue a fan-out only for types someone wants."""
    return event.type in subscribed_types()


def node_or_none(text: Any) -> Node | None:
    try:
        return parse_node(text)
    except ValidationError:
        return None


def event_nodes(event: Event) -> set[Node]:
    """Return the graph nodes ``event`` is about: its audience node and those its payload names."""
    nodes = set()
    if event.audience_node:
        node = node_or_none(event.audience_node)
        if node is not None:
            nodes.add(node)
    payload = event.payload if isinstance(event.payload, dict) else {}
    for key, label in PAYLOAD_NODES.items():
        value = payload.get(key)
        if isinstance(value, str):
            node = node_or_none(f"{label}:{value}")
            if node is not None:
                nodes.add(node)
    return nodes


def within_scope(
    subscription: WebhookSubscription, nodes: set[Node], above: dict[Node, set[Node]]
) -> bool:
    """Return whether an event about ``nodes`` (with ``above``: each node's ancestors) is in
    the subscription's scope."""
    if not subscription.scope:
        return True
    scope = node_or_none(subscription.scope)
    if scope is None:
        return False
    if scope in nodes:
        return True
    return subscription.with_descendants and any(scope in above.get(node, ()) for node in nodes)


def ancestors_of(nodes: Iterable[Node]) -> dict[Node, set[Node]]:
    """Return each node's ancestors, read for all of them in one recursive query."""
    nodes = set(nodes)
    if not nodes:
        return {}
    try:
        hierarchy = ancestry(nodes)
    except (TraversalLimitExceeded, DjangoValidationError):
        return {}
    return {node: set(hierarchy.upward_paths(node)) - {node} for node in nodes}


def body_of(event: Event) -> dict[str, Any]:
    """Return the JSON a delivery of ``event`` POSTs (the same for every redelivery)."""
    return {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "node": event.audience_node or None,
        "actor": str(event.actor_id) if event.actor_id else None,
        "data": event.payload or {},
    }


def matches(events: list[Event]) -> list[tuple[Event, WebhookSubscription]]:
    """Return the (event, subscription) pairs that should be delivered."""
    types = {event.type for event in events}
    subscriptions = list(
        WebhookSubscription.objects.filter(is_active=True, owner__is_active=True).select_related(
            "owner"
        )
    )
    wanted = [s for s in subscriptions if types & set(s.event_types or ())]
    if not wanted:
        return []
    nodes_of = {event.id: event_nodes(event) for event in events}
    scoped = any(s.scope and s.with_descendants for s in wanted)
    above = ancestors_of(set().union(*nodes_of.values())) if scoped else {}
    pairs = []
    audience_nodes = {event.audience_node for event in events if event.audience_node}
    seen_by: dict[uuid.UUID, set[str]] = {}
    for event in events:
        for subscription in wanted:
            if event.type not in subscription.event_types:
                continue
            if not within_scope(subscription, nodes_of[event.id], above):
                continue
            owner = subscription.owner
            if owner.pk not in seen_by:
                seen_by[owner.pk] = visible_nodes(owner, audience_nodes)
            if may_see(owner, event, seen_by[owner.pk]):
                pairs.append((event, subscription))
    return pairs


def may_see(owner, event: Event, visible: set[str]) -> bool:
    """``nexus_site.events.selectors.user_may_see``, with the owner's visible audience nodes of
    the whole batch decided at once (``visible``)."""
    if not owner.is_active:
        return False
    if owner.is_staff or str(owner.pk) in (event.audience_users or ()):
        return True
    return bool(event.audience_node) and event.audience_node in visible


def deliveries_create(event_ids: list[int]) -> list[uuid.UUID]:
    """Make the deliveries of these events (once each); return the ids of those pending."""
    events = list(Event.objects.filter(id__in=event_ids).order_by("id"))
    pairs = matches(events)
    if not pairs:
        return []
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=subscription,
                event_id=event.id,
                event_type=event.type,
                payload=body_of(event),
            )
            for event, subscription in pairs
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookDelivery.objects.filter(
            event_id__in=[event.id for event, _ in pairs],
            subscription_id__in={subscription.pk for _, subscription in pairs},
            redelivery_of__isnull=True,
            status=DeliveryStatus.PENDING,
            attempts=0,
        ).values_list("id", flat=True)
    )
