"""/api/v1/patterns/{key}/execute|dry-run|stats/, /api/v1/executions/ and the events of a run."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import Role
from nexus_site.events.models import Event
from patterns.models import Execution, ExecutionStatus, PatternKind, StepRun
from patterns.services import pattern_version_publish
from patterns.tasks import run_execution
from patterns.tests.factories import make_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]
EXECUTIONS = "/api/v1/executions/"
CHECK = {"id": "check", "type": "condition", "parameters": {"value": True}}
ANNOUNCE = {
    "id": "announce",
    "type": "event.publish",
    "parameters": {"type": "demo.announced", "payload": {"who": "{{ input.who }}"}},
    "depends_on": ["check"],
}
# Compares the input's x with 1: a number succeeds, a text fails (invalid_comparison).
COMPARE = {
    "id": "compare",
    "type": "condition",
    "parameters": {"left": "{{ input.x }}", "operator": "lt", "right": 1},
}
NAMED = {"type": "object", "properties": {"who": {"type": "string"}}, "required": ["who"]}


def url(pattern, suffix):
    key = pattern if isinstance(pattern, str) else pattern.key
    return f"/api/v1/patterns/{key}/{suffix}"


def execution_url(execution_id, suffix=""):
    return f"{EXECUTIONS}{execution_id}/{suffix}"


def error_code(response):
    return response.json()["error"]["code"]


@pytest.fixture
def announcer(user):
    return make_pattern(user, key="announcer", steps=[CHECK, ANNOUNCE], input_schema=NAMED)


@pytest.fixture
def theirs(other_user):
    return make_pattern(other_user, key="theirs")


@pytest.fixture
def system():
    return make_pattern(None, key="system-one", kind=PatternKind.SYSTEM)


def execute(client, pattern, body=None, **extra):
    return client.post(url(pattern, "execute/"), body or {}, format="json", **extra)


def run(client, pattern, capture, body=None, **extra):
    """Execute and let the eager worker run the execution to its end."""
    with capture(execute=True):
        response = execute(client, pattern, body, **extra)
    assert response.status_code == 202, response.content
    return response.json()["execution"]


# --- execute -------------------------------------------------------------------------------


def test_execute_answers_202_with_a_pending_execution(auth_client, user, announcer):
    response = execute(auth_client, announcer, {"input": {"who": "Ada"}})

    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["pattern"], body["version"]) == ("pending", "announcer", 1)
    assert body["created"] is True
    execution = Execution.objects.get(pk=body["execution"])
    assert (execution.started_by, execution.input) == (user, {"who": "Ada"})


def test_execute_runs_the_pattern_after_commit(
    auth_client, announcer, django_capture_on_commit_callbacks
):
    execution_id = run(
        auth_client, announcer, django_capture_on_commit_callbacks, {"input": {"who": "Ada"}}
    )

    body = auth_client.get(execution_url(execution_id)).json()
    assert body["status"] == "succeeded"
    assert [(step["id"], step["status"]) for step in body["steps"]] == [
        ("check", "succeeded"),
        ("announce", "succeeded"),
    ]
    assert body["steps"][1]["parameters"]["payload"] == {"who": "Ada"}


def test_a_user_may_run_a_system_pattern(auth_client, system):
    assert execute(auth_client, system).status_code == 202


def test_execute_with_the_same_idempotency_key_returns_the_same_execution(auth_client, announcer):
    body = {"input": {"who": "Ada"}, "idempotency_key": "order-42"}

    first = execute(auth_client, announcer, body)
    second = execute(auth_client, announcer, body)

    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["execution"] == second.json()["execution"]
    assert second.json()["created"] is False
    assert Execution.objects.count() == 1


def test_execute_reads_the_idempotency_key_header(auth_client, announcer):
    body = {"input": {"who": "Ada"}}

    first = execute(auth_client, announcer, body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = execute(auth_client, announcer, {**body, "idempotency_key": "k-1"})
    other = execute(auth_client, announcer, body, HTTP_IDEMPOTENCY_KEY="k-2")

    assert first.json()["execution"] == again.json()["execution"]
    assert other.json()["execution"] != first.json()["execution"]


def test_execute_refuses_different_keys_in_body_and_header(auth_client, announcer):
    response = execute(
        auth_client,
        announcer,
        {"input": {"who": "Ada"}, "idempotency_key": "a"},
        HTTP_IDEMPOTENCY_KEY="b",
    )

    assert response.status_code == 422
    assert "idempotency_key" in response.json()["error"]["details"]


def test_execute_with_input_outside_the_schema_answers_422_with_the_problems(
    auth_client, announcer
):
    response = execute(auth_client, announcer, {"input": {"who": 7}})

    assert response.status_code == 422
    assert response.json()["error"]["details"]["input"] == [
        {"path": "who", "message": "7 is not of type 'string'"}
    ]
    assert not Execution.objects.exists()


def test_execute_of_an_inactive_pattern_answers_400(auth_client, announcer):
    auth_client.patch(url(announcer, ""), {"is_active": False}, format="json")

    response = execute(auth_client, announcer, {"input": {"who": "Ada"}})

    assert response.status_code == 400
    assert error_code(response) == "business_rule"


def test_execute_of_an_unknown_version_answers_404(auth_client, announcer):
    response = execute(auth_client, announcer, {"input": {"who": "Ada"}, "version": 9})

    assert response.status_code == 404
    assert not Execution.objects.exists()


@pytest.mark.parametrize("suffix", ["execute/", "dry-run/"])
def test_a_guest_may_not_run_a_pattern(system, suffix):
    guest = bearer_client(UserFactory(role=Role.GUEST))

    response = guest.post(url(system, suffix), {}, format="json")

    assert response.status_code == 403
    assert error_code(response) == "authorization"
    assert not Execution.objects.exists()


def test_execute_with_version_1_after_v2_is_published_runs_v1s_steps(
    auth_client, user, announcer, django_capture_on_commit_callbacks
):
    pattern_version_publish(
        actor=user, pattern=announcer, definition={"steps": [{**CHECK, "id": "v2-only"}]}
    )

    pinned = run(
        auth_client,
        announcer,
        django_capture_on_commit_callbacks,
        {"input": {"who": "Ada"}, "version": 1},
    )
    latest = run(
        auth_client, announcer, django_capture_on_commit_callbacks, {"input": {"who": "Ada"}}
    )

    pinned_body = auth_client.get(execution_url(pinned)).json()
    latest_body = auth_client.get(execution_url(latest)).json()
    assert pinned_body["version"] == 1
    assert [step["id"] for step in pinned_body["steps"]] == ["check", "announce"]
    assert latest_body["version"] == 2
    assert [step["id"] for step in latest_body["steps"]] == ["v2-only"]


def test_a_run_keeps_its_version_when_a_new_one_is_published_before_it_starts(
    auth_client, user, announcer
):
    execution_id = execute(auth_client, announcer, {"input": {"who": "Ada"}}).json()["execution"]
    pattern_version_publish(
        actor=user, pattern=announcer, definition={"steps": [{**CHECK, "id": "v2-only"}]}
    )

    run_execution(execution_id)

    body = auth_client.get(execution_url(execution_id)).json()
    assert (body["version"], body["status"]) == (1, "succeeded")
    assert [step["id"] for step in body["steps"]] == ["check", "announce"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"input": {"who": "Ada"}, "version": "abc"}, "version"),
        ({"input": {"who": "Ada"}, "version": -1}, "version"),
        ({"input": {"who": "Ada"}, "version": 0}, "version"),
        ({"input": {"who": "Ada"}, "version": 10**20}, "version"),
        ({"input": {"who": "Ada"}, "version": 1.5}, "version"),
        ({"input": "who=Ada"}, "input"),
        ({"input": ["Ada"]}, "input"),
        ({"input": {"who": "A\u0000da"}}, "input"),
        ({"input": {"who": "Ada"}, "idempotency_key": "k" * 201}, "idempotency_key"),
        ({"input": {"who": "Ada"}, "idempotency_key": 12}, None),
        ({"input": {"who": "Ada"}, "priority": "high"}, "priority"),
    ],
)
def test_execute_refuses_bad_bodies_with_422(auth_client, announcer, body, field):
    response = execute(auth_client, announcer, body)

    if field is None:  # a number is read as its text: a valid key
        assert response.status_code == 202
        return
    assert response.status_code == 422
    assert field in response.json()["error"]["details"]
    assert not Execution.objects.exists()


def test_execute_refuses_a_huge_idempotency_key_header_with_422(auth_client, announcer):
    response = execute(
        auth_client, announcer, {"input": {"who": "Ada"}}, HTTP_IDEMPOTENCY_KEY="k" * 10_000
    )

    assert response.status_code == 422
    assert "idempotency_key" in response.json()["error"]["details"]


@pytest.mark.parametrize("raw", ["{oops", "[]", "7", "[" * 5000 + "]" * 5000])
def test_execute_answers_4xx_for_malformed_json(auth_client, announcer, raw):
    response = auth_client.post(url(announcer, "execute/"), raw, content_type="application/json")

    assert response.status_code in {400, 422}
    assert "error" in response.json()


# --- dry run -------------------------------------------------------------------------------


def test_dry_run_reports_each_step_and_keeps_nothing(
    auth_client, announcer, django_capture_on_commit_callbacks
):
    events_before = Event.objects.count()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = auth_client.post(
            url(announcer, "dry-run/"), {"input": {"who": "Ada"}}, format="json"
        )

    assert response.status_code == 200
    body = response.json()
    assert (body["pattern"], body["version"], body["status"]) == ("announcer", 1, "succeeded")
    assert [(step["id"], step["type"], step["status"]) for step in body["steps"]] == [
        ("check", "condition", "succeeded"),
        ("announce", "event.publish", "succeeded"),
    ]
    assert body["steps"][0]["output"] == {"result": True}
    assert body["steps"][1]["parameters"]["payload"] == {"who": "Ada"}
    assert body["steps"][1]["attempts"] == 1
    assert not Execution.objects.exists()
    assert not StepRun.objects.exists()
    assert Event.objects.count() == events_before
    assert callbacks == []


def test_dry_run_of_a_composite_pattern_keeps_no_child_execution(
    auth_client, user, system, django_capture_on_commit_callbacks
):
    composite = make_pattern(
        user,
        key="caller",
        steps=[{"id": "call", "type": "pattern.run", "parameters": {"pattern": "system-one"}}],
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(url(composite, "dry-run/"), {}, format="json")

    assert response.json()["status"] == "succeeded"
    assert not Execution.objects.exists()


def test_dry_run_reports_a_failing_step(auth_client, user):
    pattern = make_pattern(user, key="comparer", steps=[COMPARE])

    response = auth_client.post(url(pattern, "dry-run/"), {"input": {"x": "text"}}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    assert response.json()["steps"][0]["error"]["code"] == "invalid_comparison"
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"input": {"who": 1}}, 422),
        ({"input": {"who": "Ada"}, "version": 5}, 404),
        ({"input": {"who": "Ada"}, "version": "abc"}, 422),
        ({"input": {"who": "Ada"}, "nothing": True}, 422),
    ],
)
def test_dry_run_refuses_what_execute_refuses(auth_client, announcer, body, status):
    response = auth_client.post(url(announcer, "dry-run/"), body, format="json")

    assert response.status_code == status


# --- stats ---------------------------------------------------------------------------------


def test_stats_count_runs_successes_and_failures_by_step(
    auth_client, user, django_capture_on_commit_callbacks
):
    pattern = make_pattern(user, key="comparer", steps=[COMPARE])
    for x in (0, 0, 0, "text"):
        run(auth_client, pattern, django_capture_on_commit_callbacks, {"input": {"x": x}})

    response = auth_client.get(url(pattern, "stats/"))

    assert response.status_code == 200
    body = response.json()
    assert (body["runs"], body["succeeded"], body["success_rate"]) == (4, 3, 0.75)
    assert body["failures_by_step"] == {"compare": 1}
    assert body["p50_ms"] is not None
    assert body["p95_ms"] >= body["p50_ms"]
    assert [(row["version"], row["runs"]) for row in body["versions"]] == [(1, 4)]


def test_stats_of_one_version(auth_client, user, django_capture_on_commit_callbacks):
    pattern = make_pattern(user, key="comparer", steps=[COMPARE])
    run(auth_client, pattern, django_capture_on_commit_callbacks, {"input": {"x": 0}})
    pattern_version_publish(actor=user, pattern=pattern, definition={"steps": [CHECK]})
    run(auth_client, pattern, django_capture_on_commit_callbacks)
    run(auth_client, pattern, django_capture_on_commit_callbacks)

    everything = auth_client.get(url(pattern, "stats/")).json()
    first = auth_client.get(url(pattern, "stats/"), {"version": 1}).json()

    assert everything["runs"] == 3
    assert [(row["version"], row["runs"]) for row in everything["versions"]] == [(2, 2), (1, 1)]
    assert first["runs"] == 1


@pytest.mark.parametrize(("version", "status"), [("abc", 422), ("-1", 422), ("7", 404)])
def test_stats_refuse_a_bad_or_unknown_version(auth_client, announcer, version, status):
    response = auth_client.get(url(announcer, "stats/"), {"version": version})

    assert response.status_code == status


def test_stats_of_a_system_pattern_count_only_the_callers_runs(
    auth_client, user, other_user, system, django_capture_on_commit_callbacks
):
    """Everybody runs a system pattern: its figures for a user are of their own runs, for
    staff of everyone's."""
    theirs = bearer_client(other_user)
    for _ in range(3):
        run(theirs, system, django_capture_on_commit_callbacks)
    run(auth_client, system, django_capture_on_commit_callbacks)
    staff = bearer_client(UserFactory(role=Role.MANAGER))

    mine = auth_client.get(url(system, "stats/")).json()
    others = theirs.get(url(system, "stats/")).json()
    everyone = staff.get(url(system, "stats/"), HTTP_X_SOURCE="admin").json()

    assert (mine["runs"], others["runs"], everyone["runs"]) == (1, 3, 4)
    assert [(row["version"], row["runs"]) for row in mine["versions"]] == [(1, 1)]


