"""The projects API, mounted at /api/v1/ (so the lists are /api/v1/projects/ and /api/v1/tasks/)."""

from django.urls import path

from projects.api import views

app_name = "projects-api"

urlpatterns = [
    path("projects/", views.ProjectListView.as_view(), name="project-list"),
    path("projects/<uuid:project_id>/", views.ProjectDetailView.as_view(), name="project-detail"),
    path(
        "projects/<uuid:project_id>/members/",
        views.ProjectMemberListView.as_view(),
        name="project-members",
    ),
    path(
        "projects/<uuid:project_id>/members/<uuid:user_id>/",
        views.ProjectMemberDetailView.as_view(),
        name="project-member",
    ),
    path(
        "projects/<uuid:project_id>/activity/",
        views.ProjectActivityView.as_view(),
        name="project-activity",
    ),
    path(
        "projects/<uuid:project_id>/schedule/",
        views.ProjectScheduleView.as_view(),
        name="project-schedule",
    ),
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
    path("tasks/<uuid:task_id>/", views.TaskDetailView.as_view(), name="task-detail"),
    path(
        "tasks/<uuid:task_id>/dependencies/",
        views.TaskDependencyListView.as_view(),
        name="task-dependencies",
    ),
    path(
        "tasks/<uuid:task_id>/dependencies/<uuid:depends_on_id>/",
        views.TaskDependencyDetailView.as_view(),
        name="task-dependency",
    ),
]
