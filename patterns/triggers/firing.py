"""Starting runs from committed events: exactly once per trigger and event, as the owner.

Two ways in, one way through. Right after an event commits, the committed-events listener
sends ``patterns.tasks.fire_triggers`` with its id (by name). A beat task reads the outbox
from a stored cursor for whatever that missed (a worker that died, a broker that was down, a
trigger created seconds before), once its events are ``LAG`` old. Both call ``fire_events``.

Exactly once: the firing of a trigger for an event is a row unique on (trigger, event),
written in the same transaction as the run it starts, under a lock of the trigger's row. A
second worker with the same event waits for that lock, then finds the row and does nothing;
a worker that dies before its commit leaves nothing, and the cursor's sweep fires it again.

No storms: a run started by a trigger is one hop deeper than the event that started it
(``Event.chain_depth``, set while a run publishes). Past ``PATTERNS_TRIGGER_MAX_DEPTH``, or
past the trigger's runs per minute, the firing is recorded as stopped and a
``trigger_limited`` event tells the owner.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from nexus_site.definitions.enums import EventType, Permission, Role
from nexus_site.events.models import Event
from nexus_site.events.selectors import user_may_see
from nexus_site.events.services import chain_depth, publish
from nexus_site.exceptions import BaseAppException, ValidationError
from patterns.dispatch import enqueue_execution
from patterns.engine.references import PatternReferenceError
from patterns.models import PatternTrigger, TriggerCursor, TriggerFiring, TriggerOutcome
from patterns.runs import new_execution, version_to_run
from patterns.selectors import pattern_visible
from patterns.triggers.matching import event_document, filter_holds, run_input
from relations.access import can
from relations.algorithms import TraversalLimitExceeded
from relations.hierarchy import ancestry
from relations.nodes import Node, parse_node

logger = logging.getLogger(__name__)

FIRE_TASK = "patterns.tasks.fire_triggers"
CURSOR = "triggers"
LAG = datetime.timedelta(seconds=10)
BATCH = 500
TYPES_TTL_SECONDS = 2.0

# This process's view of which event types some active trigger listens to: the listener asks
# it on every publish, so it is kept in memory and read again at most every TYPES_TTL_SECONDS
# (at once in the process that changed a trigger). What another process misses in between,
# the cursor's sweep fires.
_types_cache: dict[str, Any] = {"types": frozenset(), "read_at": float("-inf")}


def max_depth() -> int:
    return int(getattr(settings, "PATTERNS_TRIGGER_MAX_DEPTH", 3))


def default_rate() -> int:
    return int(getattr(settings, "PATTERNS_TRIGGER_RATE_PER_MINUTE", 60))


def active_types() -> frozenset[str]:
    """The event types some active trigger listens to (cached for ``TYPES_TTL_SECONDS``)."""
    now = time.monotonic()
    if now - _types_cache["read_at"] > TYPES_TTL_SECONDS:
        _types_cache["types"] = frozenset(
            PatternTrigger.objects.filter(is_active=True).values_list("event_type", flat=True)
        )
        _types_cache["read_at"] = now
    return _types_cache["types"]


def forget_active_types() -> None:
    """Read the active types again at the next event (a trigger changed in this process)."""
    _types_cache["read_at"] = float("-inf")


def wants(event: Event) -> bool:
    """The committed-events listener's test: does some active trigger listen to its type?"""
    return event.type in active_types()


def fire_after_commit(event_ids: list[int]) -> None:
    """The committed-events listener: send the firing task by name."""
    current_app.signature(FIRE_TASK, args=[list(event_ids)]).delay()


# --- matching ----------------------------------------------------------------------------


