"""/api/v1/projects/: list, create, read, change, delete; members; activity; schedule."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole, Role
from projects import services
from projects.api.serializers import ScheduleOutputSerializer
from projects.models import Activity, Project, ProjectStatus, TaskStatus
from projects.tests.factories import (
    ProjectFactory,
    TaskDependencyFactory,
    TaskFactory,
    add_member,
)

pytestmark = pytest.mark.django_db
LIST = "/api/v1/projects/"


def detail(project, suffix=""):
    return f"/api/v1/projects/{project.pk}/{suffix}"


@pytest.fixture
def project(user):
    return ProjectFactory(owner=user, name="Apollo")


def error_code(response):
    return response.json()["error"]["code"]


# --- list ------------------------------------------------------------------------------------


def test_list_shows_own_and_member_projects_but_not_others(auth_client, user, project):
    shared = ProjectFactory(name="Shared")
    add_member(shared, user=user)
    ProjectFactory(name="Hidden")

    response = auth_client.get(LIST)

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert {row["name"] for row in response.json()["results"]} == {"Apollo", "Shared"}


def test_list_row_carries_derived_completion_and_owner(auth_client, user, project):
    TaskFactory(project=project, estimated_hours=Decimal("3"), status=TaskStatus.DONE)
    TaskFactory(project=project, estimated_hours=Decimal("1"))

    row = auth_client.get(LIST).json()["results"][0]

    assert row["completion"] == 75
    assert row["owner"] == str(user.pk)
    assert row["task_count"] == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "active"}, ["Beta"]),
        ({"priority": "high"}, ["Gamma"]),
        ({"search": "rocket"}, ["Alpha"]),
        ({"ordering": "-name"}, ["Gamma", "Beta", "Alpha"]),
        ({"ordering": "start_date"}, ["Gamma", "Alpha", "Beta"]),
        ({"ordering": "completion,name"}, ["Alpha", "Gamma", "Beta"]),
        ({"limit": 1, "offset": 1, "ordering": "name"}, ["Beta"]),
    ],
)
def test_list_filters_searches_orders_and_paginates(auth_client, user, query, expected):
    ProjectFactory(
        owner=user, name="Alpha", description="A rocket", start_date=datetime.date(2026, 2, 1)
    )
    beta = ProjectFactory(
        owner=user, name="Beta", status=ProjectStatus.ACTIVE, start_date=datetime.date(2026, 3, 1)
    )
    TaskFactory(project=beta, status=TaskStatus.DONE)
    ProjectFactory(owner=user, name="Gamma", priority="high", start_date=datetime.date(2026, 1, 1))

    response = auth_client.get(LIST, query)

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == expected


def test_list_filters_by_owner(auth_client, user, project):
    other = ProjectFactory(name="Theirs")
    add_member(other, user=user)

    response = auth_client.get(LIST, {"owner": str(other.owner_id)})

    assert [row["name"] for row in response.json()["results"]] == ["Theirs"]


@pytest.mark.parametrize("query", [{"status": "exploded"}, {"owner": "not-a-uuid"}])
def test_list_refuses_a_bad_filter_with_422(auth_client, project, query):
    response = auth_client.get(LIST, query)

    assert response.status_code == 422
    assert error_code(response) == "validation"


def test_list_runs_the_same_number_of_queries_for_2_and_20_projects(auth_client, user):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(LIST, {"limit": 100})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    for _ in range(2):
        TaskFactory(project=ProjectFactory(owner=user))
    few = count_queries()
    for _ in range(18):
        TaskFactory(project=ProjectFactory(owner=user))
    many = count_queries()

    assert (few[1], many[1]) == (2, 20)
    assert few[0] == many[0]


def test_list_needs_authentication(api_client):
    response = api_client.get(LIST)

    assert response.status_code == 401
    assert error_code(response) == "authentication"


# --- create ----------------------------------------------------------------------------------


def test_create_makes_the_caller_owner(auth_client, user):
    response = auth_client.post(
        LIST,
        {"name": "New", "status": "active", "budget": "1200.50", "start_date": "2026-01-01"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == str(user.pk)
    assert body["completion"] == 0
    assert body["budget"] == "1200.50"
    assert Project.objects.get(pk=body["id"]).owner == user


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "status": "exploded"}, "status"),
        ({"name": "X", "start_date": "2026-05-01", "end_date": "2026-04-01"}, "end_date"),
        ({"name": "X", "budget": "-1"}, "budget"),
        ({"name": ""}, "name"),
        ({"name": "X", "start_date": "yesterday"}, "start_date"),
    ],
)
def test_create_refuses_bad_input_with_422_and_keeps_nothing(auth_client, payload, field):
    response = auth_client.post(LIST, payload, format="json")

    assert response.status_code == 422
    assert field in response.json()["error"]["details"]
    assert not Project.objects.exists()


def test_create_answers_400_for_malformed_json(auth_client):
    response = auth_client.post(LIST, '{"name": ', content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_staff_may_create_a_project_for_someone_else(staff_client, other_user):
    response = staff_client.post(
        LIST, {"name": "Theirs", "owner": str(other_user.pk)}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["owner"] == str(other_user.pk)


def test_a_user_may_not_create_a_project_for_someone_else(auth_client, other_user):
    response = auth_client.post(
        LIST, {"name": "Theirs", "owner": str(other_user.pk)}, format="json"
    )

    assert response.status_code == 403
    assert not Project.objects.exists()


def test_create_is_refused_to_a_guest_account(db):
    guest = UserFactory(role=Role.GUEST)

    response = bearer_client(guest).post(LIST, {"name": "X"}, format="json")

    assert response.status_code == 403
    assert not Project.objects.exists()


# --- read, change, delete -----------------------------------------------------------------------


def test_retrieve_answers_the_project(auth_client, project):
    response = auth_client.get(detail(project))

    assert response.status_code == 200
    assert response.json()["name"] == "Apollo"


@pytest.mark.parametrize("suffix", ["", "members/", "activity/", "schedule/"])
def test_another_users_project_answers_404_everywhere(auth_client, suffix):
    theirs = ProjectFactory()

    response = auth_client.get(detail(theirs, suffix))

    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_another_users_project_cannot_be_changed_or_deleted(auth_client):
    theirs = ProjectFactory(name="Theirs")

    assert auth_client.patch(detail(theirs), {"name": "Mine"}, format="json").status_code == 404
    assert auth_client.delete(detail(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_a_bad_uuid_in_the_path_answers_404(auth_client):
    response = auth_client.get("/api/v1/projects/not-a-uuid/")

    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_patch_changes_fields_and_records_activity(auth_client, user, project):
    response = auth_client.patch(
        detail(project), {"status": "active", "priority": "high"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert set(Activity.objects.filter(project=project).values_list("field", flat=True)) >= {
        "status",
        "priority",
    }


def test_patch_end_before_start_answers_422_and_changes_nothing(auth_client, project):
    project.start_date = "2026-05-01"
    project.save()

    response = auth_client.patch(
        detail(project), {"end_date": "2026-04-01", "name": "Renamed"}, format="json"
    )

    assert response.status_code == 422
    assert "end_date" in response.json()["error"]["details"]
    project.refresh_from_db()
    assert project.name == "Apollo"
    assert project.end_date is None


def test_guest_member_may_read_but_not_change_a_project(project):
    guest = add_member(project, role=MemberRole.GUEST)
    client = bearer_client(guest)

    assert client.get(detail(project)).status_code == 200
    response = client.patch(detail(project), {"name": "Mine"}, format="json")

    assert response.status_code == 403
    assert error_code(response) == "authorization"


def test_delete_by_owner_removes_the_project(auth_client, project):
    response = auth_client.delete(detail(project))

    assert response.status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()


def test_delete_by_plain_member_answers_403(project):
    member = add_member(project)

    response = bearer_client(member).delete(detail(project))

    assert response.status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


# --- members -----------------------------------------------------------------------------------


def test_members_lists_owner_first_with_roles(auth_client, user, project):
    guest = add_member(project, role=MemberRole.GUEST)

    response = auth_client.get(detail(project, "members/"))

    assert response.status_code == 200
    assert [(row["user"], row["role"]) for row in response.json()["results"]] == [
        (str(user.pk), "owner"),
        (str(guest.pk), "guest"),
    ]


def test_owner_adds_a_member_with_a_role(auth_client, project):
    newcomer = UserFactory()

    response = auth_client.post(
        detail(project, "members/"), {"user": str(newcomer.pk), "role": "manager"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["role"] == "manager"
    assert response.json()["user"] == str(newcomer.pk)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"user": "00000000-0000-0000-0000-000000000000"}, "user"),
        ({"user": "nope"}, "user"),
        ({"user": None}, "user"),
        ({"role": "emperor"}, "role"),
    ],
)
def test_adding_a_member_refuses_bad_input_with_422(auth_client, project, payload, field):
    payload = {"user": str(UserFactory().pk), **payload}

    response = auth_client.post(detail(project, "members/"), payload, format="json")

    assert response.status_code == 422
    assert field in response.json()["error"]["details"]


def test_adding_an_existing_member_answers_409(auth_client, project):
    member = add_member(project)

    response = auth_client.post(
        detail(project, "members/"), {"user": str(member.pk)}, format="json"
    )

    assert response.status_code == 409


def test_plain_member_may_not_add_members(project):
    member = add_member(project)

    response = bearer_client(member).post(
        detail(project, "members/"), {"user": str(UserFactory().pk)}, format="json"
    )

    assert response.status_code == 403
    assert error_code(response) == "authorization"


def test_owner_changes_a_members_role(auth_client, project):
    member = add_member(project)

    response = auth_client.patch(
        detail(project, f"members/{member.pk}/"), {"role": "guest"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["role"] == "guest"


def test_non_manager_may_not_change_roles(project):
    member, other = add_member(project), add_member(project)

    response = bearer_client(member).patch(
        detail(project, f"members/{other.pk}/"), {"role": "manager"}, format="json"
    )

    assert response.status_code == 403


def test_changing_the_role_of_a_non_member_answers_404(auth_client, project):
    response = auth_client.patch(
        detail(project, f"members/{UserFactory().pk}/"), {"role": "guest"}, format="json"
    )

    assert response.status_code == 404


def test_changing_the_owners_role_answers_400(auth_client, user, project):
    response = auth_client.patch(
        detail(project, f"members/{user.pk}/"), {"role": "guest"}, format="json"
    )

    assert response.status_code == 400
    assert error_code(response) == "business_rule"


def test_manager_removes_a_member(project):
    manager, member = add_member(project, role=MemberRole.MANAGER), add_member(project)

    response = bearer_client(manager).delete(detail(project, f"members/{member.pk}/"))

    assert response.status_code == 204
    assert bearer_client(member).get(detail(project)).status_code == 404


def test_guest_may_not_remove_another_member(project):
    guest, member = add_member(project, role=MemberRole.GUEST), add_member(project)

    response = bearer_client(guest).delete(detail(project, f"members/{member.pk}/"))

    assert response.status_code == 403


# --- activity --------------------------------------------------------------------------------


def test_activity_lists_changes_newest_first_with_who_and_what(auth_client, user, project):
    services.project_update(actor=user, project=project, name="Apollo 2")
    task = TaskFactory(project=project)
    services.task_update(actor=user, task=task, status=TaskStatus.IN_PROGRESS)

    response = auth_client.get(detail(project, "activity/"), {"limit": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    newest = body["results"][0]
    assert newest["field"] == "status"
    assert (newest["old"], newest["new"]) == ("todo", "in_progress")
    assert newest["actor"] == str(user.pk)
    assert newest["task"] == str(task.pk)
    assert body["results"][1]["field"] == "name"


def test_activity_is_paginated(auth_client, user, project):
    for index in range(3):
        services.project_update(actor=user, project=project, name=f"Name {index}")

    body = auth_client.get(detail(project, "activity/"), {"limit": 2}).json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None


def test_activity_runs_the_same_number_of_queries_for_2_and_20_rows(auth_client, user, project):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(detail(project, "activity/"), {"limit": 100})
        assert response.status_code == 200
        return len(queries)

    for index in range(2):
        services.project_update(actor=user, project=project, name=f"Name {index}")
    few = count_queries()
    for index in range(18):
        services.project_update(actor=user, project=project, name=f"Other {index}")
    assert count_queries() == few


def test_members_runs_the_same_number_of_queries_for_2_and_20_members(auth_client, project):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(detail(project, "members/"), {"limit": 100})
        assert response.status_code == 200
        return len(queries)

    add_member(project)
    few = count_queries()
    for _ in range(19):
        add_member(project)
    assert count_queries() == few


# --- schedule ----------------------------------------------------------------------------------


def test_schedule_orders_tasks_and_marks_the_critical_path(auth_client, project):
    design = TaskFactory(project=project, title="Design", estimated_hours=Decimal("4"))
    build = TaskFactory(project=project, title="Build", estimated_hours=Decimal("8"))
    docs = TaskFactory(project=project, title="Docs", estimated_hours=Decimal("2"))
    TaskDependencyFactory(task=build, depends_on=design)
    TaskDependencyFactory(task=docs, depends_on=design)

    response = auth_client.get(detail(project, "schedule/"))

    assert response.status_code == 200
    body = response.json()
    order = [row["id"] for row in body["tasks"]]
    assert order.index(str(design.pk)) < order.index(str(build.pk))
    assert body["critical_path"] == [str(design.pk), str(build.pk)]
    assert Decimal(body["earliest_finish"]) == 12
    rows = {row["title"]: row for row in body["tasks"]}
    assert rows["Docs"]["critical"] is False
    assert Decimal(rows["Docs"]["slack"]) == 6
    assert Decimal(rows["Build"]["earliest_start"]) == 4
    assert rows["Build"]["critical"] is True
    assert rows["Build"]["depends_on"] == [str(design.pk)]


def test_schedule_body_is_exactly_what_its_documented_serializer_writes(auth_client, project):
    first = TaskFactory(project=project, estimated_hours=Decimal("1.5"))
    second = TaskFactory(project=project, estimated_hours=None)
    TaskDependencyFactory(task=second, depends_on=first)

    body = auth_client.get(detail(project, "schedule/")).json()

    assert body == json.loads(json.dumps(ScheduleOutputSerializer(body).data))
    assert body["tasks"][0]["duration"] == "1.50"


def test_schedule_of_an_empty_project_finishes_at_zero(auth_client, project):
    body = auth_client.get(detail(project, "schedule/")).json()

    assert body["tasks"] == []
    assert body["critical_path"] == []
    assert Decimal(body["earliest_finish"]) == 0


def test_schema_describes_the_projects_endpoints(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    paths = response.json()["paths"]
    for path in (
        "/api/v1/projects/",
        "/api/v1/projects/{project_id}/members/{user_id}/",
        "/api/v1/projects/{project_id}/activity/",
        "/api/v1/projects/{project_id}/schedule/",
        "/api/v1/tasks/{task_id}/dependencies/",
        "/api/v1/tasks/{task_id}/dependencies/{depends_on_id}/",
    ):
        assert path in paths
    assert "409" in paths["/api/v1/tasks/{task_id}/dependencies/"]["post"]["responses"]