# --- access to another user's pattern ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("post", "execute/"), ("post", "dry-run/"), ("get", "stats/"), ("post", "validate/")],
)
def test_another_users_pattern_answers_404(auth_client, theirs, method, suffix):
    response = getattr(auth_client, method)(
        url(theirs, suffix), {"definition": {"steps": [CHECK]}}, format="json"
    )

    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert not Execution.objects.exists()


# --- executions ----------------------------------------------------------------------------


def test_executions_list_shows_only_the_callers_runs(auth_client, system, other_user):
    mine = execute(auth_client, system).json()["execution"]
    execute(bearer_client(other_user), system)

    response = auth_client.get(EXECUTIONS)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine]


def test_staff_see_every_execution(staff_client, auth_client, system, other_user):
    execute(auth_client, system)
    execute(bearer_client(other_user), system)

    assert staff_client.get(EXECUTIONS).json()["count"] == 2


def test_executions_list_filters_by_pattern_and_status(
    auth_client, announcer, system, django_capture_on_commit_callbacks
):
    done = run(auth_client, system, django_capture_on_commit_callbacks)
    waiting = execute(auth_client, announcer, {"input": {"who": "Ada"}}).json()["execution"]

    by_pattern = auth_client.get(EXECUTIONS, {"pattern": "announcer"}).json()["results"]
    by_status = auth_client.get(EXECUTIONS, {"status": "succeeded"}).json()["results"]

    assert [row["id"] for row in by_pattern] == [waiting]
    assert [row["id"] for row in by_status] == [done]
    assert by_status[0]["pattern"] == "system-one"


