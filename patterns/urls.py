"""Pages of patterns, mounted at /patterns/."""

from django.urls import path

from patterns import approval_views, schedule_views, trigger_views, views

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
    path("triggers/", trigger_views.TriggerListPage.as_view(), name="triggers"),
    path("triggers/new/", trigger_views.TriggerCreatePage.as_view(), name="trigger-create"),
    path("triggers/<uuid:trigger_id>/", trigger_views.TriggerDetailPage.as_view(), name="trigger"),
    path(
        "triggers/<uuid:trigger_id>/edit/",
        trigger_views.TriggerEditPage.as_view(),
        name="trigger-edit",
    ),
    path(
        "triggers/<uuid:trigger_id>/active/",
        trigger_views.TriggerActiveView.as_view(),
        name="trigger-active",
    ),
    path(
        "triggers/<uuid:trigger_id>/delete/",
        trigger_views.TriggerDeletePage.as_view(),
        name="trigger-delete",
    ),
    path("schedules/", schedule_views.ScheduleListPage.as_view(), name="schedules"),
    path("schedules/new/", schedule_views.ScheduleCreatePage.as_view(), name="schedule-create"),
    path(
        "schedules/<uuid:schedule_id>/",
        schedule_views.ScheduleDetailPage.as_view(),
        name="schedule",
    ),
    path(
        "schedules/<uuid:schedule_id>/edit/",
        schedule_views.ScheduleEditPage.as_view(),
        name="schedule-edit",
    ),
    path(
        "schedules/<uuid:schedule_id>/enabled/",
        schedule_views.ScheduleEnabledView.as_view(),
        name="schedule-enabled",
    ),
    path(
        "schedules/<uuid:schedule_id>/delete/",
        schedule_views.ScheduleDeletePage.as_view(),
        name="schedule-delete",
    ),
    path("<slug:key>/", views.PatternPage.as_view(), name="pattern"),
]
