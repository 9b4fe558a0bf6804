"""Pages of AI usage, mounted at /ai/."""

from django.urls import path

from workspace.ai_usage import views

app_name = "ai_usage"

urlpatterns = [
    path("", views.AIDashboardPage.as_view(), name="dashboard"),
]