def test_executions_list_refuses_an_unknown_status_with_422(auth_client, system):
    execute(auth_client, system)

    response = auth_client.get(EXECUTIONS, {"status": "exploded"})

    assert response.status_code == 422
    assert "status" in response.json()["error"]["details"]


def test_executions_list_runs_the_same_number_of_queries_for_1_and_12_runs(
    auth_client, announcer, system
):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(EXECUTIONS, {"limit": 100})
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    execute(auth_client, system)
    few = count_queries()
    for number in range(11):
        pattern = announcer if number % 2 else system
        execute(auth_client, pattern, {"input": {"who": "Ada"}})
    many = count_queries()

    assert (few[1], many[1]) == (1, 12)
    assert few[0] == many[0]


def test_execution_detail_shows_steps_with_timings(
    auth_client, user, announcer, django_capture_on_commit_callbacks
):
    execution_id = run(
        auth_client, announcer, django_capture_on_commit_callbacks, {"input": {"who": "Ada"}}
    )

    response = auth_client.get(execution_url(execution_id))

    assert response.status_code == 200
    body = response.json()
    assert (body["pattern"], body["version"], body["status"]) == ("announcer", 1, "succeeded")
    assert (body["input"], body["error"], body["started_by"]) == (
        {"who": "Ada"},
        None,
        str(user.pk),
    )
    assert body["duration_ms"] >= 0
    assert body["parent_execution"] is None
    step = body["steps"][0]
    assert set(step) == {
        "id",
        "type",
        "status",
        "attempts",
        "parameters",
        "output",
        "error",
        "failures",
        "started_at",
        "finished_at",
        "duration_ms",
        "compensated_at",
        "compensation_error",
        "child_executions",
    }
    assert (step["attempts"], step["output"], step["failures"]) == (1, {"result": True}, [])
    assert step["started_at"] <= step["finished_at"]
    assert step["duration_ms"] >= 0


