"""/api/v1/tasks/ and /api/v1/tasks/{id}/dependencies/."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole
from projects.models import Task, TaskDependency, TaskStatus
from projects.tests.factories import (
    ProjectFactory,
    TaskDependencyFactory,
    TaskFactory,
    add_member,
)

pytestmark = pytest.mark.django_db
LIST = "/api/v1/tasks/"


def detail(task, suffix=""):
    return f"/api/v1/tasks/{task.pk}/{suffix}"


@pytest.fixture
def project(user):
    return ProjectFactory(owner=user, name="Apollo")


@pytest.fixture
def task(project):
    return TaskFactory(project=project, title="Design")


def error_code(response):
    return response.json()["error"]["code"]


# --- list ------------------------------------------------------------------------------------


def test_list_shows_tasks_of_visible_projects_only(auth_client, task):
    TaskFactory(title="Someone else's")

    response = auth_client.get(LIST)

    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == ["Design"]


@pytest.fixture
def assorted(user, project):
    member = add_member(project)
    other_project = ProjectFactory(owner=user, name="Other")
    TaskFactory(
        project=project,
        title="Alpha report",
        priority="high",
        due_date=datetime.date(2026, 1, 10),
        tags=["docs"],
    )
    TaskFactory(
        project=project,
        title="Beta build",
        status=TaskStatus.IN_PROGRESS,
        assignee=member,
        due_date=datetime.date(2026, 2, 10),
        tags=["code", "docs"],
    )
    TaskFactory(
        project=other_project,
        title="Gamma",
        description="write the report",
        due_date=datetime.date(2026, 3, 10),
    )
    return {"member": member, "other_project": other_project}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "in_progress"}, ["Beta build"]),
        ({"priority": "high"}, ["Alpha report"]),
        ({"tag": "docs"}, ["Alpha report", "Beta build"]),
        ({"tag": "code"}, ["Beta build"]),
        ({"due_before": "2026-02-10"}, ["Alpha report", "Beta build"]),
        ({"due_after": "2026-02-11"}, ["Gamma"]),
        ({"search": "report"}, ["Alpha report", "Gamma"]),
        ({"ordering": "-due_date"}, ["Gamma", "Beta build", "Alpha report"]),
        ({"ordering": "-title", "limit": 2}, ["Gamma", "Beta build"]),
    ],
)
def test_list_filters_searches_and_orders(auth_client, assorted, query, expected):
    response = auth_client.get(LIST, query)

    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == expected


def test_list_filters_by_project_and_assignee(auth_client, assorted):
    by_project = auth_client.get(LIST, {"project": str(assorted["other_project"].pk)})
    by_assignee = auth_client.get(LIST, {"assignee": str(assorted["member"].pk)})

    assert [row["title"] for row in by_project.json()["results"]] == ["Gamma"]
    assert [row["title"] for row in by_assignee.json()["results"]] == ["Beta build"]


@pytest.mark.parametrize(
    "query", [{"status": "exploded"}, {"project": "nope"}, {"due_before": "soon"}]
)
def test_list_refuses_a_bad_filter_with_422(auth_client, task, query):
    response = auth_client.get(LIST, query)

    assert response.status_code == 422


def test_list_runs_the_same_number_of_queries_for_2_and_20_tasks(auth_client, project):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(LIST, {"limit": 100})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    def add_pairs(number):
        for _ in range(number):
            TaskDependencyFactory(task__project=project, task__assignee=project.owner)

    add_pairs(1)
    few = count_queries()
    add_pairs(9)
    many = count_queries()

    assert (few[1], many[1]) == (2, 20)
    assert few[0] == many[0]


# --- create ----------------------------------------------------------------------------------


def test_create_returns_the_task_with_its_fields(auth_client, user, project):
    member = add_member(project)

    response = auth_client.post(
        LIST,
        {
            "project": str(project.pk),
            "title": "Write",
            "assignee": str(member.pk),
            "priority": "critical",
            "estimated_hours": "2.5",
            "due_date": "2026-06-01",
            "tags": ["docs", " docs ", "review"],
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["assignee"] == str(member.pk)
    assert body["reporter"] == str(user.pk)
    assert body["estimated_hours"] == "2.50"
    assert body["tags"] == ["docs", "review"]
    assert body["status"] == "todo"
    assert body["completed_at"] is None
    assert body["depends_on"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "exploded"}, "status"),
        ({"estimated_hours": "-1"}, "estimated_hours"),
        ({"actual_hours": "-0.5"}, "actual_hours"),
        ({"tags": "docs"}, "tags"),
        ({"tags": ["docs", 3]}, "tags"),
        ({"tags": [["nested"]]}, "tags"),
        ({"title": ""}, "title"),
        ({"project": "not-a-uuid"}, "project"),
        ({"assignee": "00000000-0000-0000-0000-000000000000"}, "assignee"),
    ],
)
def test_create_refuses_bad_input_with_422(auth_client, project, payload, field):
    body = {"project": str(project.pk), "title": "Write", **payload}

    response = auth_client.post(LIST, body, format="json")

    assert response.status_code == 422
    assert field in response.json()["error"]["details"]
    assert not Task.objects.exists()


def test_create_refuses_an_assignee_who_is_not_a_member(auth_client, project):
    stranger = UserFactory()

    response = auth_client.post(
        LIST,
        {"project": str(project.pk), "title": "Write", "assignee": str(stranger.pk)},
        format="json",
    )

    assert response.status_code == 422
    assert "assignee" in response.json()["error"]["details"]


def test_create_in_an_invisible_project_answers_422_naming_project(auth_client):
    theirs = ProjectFactory()

    response = auth_client.post(LIST, {"project": str(theirs.pk), "title": "X"}, format="json")

    assert response.status_code == 422
    assert "project" in response.json()["error"]["details"]
    assert not Task.objects.exists()


def test_guest_member_may_not_create_tasks(project):
    guest = add_member(project, role=MemberRole.GUEST)

    response = bearer_client(guest).post(
        LIST, {"project": str(project.pk), "title": "X"}, format="json"
    )

    assert response.status_code == 403
    assert not Task.objects.exists()


# --- read, change, delete -----------------------------------------------------------------------


def test_retrieve_lists_what_the_task_depends_on(auth_client, project, task):
    before = TaskFactory(project=project)
    TaskDependencyFactory(task=task, depends_on=before)

    body = auth_client.get(detail(task)).json()

    assert body["depends_on"] == [str(before.pk)]
    assert body["project"] == str(project.pk)


@pytest.mark.parametrize("suffix", ["", "dependencies/"])
def test_another_users_task_answers_404(auth_client, suffix):
    theirs = TaskFactory()

    assert auth_client.get(detail(theirs, suffix)).status_code == 404
    assert auth_client.patch(detail(theirs), {"title": "Mine"}, format="json").status_code == 404
    assert auth_client.delete(detail(theirs)).status_code == 404
    assert Task.objects.filter(pk=theirs.pk, title=theirs.title).exists()


def test_patch_moves_a_task_to_done_and_sets_completed_at(auth_client, task):
    response = auth_client.patch(detail(task), {"status": "done"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "done"
    assert response.json()["completed_at"] is not None


def test_patch_ignores_a_client_sent_completed_at(auth_client, task):
    response = auth_client.patch(
        detail(task), {"completed_at": "2020-01-01T00:00:00Z"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["completed_at"] is None


def test_patch_to_done_while_blocked_answers_400_naming_blockers(auth_client, project, task):
    blocker = TaskFactory(project=project, title="Blocker")
    TaskDependencyFactory(task=task, depends_on=blocker)

    response = auth_client.patch(
        detail(task), {"status": "done", "title": "Renamed"}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "business_rule"
    assert error["details"]["blockers"] == [
        {"id": str(blocker.pk), "status": "todo", "title": "Blocker"}
    ]
    task.refresh_from_db()
    assert (task.status, task.title) == (TaskStatus.TODO, "Design")


def test_patch_unassigns_with_null(auth_client, project):
    member = add_member(project)
    task = TaskFactory(project=project, assignee=member)

    response = auth_client.patch(detail(task), {"assignee": None}, format="json")

    assert response.status_code == 200
    assert response.json()["assignee"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "nope"}, "status"),
        ({"actual_hours": "-3"}, "actual_hours"),
        ({"tags": {"a": 1}}, "tags"),
        ({"due_date": "2026-13-45"}, "due_date"),
        ({"assignee": "nope"}, "assignee"),
    ],
)
def test_patch_refuses_bad_input_with_422(auth_client, task, payload, field):
    response = auth_client.patch(detail(task), payload, format="json")

    assert response.status_code == 422
    assert field in response.json()["error"]["details"]


def test_patch_answers_400_for_malformed_json(auth_client, task):
    response = auth_client.patch(detail(task), "{not json", content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_guest_member_may_read_but_not_change_a_task(project, task):
    guest = add_member(project, role=MemberRole.GUEST)
    client = bearer_client(guest)

    assert client.get(detail(task)).status_code == 200
    response = client.patch(detail(task), {"status": "done"}, format="json")

    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.TODO


def test_member_may_change_a_task(project, task):
    member = add_member(project)

    response = bearer_client(member).patch(detail(task), {"title": "Draw"}, format="json")

    assert response.status_code == 200
    assert response.json()["title"] == "Draw"


def test_delete_removes_the_task(auth_client, task):
    response = auth_client.delete(detail(task))

    assert response.status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()


# --- dependencies ------------------------------------------------------------------------------


def test_add_dependency_answers_201_and_lists_it(auth_client, project, task):
    before = TaskFactory(project=project, title="Research")

    response = auth_client.post(
        detail(task, "dependencies/"), {"depends_on": str(before.pk)}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["depends_on"] == str(before.pk)
    listed = auth_client.get(detail(task, "dependencies/")).json()
    assert [(row["depends_on"], row["title"]) for row in listed["results"]] == [
        (str(before.pk), "Research")
    ]


def test_dependency_closing_a_cycle_answers_409_with_the_cycle(auth_client, project):
    first, second, third = (TaskFactory(project=project) for _ in range(3))
    TaskDependencyFactory(task=second, depends_on=first)
    TaskDependencyFactory(task=third, depends_on=second)

    response = auth_client.post(
        detail(first, "dependencies/"), {"depends_on": str(third.pk)}, format="json"
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "cycle_detected"
    cycle = error["details"]["cycle"]
    assert set(cycle) == {str(first.pk), str(second.pk), str(third.pk)}
    assert cycle[0] == cycle[-1]
    assert TaskDependency.objects.count() == 2


@pytest.mark.parametrize("depends_on", ["self", "nope", "00000000-0000-0000-0000-000000000000"])
def test_add_dependency_refuses_bad_targets_with_422(auth_client, task, depends_on):
    value = str(task.pk) if depends_on == "self" else depends_on

    response = auth_client.post(detail(task, "dependencies/"), {"depends_on": value}, format="json")

    assert response.status_code == 422
    assert "depends_on" in response.json()["error"]["details"]


def test_add_dependency_on_an_invisible_task_answers_422(auth_client, task):
    theirs = TaskFactory()

    response = auth_client.post(
        detail(task, "dependencies/"), {"depends_on": str(theirs.pk)}, format="json"
    )

    assert response.status_code == 422
    assert not TaskDependency.objects.exists()


def test_add_duplicate_dependency_answers_409(auth_client, project, task):
    before = TaskFactory(project=project)
    TaskDependencyFactory(task=task, depends_on=before)

    response = auth_client.post(
        detail(task, "dependencies/"), {"depends_on": str(before.pk)}, format="json"
    )

    assert response.status_code == 409


def test_guest_may_not_add_dependencies(project, task):
    guest = add_member(project, role=MemberRole.GUEST)
    before = TaskFactory(project=project)

    response = bearer_client(guest).post(
        detail(task, "dependencies/"), {"depends_on": str(before.pk)}, format="json"
    )

    assert response.status_code == 403


def test_remove_dependency_answers_204(auth_client, project, task):
    before = TaskFactory(project=project)
    TaskDependencyFactory(task=task, depends_on=before)

    response = auth_client.delete(detail(task, f"dependencies/{before.pk}/"))

    assert response.status_code == 204
    assert not TaskDependency.objects.exists()


def test_remove_missing_dependency_answers_404(auth_client, project, task):
    other = TaskFactory(project=project)

    response = auth_client.delete(detail(task, f"dependencies/{other.pk}/"))

    assert response.status_code == 404


def test_dependencies_of_another_users_task_answer_404(auth_client):
    theirs = TaskDependencyFactory()

    response = auth_client.delete(detail(theirs.task, f"dependencies/{theirs.depends_on_id}/"))

    assert response.status_code == 404
    assert TaskDependency.objects.filter(pk=theirs.pk).exists()


def test_dependency_list_runs_the_same_number_of_queries_for_2_and_20(auth_client, project, task):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(detail(task, "dependencies/"), {"limit": 100})
        assert response.status_code == 200
        return len(queries)

    for _ in range(2):
        TaskDependencyFactory(task=task, depends_on=TaskFactory(project=project))
    few = count_queries()
    for _ in range(18):
        TaskDependencyFactory(task=task, depends_on=TaskFactory(project=project))
    assert count_queries() == few


def test_list_past_the_last_page_keeps_the_count_and_the_links(auth_client, project):
    TaskFactory.create_batch(3, project=project)

    body = auth_client.get(LIST, {"limit": 2, "offset": 10}).json()

    assert (body["count"], body["results"], body["next"]) == (3, [], None)
    assert "offset=8" in body["previous"]


def test_list_pages_keep_the_count_of_all_matching_tasks(auth_client, project):
    TaskFactory.create_batch(3, project=project, status=TaskStatus.TODO)
    TaskFactory(project=project, status=TaskStatus.DONE)

    body = auth_client.get(LIST, {"status": "todo", "limit": 2, "offset": 2}).json()

    assert (body["count"], len(body["results"]), body["next"]) == (3, 1, None)


def test_list_gives_each_task_its_dependency_ids_oldest_first(auth_client, project, task):
    first, second = TaskFactory(project=project), TaskFactory(project=project)
    TaskDependency.objects.create(task=task, depends_on=second)
    TaskDependency.objects.create(task=task, depends_on=first)

    rows = auth_client.get(LIST, {"limit": 100}).json()["results"]

    waits = {row["id"]: row["depends_on"] for row in rows}
    assert waits[str(task.pk)] == [str(second.pk), str(first.pk)]
    assert waits[str(first.pk)] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one-statement page")
def test_list_reads_count_page_and_dependencies_in_one_statement_on_postgresql(
    auth_client, project
):
    TaskDependencyFactory(task__project=project)

    with CaptureQueriesContext(connection) as queries:
        body = auth_client.get(LIST, {"limit": 100}).json()

    task_reads = [q["sql"] for q in queries if '"projects_task"' in q["sql"]]
    assert body["count"] == 2
    assert len(task_reads) == 1
    assert "OVER ()" in task_reads[0]
