"""/api/v1/patterns/schedules/: schedules of patterns by interval or crontab, run as their user."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import Role
from patterns.models import Execution, ExecutionStatus, PatternSchedule
from patterns.services import pattern_schedule_run, pattern_schedule_save
from patterns.tasks import run_scheduled_pattern
from patterns.tests.factories import make_pattern
from projects.models import Task
from projects.tests.factories import ProjectFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]
SCHEDULES = "/api/v1/patterns/schedules/"
NAMED = {"type": "object", "properties": {"who": {"type": "string"}}, "required": ["who"]}


def detail(schedule_id) -> str:
    return f"{SCHEDULES}{schedule_id}/"


def error_of(response) -> dict:
    return response.json()["error"]


@pytest.fixture
def mine(user):
    return make_pattern(user, key="mine", input_schema=NAMED)


@pytest.fixture
def theirs(other_user):
    return make_pattern(other_user, key="theirs", input_schema=NAMED)


def schedule_of(user, pattern, **timing):
    timing = timing or {"every_minutes": 10}
    return pattern_schedule_save(
        actor=user, pattern=pattern, input={"who": "Ada"}, run_as=user, **timing
    )


def tick(schedule, task_id: str, capture) -> Execution | None:
    """Deliver one beat message for ``schedule``, with its id, and run what it starts."""
    with capture(execute=True):
        result = run_scheduled_pattern.apply(
            kwargs={"schedule_id": str(schedule.pk)}, task_id=task_id
        ).get()
    return None if result is None else Execution.objects.get(pk=result)


# --- create -------------------------------------------------------------------------------


def test_a_schedule_by_interval_runs_as_the_caller(auth_client, user, mine):
    response = auth_client.post(
        SCHEDULES,
        {"pattern": "mine", "input": {"who": "Ada"}, "every_minutes": 15},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["pattern"], body["input"], body["run_as"]) == (
        "mine",
        {"who": "Ada"},
        str(user.pk),
    )
    assert (body["every_minutes"], body["crontab"], body["enabled"]) == (15, "", True)
    assert body["last_run_at"] is None
    assert body["recent_runs"] == []
    task = PeriodicTask.objects.get(pk=PatternSchedule.objects.get(pk=body["id"]).periodic_task_id)
    assert (task.interval.every, task.interval.period, task.crontab, task.enabled) == (
        15,
        "minutes",
        None,
        True,
    )


def test_a_schedule_by_crontab_says_when_it_runs_next(auth_client, mine):
    response = auth_client.post(
        SCHEDULES,
        {"pattern": "mine", "input": {"who": "Ada"}, "crontab": "30 7 * * 1-5"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["every_minutes"], body["crontab"]) == (None, "30 7 * * 1-5")
    following = datetime.datetime.fromisoformat(body["next_run_at"]).astimezone(datetime.UTC)
    assert (following.hour, following.minute, following.second) == (7, 30, 0)
    assert following.weekday() < 5
    assert following > datetime.datetime.now(datetime.UTC)
    task = PeriodicTask.objects.get(task="patterns.tasks.run_scheduled_pattern")
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "7", "1-5")
    assert task.interval is None


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "schedule", "Give either an interval"),
        ({"every_minutes": 5, "crontab": "* * * * *"}, "schedule", "Give either an interval"),
        ({"crontab": "61 * * * *"}, "crontab", "Not a valid crontab expression"),
        ({"crontab": "* *"}, "crontab", "Write five fields"),
        ({"every_minutes": 0}, "every_minutes", ""),
        ({"every_minutes": 5, "input": {"who": 3}}, "input", "is not of type"),
        ({"every_minutes": 5, "input": {}}, "input", "required property"),
        ({"every_minutes": 5, "colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_bad_schedules_answer_422_and_save_nothing(auth_client, mine, body, field, words):
    response = auth_client.post(
        SCHEDULES, {"pattern": "mine", "input": {"who": "Ada"}, **body}, format="json"
    )

    assert response.status_code == 422, response.content
    error = error_of(response)
    assert error["code"] == "validation"
    assert field in error["details"]
    assert words in str(error["details"][field])
    assert not PatternSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(task="patterns.tasks.run_scheduled_pattern").exists()


def test_a_pattern_the_caller_may_not_run_is_refused_like_a_missing_one(auth_client, theirs):
    def attempt(key):
        return auth_client.post(
            SCHEDULES, {"pattern": key, "input": {"who": "x"}, "every_minutes": 5}, format="json"
        )

    hidden, missing = attempt("theirs"), attempt("no-such-pattern")

    assert hidden.status_code == missing.status_code == 422
    assert hidden.json() == missing.json()
    assert "pattern" in error_of(hidden)["details"]
    assert not PatternSchedule.objects.exists()


def test_a_guest_may_not_schedule(mine):
    guest = UserFactory(role=Role.GUEST)
    system = make_pattern(None, key="open-to-all", kind="system")

    response = bearer_client(guest).post(
        SCHEDULES, {"pattern": system.key, "every_minutes": 5}, format="json"
    )

    assert response.status_code == 403
    assert not PatternSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(task="patterns.tasks.run_scheduled_pattern").exists()


def test_a_user_may_not_schedule_as_someone_else(auth_client, other_user, mine):
    response = auth_client.post(
        SCHEDULES,
        {
            "pattern": "mine",
            "input": {"who": "x"},
            "every_minutes": 5,
            "run_as": str(other_user.pk),
        },
        format="json",
    )

    assert response.status_code == 403
    assert not PatternSchedule.objects.exists()


def test_a_user_naming_no_one_as_run_as_learns_nothing_about_who_exists(auth_client, mine):
    response = auth_client.post(
        SCHEDULES,
        {
            "pattern": "mine",
            "input": {"who": "x"},
            "every_minutes": 5,
            "run_as": "01900000-0000-7000-8000-000000000000",
        },
        format="json",
    )

    assert response.status_code == 403


def test_staff_may_schedule_as_someone_else(staff_client, other_user, theirs):
    response = staff_client.post(
        SCHEDULES,
        {
            "pattern": "theirs",
            "input": {"who": "x"},
            "every_minutes": 5,
            "run_as": str(other_user.pk),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["run_as"] == str(other_user.pk)
    assert PatternSchedule.objects.get().run_as == other_user


def test_staff_naming_no_active_user_is_a_422(staff_client, theirs):
    response = staff_client.post(
        SCHEDULES,
        {
            "pattern": "theirs",
            "input": {"who": "x"},
            "every_minutes": 5,
            "run_as": "01900000-0000-7000-8000-000000000000",
        },
        format="json",
    )

    assert response.status_code == 422
    assert "run_as" in error_of(response)["details"]


def test_signing_in_is_required(api_client, user, mine):
    schedule = schedule_of(user, mine)

    assert api_client.get(SCHEDULES).status_code == 401
    assert api_client.get(detail(schedule.pk)).status_code == 401


# --- read ---------------------------------------------------------------------------------


def test_the_list_shows_only_the_callers_schedules(auth_client, user, other_user, mine, theirs):
    own = schedule_of(user, mine)
    schedule_of(other_user, theirs)

    response = auth_client.get(SCHEDULES)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(own.pk)]


def test_staff_see_every_schedule(staff_client, user, other_user, mine, theirs):
    schedules = {str(schedule_of(user, mine).pk), str(schedule_of(other_user, theirs).pk)}

    response = staff_client.get(SCHEDULES)

    assert {row["id"] for row in response.json()["results"]} == schedules


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_users_schedule_answers_404(auth_client, other_user, theirs, method):
    schedule = schedule_of(other_user, theirs)

    response = getattr(auth_client, method)(
        detail(schedule.pk), {"enabled": False, "every_minutes": 1}, format="json"
    )

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert (task.enabled, task.interval.every) == (True, 10)


def test_an_id_that_names_nothing_answers_404(auth_client):
    assert auth_client.get(detail("01900000-0000-7000-8000-000000000000")).status_code == 404


def test_the_list_runs_the_same_queries_for_one_schedule_or_many(
    auth_client, user, mine, django_capture_on_commit_callbacks
):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(SCHEDULES, {"limit": 100})
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    first = schedule_of(user, mine)
    tick(first, "first-1", django_capture_on_commit_callbacks)
    few = count_queries()
    for number in range(4):
        schedule = schedule_of(user, mine, every_minutes=number + 1)
        for turn in range(3):
            tick(schedule, f"{number}-{turn}", django_capture_on_commit_callbacks)
    many = count_queries()

    assert (few[1], many[1]) == (1, 5)
    assert few[0] == many[0]


# --- runs ---------------------------------------------------------------------------------


def test_the_scheduled_task_runs_the_pattern_as_the_schedules_user(
    auth_client, user, mine, django_capture_on_commit_callbacks
):
    schedule = schedule_of(user, mine)

    execution = tick(schedule, "beat-1", django_capture_on_commit_callbacks)

    assert execution.started_by == user
    assert execution.input == {"who": "Ada"}
    assert execution.status == ExecutionStatus.SUCCEEDED
    body = auth_client.get(detail(schedule.pk)).json()
    assert [run["id"] for run in body["recent_runs"]] == [str(execution.pk)]
    assert body["recent_runs"][0]["status"] == "succeeded"
    assert body["last_run_at"] is not None


def test_a_beat_message_delivered_twice_starts_one_run(
    user, mine, django_capture_on_commit_callbacks
):
    schedule = schedule_of(user, mine)

    first = tick(schedule, "beat-7", django_capture_on_commit_callbacks)
    again = tick(schedule, "beat-7", django_capture_on_commit_callbacks)
    other = tick(schedule, "beat-8", django_capture_on_commit_callbacks)

    assert first.pk == again.pk
    assert other.pk != first.pk
    assert Execution.objects.count() == 2


def test_every_message_for_one_crontab_tick_finds_the_same_run(
    user, mine, django_capture_on_commit_callbacks
):
    schedule = schedule_of(user, mine, crontab="* * * * *")

    first = tick(schedule, "beat-a", django_capture_on_commit_callbacks)
    second_beat = tick(schedule, "beat-b", django_capture_on_commit_callbacks)

    assert first.pk == second_beat.pk
    assert first.idempotency_key.startswith(f"schedule:{schedule.pk}:")
    assert Execution.objects.count() == 1


def test_a_crontab_schedule_starts_one_run_per_due_minute(user, mine):
    schedule = schedule_of(user, mine, crontab="*/30 * * * *")
    at = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=datetime.UTC)

    def run(minutes, message):
        return pattern_schedule_run(
            schedule_id=schedule.pk,
            message_id=message,
            now=at + datetime.timedelta(minutes=minutes, seconds=5),
        )

    half_past, late_for_half_past, eleven = run(30, "m1"), run(59, "m2"), run(60, "m3")

    assert half_past.pk == late_for_half_past.pk
    assert eleven.pk != half_past.pk
    assert half_past.idempotency_key == f"schedule:{schedule.pk}:20261204T1030Z"
    assert eleven.idempotency_key == f"schedule:{schedule.pk}:20261204T1100Z"


def test_each_schedule_lists_only_the_runs_it_started(
    auth_client, user, mine, django_capture_on_commit_callbacks
):
    one, two = schedule_of(user, mine), schedule_of(user, mine, crontab="0 7 * * *")
    run_of_one = tick(one, "a", django_capture_on_commit_callbacks)
    run_of_two = tick(two, "b", django_capture_on_commit_callbacks)
    auth_client.post("/api/v1/patterns/mine/execute/", {"input": {"who": "x"}}, format="json")

    rows = {row["id"]: row for row in auth_client.get(SCHEDULES).json()["results"]}

    assert [run["id"] for run in rows[str(one.pk)]["recent_runs"]] == [str(run_of_one.pk)]
    assert [run["id"] for run in rows[str(two.pk)]["recent_runs"]] == [str(run_of_two.pk)]


def test_a_schedule_staff_made_for_a_user_runs_with_the_users_access_not_staffs(
    staff_client, staff_user, other_user, django_capture_on_commit_callbacks
):
    staffs = ProjectFactory(owner=staff_user)
    make_pattern(
        None,
        key="add-task",
        kind="system",
        steps=[
            {
                "id": "task",
                "type": "task.create",
                "parameters": {"project": "{{ input.project }}", "title": "Scheduled"},
            }
        ],
        input_schema={"type": "object", "properties": {"project": {"type": "string"}}},
    )
    response = staff_client.post(
        SCHEDULES,
        {
            "pattern": "add-task",
            "input": {"project": str(staffs.pk)},
            "every_minutes": 5,
            "run_as": str(other_user.pk),
        },
        format="json",
    )
    schedule = PatternSchedule.objects.get(pk=response.json()["id"])

    execution = tick(schedule, "as-them", django_capture_on_commit_callbacks)

    assert execution.started_by == other_user
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "not_found"
    assert not Task.objects.exists()


def test_a_paused_schedule_starts_nothing(user, mine, django_capture_on_commit_callbacks):
    schedule = schedule_of(user, mine)
    bearer_client(user).patch(detail(schedule.pk), {"enabled": False}, format="json")

    assert tick(schedule, "late", django_capture_on_commit_callbacks) is None
    assert not Execution.objects.exists()


def test_a_schedule_whose_user_became_a_guest_starts_nothing(
    user, mine, django_capture_on_commit_callbacks
):
    schedule = schedule_of(user, mine)
    user.role = Role.GUEST
    user.save(update_fields=["role"])

    assert tick(schedule, "guest", django_capture_on_commit_callbacks) is None
    assert not Execution.objects.exists()


# --- change, pause, delete ----------------------------------------------------------------


def test_pausing_and_resuming_keeps_the_schedule_and_its_timing(auth_client, user, mine):
    schedule = schedule_of(user, mine, crontab="0 7 * * *")

    paused = auth_client.patch(detail(schedule.pk), {"enabled": False}, format="json")

    assert paused.status_code == 200, paused.content
    assert (paused.json()["enabled"], paused.json()["next_run_at"]) == (False, None)
    assert paused.json()["crontab"] == "0 7 * * *"
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled is False

    resumed = auth_client.patch(detail(schedule.pk), {"enabled": True}, format="json")

    assert resumed.json()["enabled"] is True
    assert resumed.json()["next_run_at"] is not None
    assert PeriodicTask.objects.get(pk=schedule.periodic_task_id).enabled is True


def test_changing_the_input_keeps_a_paused_schedule_paused(auth_client, user, mine):
    schedule = schedule_of(user, mine)
    auth_client.patch(detail(schedule.pk), {"enabled": False}, format="json")

    response = auth_client.patch(detail(schedule.pk), {"input": {"who": "Grace"}}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["input"], response.json()["enabled"]) == ({"who": "Grace"}, False)
    assert response.json()["every_minutes"] == 10


def test_giving_a_crontab_replaces_the_interval_on_the_same_task(auth_client, user, mine):
    schedule = schedule_of(user, mine)

    response = auth_client.patch(detail(schedule.pk), {"crontab": "*/30 * * * *"}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["every_minutes"], response.json()["crontab"]) == (None, "*/30 * * * *")
    task = PeriodicTask.objects.get()
    assert task.pk == schedule.periodic_task_id
    assert (task.interval, task.crontab.minute) == (None, "*/30")


def test_a_bad_change_leaves_the_schedule_as_it_was(auth_client, user, mine):
    schedule = schedule_of(user, mine)

    response = auth_client.patch(
        detail(schedule.pk), {"crontab": "99 * * * *", "input": {"who": "Eve"}}, format="json"
    )

    assert response.status_code == 422
    schedule.refresh_from_db()
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert (schedule.input, task.interval.every, task.crontab) == ({"who": "Ada"}, 10, None)


def test_a_user_may_not_move_their_schedule_to_someone_else(auth_client, user, other_user, mine):
    schedule = schedule_of(user, mine)

    response = auth_client.patch(detail(schedule.pk), {"run_as": str(other_user.pk)}, format="json")

    assert response.status_code == 403
    schedule.refresh_from_db()
    assert schedule.run_as == user


def test_a_user_may_not_point_their_schedule_at_a_pattern_they_cannot_run(
    auth_client, user, mine, theirs
):
    schedule = schedule_of(user, mine)

    response = auth_client.patch(detail(schedule.pk), {"pattern": "theirs"}, format="json")

    assert response.status_code == 422
    schedule.refresh_from_db()
    assert schedule.pattern == mine


def test_deleting_a_schedule_removes_its_periodic_task_and_keeps_its_runs(
    auth_client, user, mine, django_capture_on_commit_callbacks
):
    schedule = schedule_of(user, mine)
    run = tick(schedule, "kept", django_capture_on_commit_callbacks)

    response = auth_client.delete(detail(schedule.pk))

    assert response.status_code == 204
    assert not PatternSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(task="patterns.tasks.run_scheduled_pattern").exists()
    assert Execution.objects.filter(pk=run.pk).exists()
    assert auth_client.get(detail(schedule.pk)).status_code == 404