def test_execution_detail_shows_a_failure(auth_client, user, django_capture_on_commit_callbacks):
    pattern = make_pattern(user, key="comparer", steps=[COMPARE])
    execution_id = run(
        auth_client, pattern, django_capture_on_commit_callbacks, {"input": {"x": "text"}}
    )

    body = auth_client.get(execution_url(execution_id)).json()

    assert body["status"] == "failed"
    assert body["error"]["step"] == "compare"
    assert body["steps"][0]["error"]["code"] == "invalid_comparison"
    assert [failure["attempt"] for failure in body["steps"][0]["failures"]] == [1]


def test_execution_detail_links_the_child_run_of_a_composite_step(
    auth_client, user, system, django_capture_on_commit_callbacks
):
    composite = make_pattern(
        user,
        key="caller",
        steps=[{"id": "call", "type": "pattern.run", "parameters": {"pattern": "system-one"}}],
    )
    execution_id = run(auth_client, composite, django_capture_on_commit_callbacks)

    parent = auth_client.get(execution_url(execution_id)).json()
    (child_id,) = parent["steps"][0]["child_executions"]
    child = auth_client.get(execution_url(child_id)).json()

    assert parent["status"] == "succeeded"
    assert (child["pattern"], child["parent_execution"]) == ("system-one", execution_id)


