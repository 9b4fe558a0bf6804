"""Creating, changing and deleting triggers; every write is checked as its owner.

A trigger runs as its owner, so what its owner may do bounds it: the owner must be able to
run patterns, see the pattern and see the scope. Writing it does not let anyone reach more:
its runs see only events the owner may see, and act through the same services as the owner.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import Permission
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from patterns.models import Pattern, PatternTrigger
from patterns.runs import version_to_run
from patterns.selectors import pattern_visible
from patterns.services import ensure_can_run
from patterns.triggers.firing import forget_active_types, lost_access
from patterns.triggers.matching import EVENT_TYPE, filter_problems, input_map_problems
from relations.access import require
from relations.nodes import parse_node

TRIGGER_FIELDS = frozenset(
    {
        "name",
        "pattern",
        "version",
        "event_type",
        "scope_node",
        "with_descendants",
        "filter",
        "input_map",
        "rate_per_minute",
        "is_active",
    }
)
MAX_RATE = 10_000


def ensure_can_manage(actor, trigger: PatternTrigger) -> None:
    """A trigger is changed by its owner or by staff; it always runs as its owner."""
    if trigger.owner_id != actor.pk and not actor.is_staff:
        raise NotFoundError(_("There is no such trigger."))


def checked(actor, values: dict[str, Any]) -> dict[str, Any]:
    """Return ``values`` checked as written by ``actor`` (a 422 naming every bad field)."""
    problems: dict[str, list[str]] = {}
    if "name" in values:
        name = str(values["name"] or "").strip()
        if not name or len(name) > 120:
            problems["name"] = [str(_("Give the trigger a name of at most 120 characters."))]
        values["name"] = name
    if "event_type" in values and not EVENT_TYPE.match(str(values["event_type"] or "")):
        problems["event_type"] = [str(_("Write an event type such as task_created."))]
    if values.get("scope_node"):
        try:
            node = parse_node(values["scope_node"], field="scope_node")
            require(actor, Permission.VIEW, node)
        except ValidationError as exc:
            problems.update(exc.details)
        except (NotFoundError, AuthorizationError):
            problems["scope_node"] = [str(_("There is no such object."))]
    if "filter" in values:
        found = filter_problems(values["filter"])
        if found:
            problems["filter"] = found
    if "input_map" in values:
        found = input_map_problems(values["input_map"])
        if found:
            problems["input_map"] = found
    rate = values.get("rate_per_minute")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 1):
        problems["rate_per_minute"] = [str(_("A whole number of runs, at least 1."))]
    elif rate is not None and rate > MAX_RATE:
        problems["rate_per_minute"] = [str(_("At most %(max)s.") % {"max": MAX_RATE})]
    pattern = values.get("pattern")
    if pattern is not None and pattern_visible(actor, pattern.key) is None:
        problems["pattern"] = [str(_("There is no such pattern."))]
    elif pattern is not None and "version" in values and values["version"] is not None:
        try:
            version_to_run(pattern, values["version"])
        except (ValidationError, NotFoundError) as exc:
            problems["version"] = [str(getattr(exc, "message", exc))]
    if problems:
        raise ValidationError(details=problems)
    return values


@transaction.atomic
def trigger_create(*, actor, pattern: Pattern, **values: Any) -> PatternTrigger:
    """Create a trigger owned by ``actor`` for a pattern ``actor`` may see and run."""
    ensure_can_run(actor)
    unknown = set(values) - TRIGGER_FIELDS
    if unknown:
        raise ValidationError(details={name: [str(_("Unknown field."))] for name in unknown})
    values = checked(actor, {"name": "", "event_type": "", **values, "pattern": pattern})
    trigger = PatternTrigger.objects.create(owner=actor, **values)
    transaction.on_commit(forget_active_types)
    return trigger


@transaction.atomic
def trigger_update(*, actor, trigger: PatternTrigger, **values: Any) -> PatternTrigger:
    """Change a trigger; switching it back on clears why the engine had turned it off."""
    ensure_can_manage(actor, trigger)
    unknown = set(values) - TRIGGER_FIELDS
    if unknown:
        raise ValidationError(details={name: [str(_("Unknown field."))] for name in unknown})
    owner = trigger.owner
    if values.get("is_active") or set(values) - {"is_active"}:
        ensure_can_run(owner)
    trigger = PatternTrigger.objects.select_for_update().get(pk=trigger.pk)
    values.setdefault("pattern", trigger.pattern)
    values = checked(owner, values)
    for name, value in values.items():
        setattr(trigger, name, value)
    if values.get("is_active"):
        reason = lost_access(trigger)
        if reason:  # it would only be switched off again at the next event
            raise ValidationError(details={"is_active": [reason]})
        trigger.disabled_reason = ""
    trigger.save()
    transaction.on_commit(forget_active_types)
    return trigger


@transaction.atomic
def trigger_delete(*, actor, trigger: PatternTrigger) -> None:
    ensure_can_manage(actor, trigger)
    trigger.delete()
    transaction.on_commit(forget_active_types)
