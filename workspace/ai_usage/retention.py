"""Retention of raw AI interactions: purge those older than ``AI_USAGE_RETENTION_DAYS``, and
never one of a day not rolled up yet (workspace.ai_usage.rollups), so statistics and budgets
read the same after the purge as before."""

from nexus_site.retention import Sweep, delete_in_batches, keep_days
from workspace.ai_usage import rollups
from workspace.ai_usage.models import AIInteraction


def interactions_purge(sweep: Sweep) -> int:
    """Delete, in batches, the raw interactions past their keep time whose day is rolled up;
    return how many went."""
    cutoff = sweep.cutoff(keep_days("AI_USAGE_RETENTION_DAYS"))
    mark = rollups.watermark()
    if cutoff is None or mark is None:
        return 0
    before = min(cutoff, rollups.start_of(mark))
    return delete_in_batches(AIInteraction.objects.filter(occurred_at__lt=before), sweep)