def test_execution_detail_of_another_users_run_answers_404(auth_client, other_user, system):
    theirs = execute(bearer_client(other_user), system).json()["execution"]

    response = auth_client.get(execution_url(theirs))

    assert response.status_code == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize("execution_id", ["not-a-uuid", "01234567-89ab-7def-8123-456789abcdef"])
def test_execution_detail_of_an_unknown_id_answers_404(auth_client, execution_id):
    assert auth_client.get(execution_url(execution_id)).status_code == 404


# --- cancel --------------------------------------------------------------------------------


def test_cancel_of_a_pending_run_answers_202_and_stops_it(
    auth_client, announcer, django_capture_on_commit_callbacks
):
    execution_id = execute(auth_client, announcer, {"input": {"who": "Ada"}}).json()["execution"]

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(execution_url(execution_id, "cancel/"))

    assert response.status_code == 202
    assert response.json()["cancel_requested"] is True
    body = auth_client.get(execution_url(execution_id)).json()
    assert body["status"] == "cancelled"
    assert {step["status"] for step in body["steps"]} == {"skipped"}


def test_cancel_of_a_finished_run_answers_409(
    auth_client, system, django_capture_on_commit_callbacks
):
    execution_id = run(auth_client, system, django_capture_on_commit_callbacks)

    response = auth_client.post(execution_url(execution_id, "cancel/"))

    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"status": "succeeded"}


