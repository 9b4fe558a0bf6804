"""The task list, detail and update write TaskOutputSerializer's shape by hand (task_body):
the answers must equal the serializer's output for the same tasks, and access is decided as
before (once, without building the caller's whole visible set)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nexus_site.definitions.enums import MemberRole
from projects.api import serializers as s
from projects.models import Task, TaskStatus
from projects.selectors import depends_on_ids, tasks_visible_to
from projects.tests.factories import (
    ProjectFactory,
    TaskDependencyFactory,
    TaskFactory,
    add_member,
)

pytestmark = pytest.mark.django_db
LIST = "/api/v1/tasks/"


@pytest.fixture
def tasks(user):
    """Tasks with every field set one way or another: nulls, decimals, dates, tags, waits."""
    project = ProjectFactory(owner=user)
    member = add_member(project, MemberRole.MEMBER)
    plain = TaskFactory(project=project, title="Plain", estimated_hours=None)
    full = TaskFactory(
        project=project,
        title="Full «ü»",
        description="Several\nlines",
        assignee=member,
        status=TaskStatus.DONE,
        priority="critical",
        estimated_hours=Decimal("12.5"),
        actual_hours=Decimal("3"),
        due_date=datetime.date(2027, 2, 28),
        tags=["alpha", "beta"],
    )
    waiting = TaskFactory(project=project, title="Waiting", estimated_hours=Decimal("0"))
    TaskDependencyFactory(task=waiting, depends_on=full)
    TaskDependencyFactory(task=waiting, depends_on=plain)
    return [plain, full, waiting]


def serialized(user, task_ids) -> list[dict]:
    """Return what TaskOutputSerializer writes for these tasks, read as the selector reads them."""
    by_id = {task.pk: task for task in tasks_visible_to(user).filter(pk__in=task_ids)}
    return [dict(s.TaskOutputSerializer(by_id[task_id]).data) for task_id in task_ids]


def test_task_body_equals_the_serializer_for_the_same_tasks(user, tasks):
    ids = [task.pk for task in tasks]
    rows = Task.objects.filter(pk__in=ids).order_by("created_at", "id").values(*s.TASK_COLUMNS)
    waits = depends_on_ids(ids)

    bodies = [s.task_body(row, waits[row["id"]], timezone.get_current_timezone()) for row in rows]

    assert bodies == serialized(user, ids)


def test_task_body_writes_times_in_the_current_time_zone_as_the_serializer_does(user, tasks):
    ids = [task.pk for task in tasks]
    with timezone.override("America/New_York"):
        rows = Task.objects.filter(pk__in=ids).order_by("created_at", "id").values(*s.TASK_COLUMNS)
        waits = depends_on_ids(ids)
        bodies = [
            s.task_body(row, waits[row["id"]], timezone.get_current_timezone()) for row in rows
        ]
        expected = serialized(user, ids)

    assert bodies == expected
    assert bodies[1]["completed_at"].endswith("-05:00")


def test_list_answers_what_the_serializer_writes(auth_client, user, tasks):
    response = auth_client.get(LIST, {"limit": 50})

    results = response.json()["results"]
    assert results == serialized(user, [task.pk for task in tasks])
    assert results[2]["depends_on"] == [str(tasks[1].pk), str(tasks[0].pk)]


def test_detail_answers_what_the_serializer_writes(auth_client, user, tasks):
    response = auth_client.get(f"{LIST}{tasks[2].pk}/")

    assert response.json() == serialized(user, [tasks[2].pk])[0]


def test_update_answers_what_the_serializer_writes_after_it(auth_client, user, tasks):
    response = auth_client.patch(
        f"{LIST}{tasks[2].pk}/",
        {"title": "Renamed", "estimated_hours": "7", "due_date": "2027-03-01", "tags": ["x"]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == serialized(user, [tasks[2].pk])[0]
    assert response.json()["estimated_hours"] == "7.00"


def test_update_without_a_change_answers_the_task_as_it_is(auth_client, user, tasks):
    response = auth_client.patch(f"{LIST}{tasks[1].pk}/", {"title": "Full «ü»"}, format="json")

    assert response.status_code == 200
    assert response.json() == serialized(user, [tasks[1].pk])[0]


@pytest.mark.parametrize(
    "body", [{"status": "exploded"}, {"assignee": "00000000-0000-0000-0000-000000000000"}, {}]
)
def test_update_of_another_users_task_answers_404_whatever_the_body(auth_client, body):
    theirs = TaskFactory(title="Theirs")

    response = auth_client.patch(f"{LIST}{theirs.pk}/", body, format="json")

    assert response.status_code == 404
    assert Task.objects.get(pk=theirs.pk).title == "Theirs"


def test_update_with_a_bad_body_of_a_visible_task_still_answers_422(auth_client, tasks):
    response = auth_client.patch(f"{LIST}{tasks[0].pk}/", {"status": "exploded"}, format="json")

    assert response.status_code == 422


def test_update_by_a_guest_answers_403(api_client, tasks):
    guest = add_member(tasks[0].project, MemberRole.GUEST)
    api_client.force_authenticate(guest)

    response = api_client.patch(f"{LIST}{tasks[0].pk}/", {"title": "No"}, format="json")

    assert response.status_code == 403


def test_detail_queries_do_not_grow_with_the_projects_the_caller_sees(auth_client, user, tasks):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(f"{LIST}{tasks[2].pk}/")
        assert response.status_code == 200
        return len(queries)

    few = count_queries()
    for _ in range(5):
        TaskFactory(project=ProjectFactory(owner=user))

    assert count_queries() == few


def test_update_queries_do_not_grow_with_the_projects_the_caller_sees(auth_client, user, tasks):
    def count_queries(title):
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.patch(f"{LIST}{tasks[2].pk}/", {"title": title}, format="json")
        assert response.status_code == 200
        return len(queries)

    # Both counts after a first update and after the factories have run once: in the whole
    # suite an update before them ran one statement more, twice, whatever another test had left
    # in a process-wide cache; the claim is that more projects add none.
    count_queries("Warm")
    TaskFactory(project=ProjectFactory(owner=user))
    few = count_queries("One")
    for _ in range(5):
        TaskFactory(project=ProjectFactory(owner=user))

    assert count_queries("Two") == few


def test_a_bad_filter_is_refused_in_each_callers_language(auth_client, tasks):
    english = auth_client.get(LIST, {"status": "exploded"}, HTTP_ACCEPT_LANGUAGE="en")
    german = auth_client.get(LIST, {"status": "exploded"}, HTTP_ACCEPT_LANGUAGE="de")
    again = auth_client.get(LIST, {"status": "exploded"}, HTTP_ACCEPT_LANGUAGE="en")

    assert english.status_code == german.status_code == 422
    assert english.json()["error"]["details"] == again.json()["error"]["details"]
    assert english.json()["error"]["details"] != german.json()["error"]["details"]
