"""The triggers API: create, read, change, delete, the runs a trigger started; a trigger is
its owner's (another user's answers 404 everywhere); what a trigger may reach is bounded by
what its owner may see."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import Role
from nexus_site.exceptions import ValidationError
from patterns.models import PatternKind, PatternTrigger
from patterns.tests.factories import make_pattern
from patterns.triggers import firing
from projects import services as projects
from relations.nodes import node_of

pytestmark = pytest.mark.django_db

TRIGGERS = "/api/v1/patterns/triggers/"


@pytest.fixture(autouse=True)
def fresh_type_cache():
    firing.forget_active_types()
    yield
    firing.forget_active_types()


@pytest.fixture
def pattern(user):
    return make_pattern(user, key="on-task")


@pytest.fixture
def project(user):
    return projects.project_create(actor=user, name="Apollo")


def body(pattern, project=None, **extra) -> dict:
    return {
        "name": "Tasks of Apollo",
        "pattern": pattern.key,
        "event_type": "task_created",
        "scope": {"node": str(node_of(project)) if project else "", "with_descendants": True},
        "filter": [{"path": "payload.status", "in": ["todo", "blocked"]}],
        "input_map": {"task": "{{ event.payload.task }}"},
        **extra,
    }


def create(client, pattern, project=None, **extra):
    return client.post(TRIGGERS, body(pattern, project, **extra), format="json")


def test_create_answers_the_trigger_owned_by_the_caller(auth_client, user, pattern, project):
    response = create(auth_client, pattern, project, rate_per_minute=5)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["owner"] == str(user.pk)
    assert data["pattern"] == "on-task"
    assert data["scope"] == {"node": str(node_of(project)), "with_descendants": True}
    assert data["filter"] == [{"path": "payload.status", "in": ["todo", "blocked"]}]
    assert (data["rate_per_minute"], data["is_active"], data["version"]) == (5, True, None)
    assert data["recent_runs"] == []


def test_the_detail_and_runs_list_show_the_runs_it_started(
    auth_client, user, pattern, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # as after a real commit
        trigger_id = create(auth_client, pattern, project).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        projects.task_create(actor=user, project=project, title="First")

    detail = auth_client.get(f"{TRIGGERS}{trigger_id}/").json()
    runs = auth_client.get(f"{TRIGGERS}{trigger_id}/runs/").json()
    assert [run["outcome"] for run in detail["recent_runs"]] == ["started"]
    assert runs["count"] == 1
    assert runs["results"][0]["execution"] == detail["recent_runs"][0]["execution"]
    assert runs["results"][0]["execution_status"] == "succeeded"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_type": "Task Created!"}, "event_type"),
        ({"filter": [{"path": "payload.x"}]}, "filter"),
        ({"filter": [{"path": "a..b", "equals": 1}]}, "filter"),
        ({"filter": {"path": "payload.x", "equals": 1}}, "filter"),
        ({"input_map": {"x": "{{ input.y }}"}}, "input_map"),
        ({"input_map": ["not", "an", "object"]}, "input_map"),
        ({"pattern": "no-such-pattern"}, "pattern"),
        ({"version": 9}, "version"),
        ({"scope": {"node": "projects.project:not-a-uuid"}}, "scope_node"),
        ({"rate_per_minute": 0}, "rate_per_minute"),
    ],
)
def test_bad_input_answers_422_naming_the_field_and_creates_nothing(
    auth_client, pattern, project, change, field
):
    response = auth_client.post(TRIGGERS, {**body(pattern, project), **change}, format="json")

    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["details"]
    assert not PatternTrigger.objects.exists()


def test_a_scope_the_caller_cannot_see_is_refused_like_one_that_does_not_exist(
    auth_client, pattern, other_user
):
    theirs = projects.project_create(actor=other_user, name="Private")
    missing = f"projects.project:{'0' * 8}-0000-7000-8000-{'0' * 12}"

    hidden = create(auth_client, pattern, theirs)
    absent = auth_client.post(
        TRIGGERS, {**body(pattern), "scope": {"node": missing}}, format="json"
    )

    assert hidden.status_code == absent.status_code == 422
    assert hidden.json()["error"]["details"] == absent.json()["error"]["details"]


def test_another_users_pattern_cannot_be_triggered(auth_client, other_user):
    theirs = make_pattern(other_user, key="their-pattern")

    response = create(auth_client, theirs)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"pattern": ["There is no such pattern."]}


def test_another_users_trigger_answers_404_everywhere(auth_client, other_user):
    theirs = create(bearer_client(other_user), make_pattern(other_user, key="theirs")).json()
    url = f"{TRIGGERS}{theirs['id']}/"

    answers = [
        auth_client.get(url).status_code,
        auth_client.patch(url, {"is_active": False}, format="json").status_code,
        auth_client.delete(url).status_code,
        auth_client.get(f"{url}runs/").status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert PatternTrigger.objects.get(pk=theirs["id"]).is_active


def test_moving_the_scope_to_an_object_the_owner_cannot_see_is_refused(
    auth_client, pattern, project, other_user
):
    trigger_id = create(auth_client, pattern, project).json()["id"]
    theirs = projects.project_create(actor=other_user, name="Private")

    response = auth_client.patch(
        f"{TRIGGERS}{trigger_id}/", {"scope": {"node": str(node_of(theirs))}}, format="json"
    )

    assert response.status_code == 422
    assert PatternTrigger.objects.get(pk=trigger_id).scope_node == str(node_of(project))


def test_the_list_shows_only_the_callers_triggers_and_staff_see_all(
    auth_client, pattern, other_user, staff_user
):
    mine = create(auth_client, pattern).json()["id"]
    create(bearer_client(other_user), make_pattern(other_user, key="theirs"))

    listed = auth_client.get(TRIGGERS).json()
    everything = bearer_client(staff_user).get(TRIGGERS).json()

    assert [trigger["id"] for trigger in listed["results"]] == [mine]
    assert everything["count"] == 2


def test_the_list_runs_the_same_number_of_queries_for_1_and_10_triggers(auth_client, pattern):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(TRIGGERS, {"limit": 100})
        return len(queries), response.json()["count"]

    create(auth_client, pattern)
    few = count_queries()
    for _ in range(9):
        create(auth_client, pattern)
    many = count_queries()

    assert (few[1], many[1]) == (1, 10)
    assert few[0] == many[0]


def test_switching_a_disabled_trigger_on_clears_its_reason(auth_client, pattern):
    trigger_id = create(auth_client, pattern).json()["id"]
    PatternTrigger.objects.filter(pk=trigger_id).update(
        is_active=False, disabled_reason="Its owner can no longer see the scope."
    )

    response = auth_client.patch(f"{TRIGGERS}{trigger_id}/", {"is_active": True}, format="json")

    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["disabled_reason"]) == (True, "")


def test_a_guest_cannot_create_triggers_even_for_a_pattern_they_see():
    guest = bearer_client(UserFactory(role=Role.GUEST))
    system = make_pattern(None, kind=PatternKind.SYSTEM, key="seen-by-all")

    response = create(guest, system)

    assert response.status_code == 403
    assert not PatternTrigger.objects.exists()


def test_delete_removes_the_trigger(auth_client, pattern):
    trigger_id = create(auth_client, pattern).json()["id"]

    assert auth_client.delete(f"{TRIGGERS}{trigger_id}/").status_code == 204
    assert not PatternTrigger.objects.exists()


def test_a_pattern_cannot_take_a_reserved_key(auth_client):
    response = auth_client.post(
        "/api/v1/patterns/",
        {
            "key": "triggers",
            "name": "x",
            "definition": {
                "steps": [{"id": "a", "type": "condition", "parameters": {"value": True}}]
            },
        },
        format="json",
    )

    assert response.status_code == 422
    assert "key" in response.json()["error"]["details"]


def test_switching_on_a_trigger_whose_owner_lost_the_scope_is_refused_with_the_reason(
    auth_client, user, pattern, other_user
):
    theirs = projects.project_create(actor=other_user, name="Shared")
    projects.project_member_add(actor=other_user, project=theirs, user=user, role="member")
    trigger_id = create(auth_client, pattern, theirs).json()["id"]
    projects.project_member_remove(actor=other_user, project=theirs, user=user)
    PatternTrigger.objects.filter(pk=trigger_id).update(is_active=False)

    response = auth_client.patch(f"{TRIGGERS}{trigger_id}/", {"is_active": True}, format="json")

    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "is_active": ["Its owner can no longer see the scope."]
    }
    assert not PatternTrigger.objects.get(pk=trigger_id).is_active


def test_a_pattern_the_owner_cannot_see_is_refused_by_the_service_too(user, other_user, pattern):
    from patterns.triggers.services import trigger_create, trigger_update

    theirs = make_pattern(other_user, key="not-mine")
    trigger = trigger_create(actor=user, pattern=pattern, name="x", event_type="task_created")

    with pytest.raises(ValidationError) as refused:
        trigger_update(actor=user, trigger=trigger, pattern=theirs)

    assert refused.value.details == {"pattern": ["There is no such pattern."]}
