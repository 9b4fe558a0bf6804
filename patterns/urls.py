"""Pages of patterns, mounted at /patterns/."""

from django.urls import path

from patterns import approval_views, views

app_name = "patterns"

urlpatterns = [
    path("", views.PatternListPage.as_view(), name="list"),
    path("executions/<uuid:execution_id>/", views.ExecutionPage.as_view(), name="execution"),
    path("approvals/", approval_views.ApprovalListPage.as_view(), name="approvals"),
    path(
        "executions/<uuid:execution_id>/approvals/<str:step_id>/",
        approval_views.ApprovalPage.as_view(),
        name="approval",
    ),
    path(
        "executions/<uuid:execution_id>/cancel/",
        views.ExecutionCancelView.as_view(),
        name="execution-cancel",
    ),
    path("<slug:key>/", views.PatternPage.as_view(), name="pattern"),
]
