"""The AI usage API, mounted at /api/v1/ (so /api/v1/ai/interactions/ and /api/v1/ai/stats/)."""

from django.urls import path

from workspace.ai_usage.api import views

app_name = "ai_usage-api"

urlpatterns = [
    path("ai/interactions/", views.InteractionListView.as_view(), name="interaction-list"),
    path(
        "ai/interactions/<uuid:interaction_id>/",
        views.InteractionDetailView.as_view(),
        name="interaction-detail",
    ),
    path("ai/stats/", views.StatsView.as_view(), name="stats"),
    path("ai/budgets/", views.BudgetListView.as_view(), name="budget-list"),
]
