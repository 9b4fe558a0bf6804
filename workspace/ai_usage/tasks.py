"""Celery tasks of AI usage: just another interface that calls the rollups."""

from celery import shared_task
from django.conf import settings

from workspace.ai_usage import rollups

__all__ = ["roll_up_ai_usage"]


@shared_task(name="workspace.ai_usage.tasks.roll_up_ai_usage")
def roll_up_ai_usage() -> int:
    """Roll up the finished days not rolled up yet (idempotent); return how many."""
    return rollups.roll_up(budget_seconds=settings.RETENTION_TIME_BUDGET_SECONDS)
