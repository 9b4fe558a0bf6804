"""The projects API: projects, membership, activity, schedule, tasks and their dependencies.

Each view parses its input with an input serializer, loads objects through projects.selectors
(which answer 404 for what the caller may not see), calls one service (which answers 403 for
what the caller may see but not change) and re-reads through the selector to render.
"""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import parsed
from nexus_site.api.schema import error_response_schema
from nexus_site.exceptions import NotFoundError, ValidationError
from projects import selectors, services
from projects.api import serializers as s
from projects.api.filters import ProjectFilter, TaskFilter
from projects.api.pagination import CountedPagination
from projects.models import Activity, Project, Task, TaskDependency
from relations.selectors import named_object

E400 = error_response_schema(_("Malformed JSON, or a business rule refused the change."))
E401 = error_response_schema(_("Not signed in."))
E403 = error_response_schema(_("Visible, but the caller may not change it."))
E404 = error_response_schema(_("No such object, or not visible to the caller."))
E409 = error_response_schema(_("Conflicts with the current state."))
E422 = error_response_schema(_("Invalid data; field messages in details."))
READ_ERRORS = {401: E401, 404: E404}
WRITE_ERRORS = {400: E400, 401: E401, 403: E403, 404: E404, 422: E422}


def no_such(field: str, message) -> ValidationError:
    """Return a 422 naming ``field``: an id in the body that the caller may not use."""
    return ValidationError(details={field: [str(message)]})


def body_user(user_id, *, field: str):
    """Return the active user named in the body, or refuse with 422."""
    if user_id is None:
        return None
    user = selectors.user_by_id(user_id)
    if user is None:
        raise no_such(field, _("No such user."))
    return user


def path_user(user_id):
    """Return the user named in the path, or answer 404."""
    user = selectors.user_by_id(user_id, active_only=False)
    if user is None:
        raise NotFoundError()
    return user


def with_assignee(data: dict) -> dict:
    """Return the parsed task fields with ``assignee`` turned from an id into a user."""
    if "assignee" in data:
        data = {**data, "assignee": body_user(data["assignee"], field="assignee")}
    return data


# --- projects ----------------------------------------------------------------------------