def test_cancel_of_another_users_run_answers_404(auth_client, other_user, system):
    theirs = execute(bearer_client(other_user), system).json()["execution"]

    response = auth_client.post(execution_url(theirs, "cancel/"))

    assert response.status_code == 404
    assert not Execution.objects.get(pk=theirs).cancel_requested


def test_cancel_of_a_composite_child_answers_400(
    auth_client, user, system, django_capture_on_commit_callbacks
):
    composite = make_pattern(
        user,
        key="caller",
        steps=[
            {"id": "call", "type": "pattern.run", "parameters": {"pattern": "system-one"}},
        ],
    )
    parent = run(auth_client, composite, django_capture_on_commit_callbacks)
    child = Execution.objects.get(parent_step__execution_id=parent)
    Execution.objects.filter(pk=child.pk).update(status=ExecutionStatus.RUNNING)

    response = auth_client.post(execution_url(child.pk, "cancel/"))

    assert response.status_code == 400
    assert error_code(response) == "business_rule"


# --- events --------------------------------------------------------------------------------


def test_the_events_of_a_run_are_listed_in_order_for_the_runner_only(
    auth_client, other_user, announcer, django_capture_on_commit_callbacks
):
    execution_id = run(
        auth_client, announcer, django_capture_on_commit_callbacks, {"input": {"who": "Ada"}}
    )

    response = auth_client.get("/api/v1/events/", {"pattern": "announcer"})
    theirs = bearer_client(other_user).get("/api/v1/events/", {"pattern": "announcer"})

    events = response.json()["results"]
    assert [event["type"] for event in events] == [
        "pattern_started",
        "step_succeeded",
        "custom.demo.announced",
        "step_succeeded",
        "pattern_executed",
    ]
    assert [event["payload"].get("step") for event in events[1:4]] == [
        "check",
        "announce",
        "announce",
    ]
    assert {event["payload"]["execution"] for event in events} == {execution_id}
    assert events[2]["payload"]["who"] == "Ada"
    assert theirs.json()["results"] == []


# --- input schemas with references ---------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        {"$defs": {"name": {"type": "string"}}, "properties": {"who": {"$ref": "#/$defs/name"}}},
        {
            "$defs": {"name": {"$anchor": "nm", "type": "string"}},
            "properties": {"who": {"$ref": "#nm"}},
        },
        {
            "$id": "https://example.com/schemas/input",
            "$defs": {"name": {"type": "string"}},
            "properties": {"who": {"$ref": "#/$defs/name"}},
        },
    ],
)
def test_an_input_schema_may_reference_itself(auth_client, user, schema):
    pattern = make_pattern(user, key="referencing", input_schema=schema)

    wrong = execute(auth_client, pattern, {"input": {"who": 7}})
    right = execute(auth_client, pattern, {"input": {"who": "Ada"}})

    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"]["input"][0]["path"] == "who"
    assert right.status_code == 202


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "http://127.0.0.1:9/schema.json"},
        {"properties": {"who": {"$ref": "#/$defs/missing"}}},
        {"$dynamicRef": "#meta"},
        {"$id": "urn:example:input", "$ref": "other"},
    ],
)
def test_an_input_schema_referencing_outside_itself_is_refused_with_422(auth_client, user, schema):
    pattern = make_pattern(user, key="referencing")

    created = auth_client.post(
        "/api/v1/patterns/",
        {"key": "new", "name": "New", "definition": {"steps": [CHECK]}, "input_schema": schema},
        format="json",
    )
    patched = auth_client.patch(url(pattern, ""), {"input_schema": schema}, format="json")

    assert (created.status_code, patched.status_code) == (422, 422)
    assert "input_schema" in created.json()["error"]["details"]


