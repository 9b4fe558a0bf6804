"""Pages of projects, mounted at /projects/."""

from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.ProjectListPage.as_view(), name="list"),
    path("<uuid:project_id>/", views.ProjectBoardPage.as_view(), name="board"),
    path("<uuid:project_id>/schedule/", views.SchedulePage.as_view(), name="schedule"),
    path("tasks/<uuid:task_id>/", views.TaskPage.as_view(), name="task"),
    path("tasks/<uuid:task_id>/move/", views.TaskMoveView.as_view(), name="task-move"),
]
