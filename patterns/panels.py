"""The patterns panel of the dashboard: the user's runs still going and those that failed."""

import datetime

from django.utils import timezone

from nexus_site.dashboard import Panel, register_panel
from patterns.models import ExecutionStatus
from patterns.selectors import executions_visible_to

RECENT_DAYS = 7
SHOWN = 5
UNFINISHED = (ExecutionStatus.PENDING, ExecutionStatus.RUNNING)
FAILED = (ExecutionStatus.FAILED, ExecutionStatus.COMPENSATED)


def pattern_runs(user) -> dict | None:
    """Return the user's own runs that are going or failed this week, or None if there are none."""
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    runs = list(
        executions_visible_to(user)
        .filter(started_by=user, parent_step__isnull=True, created_at__gte=since)
        .filter(status__in=UNFINISHED + FAILED)
        .order_by("-created_at")[:SHOWN]
    )
    return {"runs": runs} if runs else None


def register() -> None:
    register_panel(Panel("patterns", "patterns/dashboard.html", pattern_runs, order=40))