def test_a_stored_schema_with_a_dangling_reference_answers_422_without_fetching(
    auth_client, user, monkeypatch
):
    pattern = make_pattern(user, key="old")
    # Saved before references were checked (straight to the database).
    type(pattern).objects.filter(pk=pattern.pk).update(
        input_schema={"$ref": "http://127.0.0.1:9/schema.json"}
    )

    def no_network(*args, **kwargs):
        raise AssertionError("the schema's reference was fetched")

    monkeypatch.setattr("urllib.request.urlopen", no_network)

    response = execute(auth_client, pattern, {"input": {}})

    assert response.status_code == 422
    assert response.json()["error"]["details"]["input"][0]["path"] == ""
    assert not Execution.objects.exists()


# --- deleting a pattern that has runs ------------------------------------------------------


def test_delete_removes_a_pattern_with_finished_runs(
    auth_client, announcer, django_capture_on_commit_callbacks
):
    execution_id = run(
        auth_client, announcer, django_capture_on_commit_callbacks, {"input": {"who": "Ada"}}
    )

    response = auth_client.delete(url(announcer, ""))

    assert response.status_code == 204
    assert auth_client.get(execution_url(execution_id)).status_code == 404


def test_delete_of_a_pattern_with_a_run_still_going_answers_409(auth_client, announcer):
    execute(auth_client, announcer, {"input": {"who": "Ada"}})

    response = auth_client.delete(url(announcer, ""))

    assert response.status_code == 409
    assert auth_client.get(url(announcer, "")).status_code == 200


# A regex that backtracks catastrophically on a long string that does not match: Python's re
# would take minutes; the input check gives up after its time limit.
SLOW_REGEX = "^(a|aa)+$"
SLOW_TEXT = "a" * 60 + "b"


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"properties": {"who": {"type": "string", "pattern": SLOW_REGEX}}}, {"who": SLOW_TEXT}),
        ({"patternProperties": {SLOW_REGEX: {"type": "string"}}}, {SLOW_TEXT: "x"}),
    ],
    ids=["pattern", "patternProperties"],
)
def test_a_regex_that_runs_out_of_time_is_a_422_problem_and_starts_nothing(
    auth_client, user, settings, schema, value
):
    settings.PATTERNS_INPUT_REGEX_TIMEOUT_SECONDS = 0.05
    pattern = make_pattern(user, key="slow-regex", input_schema=schema)

    response = execute(auth_client, pattern, {"input": value})

    assert response.status_code == 422
    problems = response.json()["error"]["details"]["input"]
    assert problems == [
        {
            "path": problems[0]["path"],
            "message": f"Checking the value against the pattern {SLOW_REGEX} took too long.",
        }
    ]
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    ("value", "accepted"),
    [({"who": "Ada", "n-1": 1}, True), ({"who": "ada"}, False), ({"n-x": "one"}, False)],
)
def test_input_regexes_still_match_and_refuse_as_json_schema_says(
    auth_client, user, value, accepted
):
    schema = {
        "properties": {"who": {"type": "string", "pattern": "^[A-Z]"}},
        "patternProperties": {"^n-": {"type": "integer"}},
    }
    pattern = make_pattern(user, key="regexes", input_schema=schema)

    response = execute(auth_client, pattern, {"input": value})

    assert response.status_code == (202 if accepted else 422), response.content
