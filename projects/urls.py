"""Pages of projects, mounted at /projects/."""

from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.ProjectListPage.as_view(), name="list"),
    path("new/", views.ProjectCreatePage.as_view(), name="new"),
    path("<uuid:project_id>/", views.ProjectBoardPage.as_view(), name="board"),
    path("<uuid:project_id>/edit/", views.ProjectEditPage.as_view(), name="edit"),
    path("<uuid:project_id>/archive/", views.ProjectArchiveView.as_view(), name="archive"),
    path("<uuid:project_id>/delete/", views.ProjectDeletePage.as_view(), name="delete"),
    path("<uuid:project_id>/members/", views.MembersPage.as_view(), name="members"),
    path("<uuid:project_id>/tasks/new/", views.TaskQuickAddView.as_view(), name="task-add"),
    path("<uuid:project_id>/schedule/", views.SchedulePage.as_view(), name="schedule"),
    path("tasks/<uuid:task_id>/", views.TaskPage.as_view(), name="task"),
    path("tasks/<uuid:task_id>/move/", views.TaskMoveView.as_view(), name="task-move"),
    path("tasks/<uuid:task_id>/delete/", views.TaskDeletePage.as_view(), name="task-delete"),
    path(
        "tasks/<uuid:task_id>/dependencies/",
        views.TaskDependencyView.as_view(),
        name="task-dependencies",
    ),
]
