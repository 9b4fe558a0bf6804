"""The AI-usage panel of the dashboard: monthly budgets the user can see that are exceeded."""

from nexus_site.dashboard import Panel, register_panel
from workspace.ai_usage.selectors import budget_statuses


def exceeded_budgets(user) -> dict | None:
    exceeded = [status for status in budget_statuses(user) if status.exceeded]
    return {"exceeded": exceeded} if exceeded else None


def register() -> None:
    register_panel(
        Panel("ai_budgets", "workspace/dashboard/ai_budgets.html", exceeded_budgets, order=30)
    )