class ProjectListView(GenericAPIView):
    queryset = Project.objects.none()  # for the schema; requests use the selector
    serializer_class = s.ProjectOutputSerializer
    filterset_class = ProjectFilter
    search_fields = ["name", "description"]
    ordering_fields = [
        "name",
        "status",
        "priority",
        "start_date",
        "end_date",
        "budget",
        "completion",
        "created_at",
        "updated_at",
    ]

    @extend_schema(
        operation_id="projects_list",
        tags=["projects"],
        summary=_("The projects the caller may see"),
        responses={200: s.ProjectOutputSerializer(many=True), 401: E401, 422: E422},
    )
    def get(self, request):
        projects = self.filter_queryset(selectors.projects_visible_to(request.user))
        page = self.paginate_queryset(projects)
        return self.get_paginated_response(s.ProjectOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_create",
        tags=["projects"],
        summary=_("Create a project owned by the caller"),
        request=s.ProjectCreateInputSerializer,
        responses={201: s.ProjectOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request):
        data = parsed(s.ProjectCreateInputSerializer, request)
        if "owner" in data:
            data["owner"] = body_user(data["owner"], field="owner")
        project = services.project_create(actor=request.user, **data)
        project = selectors.project_as_created(project)
        return Response(s.ProjectOutputSerializer(project).data, status=201)


class ProjectDetailView(APIView):
    @extend_schema(
        operation_id="projects_retrieve",
        tags=["projects"],
        responses={200: s.ProjectOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, project_id):
        project = selectors.project_get(request.user, project_id)
        return Response(s.ProjectOutputSerializer(project).data)

    @extend_schema(
        operation_id="projects_partial_update",
        tags=["projects"],
        request=s.ProjectInputSerializer(partial=True),
        responses={200: s.ProjectOutputSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, project_id):
        project = selectors.project_get(request.user, project_id)
        data = parsed(s.ProjectInputSerializer, request, partial=True)
        services.project_update(actor=request.user, project=project, **data)
        project = selectors.project_get(request.user, project_id)
        return Response(s.ProjectOutputSerializer(project).data)

    @extend_schema(
        operation_id="projects_destroy",
        tags=["projects"],
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, project_id):
        project = selectors.project_get(request.user, project_id)
        services.project_delete(actor=request.user, project=project)
        return Response(status=204)


# --- membership ----------------------------------------------------------------------------


class ProjectMemberListView(GenericAPIView):
    filter_backends = []

    @extend_schema(
        operation_id="projects_members_list",
        tags=["projects"],
        summary=_("The project's owner and members with their roles"),
        responses={200: s.MemberOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, project_id):
        project = selectors.project_get(request.user, project_id)
        page = self.paginate_queryset(selectors.project_members(project))
        return self.get_paginated_response(s.MemberOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="projects_members_create",
        tags=["projects"],
        summary=_("Add a member (owner and managers only)"),
        request=s.MemberInputSerializer,
        responses={201: s.MemberOutputSerializer, **WRITE_ERRORS, 409: E409},
    )
    def post(self, request, project_id):
        project = selectors.project_get(request.user, project_id)
        data = parsed(s.MemberInputSerializer, request)
        user = body_user(data["user"], field="user")
        services.project_member_add(
            actor=request.user, project=project, user=user, role=data["role"]
        )
        member = selectors.project_members(project).get(pk=user.pk)
        return Response(s.MemberOutputSerializer(member).data, status=201)


class ProjectMemberDetailView(APIView):
    @extend_schema(
        operation_id="projects_members_partial_update",
        tags=["projects"],
        summary=_("Change a member's role (owner and managers only)"),
        request=s.MemberRoleInputSerializer,
        responses={200: s.MemberOutputSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, project_id, user_id):
        project = selectors.project_get(request.user, project_id)
        user = path_user(user_id)
        data = parsed(s.MemberRoleInputSerializer, request)
        services.project_member_role_change(
            actor=request.user, project=project, user=user, role=data["role"]
        )
        member = selectors.project_members(project).get(pk=user.pk)
        return Response(s.MemberOutputSerializer(member).data)

    @extend_schema(
        operation_id="projects_members_destroy",
        tags=["projects"],
        summary=_("Remove a member (owner and managers; anyone may leave)"),
        responses={204: None, 400: E400, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, project_id, user_id):
        project = selectors.project_get(request.user, project_id)
        user = path_user(user_id)
        services.project_member_remove(actor=request.user, project=project, user=user)
        return Response(status=204)


# --- activity and schedule -----------------------------------------------------------------


class ProjectActivityView(GenericAPIView):
    queryset = Activity.objects.none()
    filter_backends = []

    @extend_schema(
        operation_id="projects_activity_list",
        tags=["projects"],
        summary=_("Who changed what in the project and its tasks, newest first"),
        responses={200: s.ActivityOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, project_id):
        project = selectors.project_get(request.user, project_id)
        page = self.paginate_queryset(selectors.activity_for(project))
        return self.get_paginated_response(s.ActivityOutputSerializer(page, many=True).data)


def schedule_body(planned: selectors.ProjectSchedule) -> dict:
    """Return the schedule as JSON-ready data, in the shape of ScheduleOutputSerializer.

    Written by hand because a 10,000-task schedule spent more time in DRF's per-field
    serialisation than in computing it (docs/PERFORMANCE.md); a test holds the two equal.
    Each id is written once and each distinct number of hours once.
    """
    texts = {task_id: str(task_id) for task_id in planned.tasks}
    written: dict = {}

    def hours_of(value) -> str:
        text = written.get(value)
        if text is None:
            text = written[value] = hours(value)
        return text

    tasks = []
    for item in planned.plan.tasks:
        task = planned.tasks[item.id]
        tasks.append(
            {
                "id": texts[item.id],
                "title": task.title,
                "status": task.status,
                "duration": hours_of(item.duration),
                "depends_on": [texts[task_id] for task_id in item.depends_on],
                "earliest_start": hours_of(item.earliest_start),
                "earliest_finish": hours_of(item.earliest_finish),
                "latest_start": hours_of(item.latest_start),
                "latest_finish": hours_of(item.latest_finish),
                "slack": hours_of(item.slack),
                "critical": item.critical,
            }
        )
    return {
        "project": str(planned.project.pk),
        "tasks": tasks,
        "critical_path": [texts[task_id] for task_id in planned.plan.critical_path],
        "earliest_finish": hours(planned.plan.earliest_finish),
    }


def hours(value) -> str:
    """Return hours as DecimalField(decimal_places=2) writes them."""
    return str(Decimal(value).quantize(Decimal("0.01")))


class ProjectScheduleView(APIView):
    @extend_schema(
        operation_id="projects_schedule",
        tags=["projects"],
        summary=_("The project's tasks in dependency order, with the critical path"),
        description=_(
            "Earliest and latest start and finish of every task in hours from the project's "
            "start (durations are estimated hours), its slack, whether it is critical, one "
            "critical path and the project's earliest finish."
        ),
        responses={200: s.ScheduleOutputSerializer, **READ_ERRORS, 409: E409},
    )
    def get(self, request, project_id):
        project = selectors.project_get(request.user, project_id)
        planned = selectors.project_schedule(project)
        return Response(schedule_body(planned))


# --- tasks -------------------------------------------------------------------------------------


def task_answer(task: Task) -> dict:
    """Return one task as TaskOutputSerializer writes it (``s.task_body``), in one query."""
    waits = selectors.depends_on_ids([task.pk])
    return s.task_body(s.task_row_of(task), waits[task.pk], timezone.get_current_timezone())


class TaskListView(GenericAPIView):
    queryset = Task.objects.none()
    pagination_class = CountedPagination
    serializer_class = s.TaskOutputSerializer
    filterset_class = TaskFilter
    search_fields = ["title", "description"]
    ordering_fields = ["title", "status", "priority", "due_date", "created_at", "updated_at"]

    @extend_schema(
        operation_id="tasks_list",
        tags=["tasks"],
        summary=_("The tasks of the projects the caller may see"),
        responses={200: s.TaskOutputSerializer(many=True), 401: E401, 422: E422},
    )
    def get(self, request):
        tasks = self.filter_queryset(selectors.task_rows_visible_to(request.user))
        page = self.paginator.paginate_counted(
            lambda offset, limit: selectors.task_page(
                tasks, s.TASK_COLUMNS, offset=offset, limit=limit
            ),
            request,
        )
        zone = timezone.get_current_timezone()
        return self.get_paginated_response(
            [s.task_body(row, row["depends_on"], zone) for row in page]
        )

    @extend_schema(
        operation_id="tasks_create",
        tags=["tasks"],
        request=s.TaskCreateInputSerializer,
        responses={201: s.TaskOutputSerializer, **WRITE_ERRORS},
    )
    def post(self, request):
        data = with_assignee(parsed(s.TaskCreateInputSerializer, request))
        project = selectors.named_project(data.pop("project"))
        task = services.task_create(actor=request.user, project=project, **data)
        task = selectors.task_get(request.user, task.pk)
        return Response(s.TaskOutputSerializer(task).data, status=201)


class TaskDetailView(APIView):
    @extend_schema(
        operation_id="tasks_retrieve",
        tags=["tasks"],
        responses={200: s.TaskOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, task_id):
        task = selectors.task_get(request.user, task_id)
        return Response(task_answer(task))

    @extend_schema(
        operation_id="tasks_partial_update",
        tags=["tasks"],
        description=_(
            "Moving a task to done needs every task it depends on to be done: otherwise 400 "
            "business_rule with the blockers in details."
        ),
        request=s.TaskInputSerializer(partial=True),
        responses={200: s.TaskOutputSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, task_id):
        # Access is decided once, by the service at the gate (404 hidden, 403 not editable);
        # a body refused before it reaches the service must not tell a hidden task exists.
        task = selectors.task_row(task_id)
        try:
            data = with_assignee(parsed(s.TaskInputSerializer, request, partial=True))
        except Exception:
            selectors.task_get(request.user, task_id)
            raise
        task = services.task_update(actor=request.user, task=task, **data)
        return Response(task_answer(task))

    @extend_schema(
        operation_id="tasks_destroy",
        tags=["tasks"],
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, task_id):
        task = selectors.task_get(request.user, task_id)
        services.task_delete(actor=request.user, task=task)
        return Response(status=204)


# --- dependencies --------------------------------------------------------------------------


class TaskDependencyListView(GenericAPIView):
    queryset = TaskDependency.objects.none()
    filter_backends = []

    @extend_schema(
        operation_id="tasks_dependencies_list",
        tags=["tasks"],
        summary=_("The tasks this task waits on"),
        responses={200: s.DependencyOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, task_id):
        task = selectors.task_get(request.user, task_id)
        page = self.paginate_queryset(selectors.task_dependencies(task))
        return self.get_paginated_response(s.DependencyOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tasks_dependencies_create",
        tags=["tasks"],
        summary=_("Make this task wait on another"),
        description=_(
            "409 with code cycle_detected and the cycle (task ids, first repeated last) in "
            "details when the dependency would close a cycle."
        ),
        request=s.DependencyInputSerializer,
        responses={201: s.DependencyOutputSerializer, **WRITE_ERRORS, 409: E409},
    )
    def post(self, request, task_id):
        task = selectors.task_get(request.user, task_id)
        data = parsed(s.DependencyInputSerializer, request)
        depends_on = named_object(
            Task, data["depends_on"], field="depends_on", message=_("No such task.")
        )
        dependency = services.task_dependency_add(
            actor=request.user, task=task, depends_on=depends_on
        )
        dependency = selectors.task_dependencies(task).get(pk=dependency.pk)
        return Response(s.DependencyOutputSerializer(dependency).data, status=201)


class TaskDependencyDetailView(APIView):
    @extend_schema(
        operation_id="tasks_dependencies_destroy",
        tags=["tasks"],
        summary=_("Stop this task waiting on another"),
        responses={204: None, 401: E401, 403: E403, 404: E404},
    )
    def delete(self, request, task_id, depends_on_id):
        task = selectors.task_get(request.user, task_id)
        depends_on = selectors.first_or_none(
            selectors.tasks_visible_to(request.user), depends_on_id
        )
        if depends_on is None:
            raise NotFoundError()
        services.task_dependency_remove(actor=request.user, task=task, depends_on=depends_on)
        return Response(status=204)
