"""The patterns panel of "My work": the latest runs the user started, whatever their status."""

from nexus_site.dashboard import Panel, register_panel
from patterns.selectors import executions_visible_to

SHOWN = 5


def pattern_runs(user) -> dict | None:
    """Return the latest runs ``user`` started (not the child runs of a composite), newest
    first, or None if they never started one."""
    runs = list(
        executions_visible_to(user)
        .filter(started_by=user, parent_step__isnull=True)
        .order_by("-created_at", "-id")[:SHOWN]
    )
    return {"runs": runs} if runs else None


def register() -> None:
    register_panel(Panel("patterns", "patterns/dashboard.html", pattern_runs, order=40))