class Scope:
    """The nodes above one event's node (itself included), read once for all its triggers."""

    def __init__(self, event: Event) -> None:
        self.node_text = event.audience_node
        self._above: set[str] | None = None

    def above(self) -> set[str]:
        if self._above is None:
            self._above = set()
            node = _node(self.node_text)
            if node is not None:
                try:
                    self._above = {str(found) for found in ancestry([node]).nodes}
                except TraversalLimitExceeded:
                    self._above = {self.node_text}
        return self._above

    def covers(self, trigger: PatternTrigger) -> bool:
        """Whether the event is within the trigger's scope."""
        if not trigger.scope_node:
            return True
        if trigger.scope_node == self.node_text:
            return True
        return trigger.with_descendants and trigger.scope_node in self.above()


def _node(text: str) -> Node | None:
    if not text:
        return None
    try:
        return parse_node(text)
    except ValidationError:
        return None


def lost_access(trigger: PatternTrigger) -> str:
    """Why the owner may no longer have this trigger fire ('' when they still may)."""
    owner = trigger.owner
    if not owner.is_active:
        return _("Its owner's account is deactivated.")
    if getattr(owner, "role", None) == Role.GUEST:
        return _("Its owner may not run patterns.")
    if pattern_visible(owner, trigger.pattern.key) is None:
        return _("Its owner can no longer see the pattern.")
    scope = _node(trigger.scope_node)
    if trigger.scope_node and (scope is None or not can(owner, Permission.VIEW, scope)):
        return _("Its owner can no longer see the scope.")
    return ""


# --- firing ------------------------------------------------------------------------------


def fire_events(event_ids: Iterable[int]) -> int:
    """Fire the active triggers these events match; return how many runs were started."""
    events = list(Event.objects.filter(id__in=list(event_ids)).order_by("id"))
    if not events:
        return 0
    triggers = defaultdict(list)
    for trigger in PatternTrigger.objects.filter(
        is_active=True, event_type__in={event.type for event in events}
    ).select_related("owner", "pattern"):
        triggers[trigger.event_type].append(trigger)
    started = 0
    for event in events:
        candidates = triggers.get(event.type)
        if candidates:
            started += fire_event(event, candidates)
    return started


def fire_event(event: Event, triggers: list[PatternTrigger]) -> int:
    done = set(
        TriggerFiring.objects.filter(event_id=event.id, trigger__in=triggers).values_list(
            "trigger_id", flat=True
        )
    )
    scope = Scope(event)
    document = event_document(event)
    started = 0
    for trigger in triggers:
        if trigger.pk in done or not trigger.is_active:
            continue
        if not scope.covers(trigger) or not filter_holds(trigger.filter, document):
            continue
        reason = lost_access(trigger)
        if reason:
            disable(trigger, reason)
            continue
        if not user_may_see(trigger.owner, event):
            continue  # the owner's run may never learn of what the owner may not see
        started += fire(trigger, event, document)
    return started


def fire(trigger: PatternTrigger, event: Event, document: dict[str, Any]) -> int:
    """Start the trigger's run for ``event`` unless it already did or a limit stops it."""
    with transaction.atomic():
        locked = PatternTrigger.objects.select_for_update().filter(pk=trigger.pk).first()
        if locked is None or not locked.is_active:
            return 0
        if TriggerFiring.objects.filter(trigger=locked, event_id=event.id).exists():
            return 0  # another worker fired it first (exactly once)
        depth = event.chain_depth + 1
        if depth > max_depth():
            limited(trigger, event, TriggerOutcome.DEPTH_LIMITED, {"depth": depth})
            return 0
        rate = locked.rate_per_minute or default_rate()
        minute_ago = timezone.now() - datetime.timedelta(minutes=1)
        recent = TriggerFiring.objects.filter(
            trigger=locked, outcome=TriggerOutcome.STARTED, created_at__gte=minute_ago
        ).count()
        if recent >= rate:
            limited(trigger, event, TriggerOutcome.RATE_LIMITED, {"per_minute": rate})
            return 0
        try:
            with transaction.atomic():
                execution = new_execution(
                    pattern=trigger.pattern,
                    version=version_to_run(trigger.pattern, trigger.version),
                    input=run_input(trigger.input_map, document),
                    actor=trigger.owner,
                    chain_depth=depth,
                )
        except (BaseAppException, PatternReferenceError) as exc:
            error = {"code": getattr(exc, "code", "refused"), "message": str(exc)}
            if isinstance(exc, BaseAppException):
                error["message"] = str(exc.message)
                if exc.details:
                    error["details"] = exc.details
            record(trigger, event, TriggerOutcome.REFUSED, detail={"error": error})
            return 0
        record(trigger, event, TriggerOutcome.STARTED, execution=execution)
        transaction.on_commit(lambda: enqueue_execution(execution.pk))
    return 1


