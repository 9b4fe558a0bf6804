"""Reading triggers: each person sees their own (staff see all), with the runs they started."""

from __future__ import annotations

from django.db.models import QuerySet

from patterns.models import PatternTrigger, TriggerFiring


def triggers_visible_to(user) -> QuerySet[PatternTrigger]:
    triggers = PatternTrigger.objects.select_related("owner", "pattern")
    if not getattr(user, "is_authenticated", False):
        return triggers.none()
    if user.is_staff:
        return triggers
    return triggers.filter(owner=user)


def trigger_visible(user, trigger_id) -> PatternTrigger | None:
    return triggers_visible_to(user).filter(pk=trigger_id).first()


def firings_of(trigger: PatternTrigger) -> QuerySet[TriggerFiring]:
    """What the trigger did, newest first, with the runs it started."""
    return trigger.firings.select_related("execution").order_by("-id")
