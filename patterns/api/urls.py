"""The patterns API, mounted at /api/v1/ (patterns/, executions/, step-types/)."""

from django.urls import path

from patterns.api import schedules, signals, triggers, views

app_name = "patterns-api"

urlpatterns = [
    path("patterns/", views.PatternListView.as_view(), name="pattern-list"),
    path("patterns/schedules/", schedules.ScheduleListView.as_view(), name="schedule-list"),
    path(
        "patterns/schedules/<uuid:schedule_id>/",
        schedules.ScheduleDetailView.as_view(),
        name="schedule-detail",
    ),
    # Before patterns/<key>/: "triggers" is a reserved key.
    path("patterns/triggers/", triggers.TriggerListView.as_view(), name="trigger-list"),
    path(
        "patterns/triggers/<uuid:trigger_id>/",
        triggers.TriggerDetailView.as_view(),
        name="trigger-detail",
    ),
    path(
        "patterns/triggers/<uuid:trigger_id>/runs/",
        triggers.TriggerRunListView.as_view(),
        name="trigger-runs",
    ),
    path("patterns/<slug:key>/", views.PatternDetailView.as_view(), name="pattern-detail"),
    path(
        "patterns/<slug:key>/versions/",
        views.VersionListView.as_view(),
        name="pattern-versions",
    ),
    path(
        "patterns/<slug:key>/versions/<int:number>/",
        views.VersionDetailView.as_view(),
        name="pattern-version",
    ),
    path("patterns/<slug:key>/validate/", views.ValidateView.as_view(), name="pattern-validate"),
    path("patterns/<slug:key>/execute/", views.ExecuteView.as_view(), name="pattern-execute"),
    path("patterns/<slug:key>/dry-run/", views.DryRunView.as_view(), name="pattern-dry-run"),
    path("patterns/<slug:key>/stats/", views.StatsView.as_view(), name="pattern-stats"),
    path("executions/", views.ExecutionListView.as_view(), name="execution-list"),
    path(
        "executions/<uuid:execution_id>/",
        views.ExecutionDetailView.as_view(),
        name="execution-detail",
    ),
    path(
        "executions/<uuid:execution_id>/cancel/",
        views.ExecutionCancelView.as_view(),
        name="execution-cancel",
    ),
    path(
        "executions/<uuid:execution_id>/signals/<slug:name>/",
        signals.ExecutionSignalView.as_view(),
        name="execution-signal",
    ),
    path("step-types/", views.StepTypeListView.as_view(), name="step-type-list"),
]