def record(trigger, event, outcome: str, *, execution=None, detail=None) -> TriggerFiring:
    return TriggerFiring.objects.create(
        trigger=trigger,
        event_id=event.id,
        outcome=outcome,
        execution=execution,
        detail=detail or {},
    )


def limited(trigger: PatternTrigger, event: Event, outcome: str, detail: dict) -> None:
    """Record a firing a limit stopped, and tell the owner with a ``trigger_limited`` event."""
    record(trigger, event, outcome, detail=detail)
    with chain_depth(event.chain_depth):
        publish(
            EventType.TRIGGER_LIMITED,
            {
                "trigger": str(trigger.pk),
                "pattern": trigger.pattern.key,
                "event": event.id,
                "event_type": event.type,
                "limit": "depth" if outcome == TriggerOutcome.DEPTH_LIMITED else "rate",
                **detail,
            },
            user_ids=[trigger.owner_id],
        )


def disable(trigger: PatternTrigger, reason: str) -> None:
    """Turn a trigger off because its owner lost what it needs, and say so."""
    with transaction.atomic():
        changed = PatternTrigger.objects.filter(pk=trigger.pk, is_active=True).update(
            is_active=False, disabled_reason=reason, updated_at=timezone.now()
        )
        if changed:
            publish(
                EventType.TRIGGER_DISABLED,
                {"trigger": str(trigger.pk), "pattern": trigger.pattern.key, "reason": reason},
                user_ids=[trigger.owner_id],
            )
    trigger.is_active, trigger.disabled_reason = False, reason
    forget_active_types()


# --- the cursor's sweep ------------------------------------------------------------------


def catch_up(now: datetime.datetime | None = None) -> int:
    """Fire the triggers of up to ``BATCH`` settled events after the cursor; return how many
    events were read. A new cursor starts at the newest settled event (no history)."""
    settled = (now or timezone.now()) - LAG
    with transaction.atomic():
        cursor = TriggerCursor.objects.select_for_update().filter(name=CURSOR).first()
        if cursor is None:
            end = Event.objects.filter(created_at__lt=settled).aggregate(end=Max("id"))["end"]
            TriggerCursor.objects.create(name=CURSOR, last_event_id=end or 0)
            return 0
        types = list(
            PatternTrigger.objects.filter(is_active=True)
            .values_list("event_type", flat=True)
            .distinct()
        )
        window = Event.objects.filter(id__gt=cursor.last_event_id, created_at__lt=settled)
        last = window.order_by("id").values_list("id", flat=True)[BATCH - 1 : BATCH].first()
        if last is None:
            last = window.aggregate(end=Max("id"))["end"]
        if last is None:
            return 0
        ids = list(
            window.filter(id__lte=last, type__in=types).order_by("id").values_list("id", flat=True)
        )
        fire_events(ids)
        cursor.last_event_id = last
        cursor.save(update_fields=["last_event_id", "updated_at"])
    return len(ids)


def cursor_floor() -> int | None:
    """The lowest event id the sweep may still read (for the outbox's retention)."""
    cursor = TriggerCursor.objects.filter(name=CURSOR).first()
    return None if cursor is None else cursor.last_event_id + 1
