"""Pattern services: definitions and versions, input checks, dry runs, composites, the store."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from nexus_site.events.models import Event
from nexus_site.exceptions import (
    AuthorizationError,
    BusinessRuleError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from patterns import store
from patterns.models import (
    Execution,
    ExecutionStatus,
    PatternKind,
    PatternVersion,
    StepRun,
    StepStatus,
)
from patterns.selectors import pattern_stats
from patterns.services import (
    execution_start,
    pattern_create,
    pattern_dry_run,
    pattern_update,
    pattern_version_publish,
)
from patterns.tests.conftest import FAIL, FLAKY, RECORD, labels
from patterns.tests.factories import make_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_steps")]


def record(step_id: str, **extra) -> dict:
    return {"id": step_id, "type": RECORD, "parameters": {"label": step_id}, **extra}


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    def start(pattern, actor, input=None, **options) -> Execution:
        with django_capture_on_commit_callbacks(execute=True):
            execution, _created = execution_start(
                actor=actor, pattern=pattern, input=input or {}, **options
            )
        execution.refresh_from_db()
        return execution

    return start


# --- definitions and versions ---------------------------------------------------------------


def test_an_invalid_definition_is_refused_with_every_problem(user):
    definition = {
        "steps": [
            {"id": "a", "type": "no.such.type"},
            {"id": "a", "type": RECORD, "parameters": {}},
            {"id": "b", "type": RECORD, "parameters": {"label": "x"}, "depends_on": ["ghost"]},
        ]
    }

    with pytest.raises(ValidationError) as caught:
        pattern_create(actor=user, key="broken", name="Broken", definition=definition)

    codes = {problem["code"] for problem in caught.value.details["problems"]}
    assert {"unknown_step_type", "duplicate_step_id", "unknown_dependency"} <= codes
    assert not PatternVersion.objects.filter(pattern__key="broken").exists()


def test_a_composite_calling_itself_through_another_pattern_is_refused(staff_user):
    pattern_create(
        actor=staff_user,
        key="inner",
        name="Inner",
        kind=PatternKind.COMPOSITE,
        definition={"steps": [record("only")]},
    )
    pattern_create(
        actor=staff_user,
        key="outer",
        name="Outer",
        kind=PatternKind.COMPOSITE,
        definition={
            "steps": [{"id": "call", "type": "pattern.run", "parameters": {"pattern": "inner"}}]
        },
    )
    inner = PatternVersion.objects.get(pattern__key="inner").pattern

    with pytest.raises(ValidationError) as caught:
        pattern_version_publish(
            actor=staff_user,
            pattern=inner,
            definition={
                "steps": [{"id": "back", "type": "pattern.run", "parameters": {"pattern": "outer"}}]
            },
        )

    assert [p["code"] for p in caught.value.details["problems"]] == ["pattern_recursion"]


def test_publishing_the_same_definition_makes_no_new_version(user):
    pattern = make_pattern(user, steps=[record("a")])

    same = pattern_version_publish(actor=user, pattern=pattern, definition={"steps": [record("a")]})
    changed = pattern_version_publish(
        actor=user, pattern=pattern, definition={"steps": [record("a"), record("b")]}
    )

    assert same.number == 1
    assert changed.number == 2
    assert pattern.versions.count() == 2
    assert same.checksum != changed.checksum


def test_only_staff_create_system_patterns(user):
    with pytest.raises(AuthorizationError):
        pattern_create(
            actor=user,
            key="sys",
            name="Sys",
            kind=PatternKind.SYSTEM,
            definition={"steps": [record("a")]},
        )


def test_a_user_cannot_change_someone_elses_pattern(user, other_user):
    pattern = make_pattern(user)

    with pytest.raises(AuthorizationError):
        pattern_update(actor=other_user, pattern=pattern, name="Mine now")


def test_a_taken_key_is_a_conflict(user, other_user):
    make_pattern(user, key="same")

    with pytest.raises(ConflictError):
        make_pattern(other_user, key="same")


def test_an_input_schema_must_be_a_json_schema(user):
    with pytest.raises(ValidationError) as caught:
        make_pattern(user, input_schema={"type": "no-such-type"})

    assert "input_schema" in caught.value.details


# --- starting runs --------------------------------------------------------------------------


def test_input_not_matching_the_schema_is_refused_and_nothing_is_created(user):
    pattern = make_pattern(
        user,
        input_schema={
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"],
        },
    )

    with pytest.raises(ValidationError) as caught:
        execution_start(actor=user, pattern=pattern, input={"n": "seven"})

    assert caught.value.details["input"][0]["path"] == "n"
    assert not Execution.objects.exists()


def test_an_inactive_pattern_does_not_run(user):
    pattern = make_pattern(user)
    pattern_update(actor=user, pattern=pattern, is_active=False)

    with pytest.raises(BusinessRuleError):
        execution_start(actor=user, pattern=pattern, input={})


def test_an_unknown_version_is_not_found(user):
    with pytest.raises(NotFoundError):
        execution_start(actor=user, pattern=make_pattern(user), input={}, version=9)


def test_guests_may_not_run_patterns(user, db):
    from accounts.tests.factories import UserFactory
    from nexus_site.definitions.enums import Role

    guest = UserFactory(role=Role.GUEST)

    with pytest.raises(AuthorizationError):
        execution_start(actor=guest, pattern=make_pattern(None, kind=PatternKind.SYSTEM), input={})


# --- dry runs -------------------------------------------------------------------------------


def test_a_dry_run_reports_every_step_and_keeps_nothing(user):
    pattern = make_pattern(
        user,
        steps=[
            record("a"),
            {"id": "pause", "type": "wait", "parameters": {"seconds": 3600}, "depends_on": ["a"]},
            {
                "id": "shout",
                "type": "event.publish",
                "parameters": {"type": "hello", "payload": {"from": "{{ steps.a.output.label }}"}},
                "depends_on": ["pause"],
            },
        ],
    )
    before = (Event.objects.count(), Execution.objects.count(), StepRun.objects.count())

    report = pattern_dry_run(actor=user, pattern=pattern, input={})

    assert report["status"] == ExecutionStatus.SUCCEEDED
    assert [(step["id"], step["status"]) for step in report["steps"]] == [
        ("a", "succeeded"),
        ("pause", "succeeded"),
        ("shout", "succeeded"),
    ]
    assert report["steps"][2]["parameters"] == {"type": "hello", "payload": {"from": "a"}}
    assert (Event.objects.count(), Execution.objects.count(), StepRun.objects.count()) == before


def test_a_dry_run_shows_the_failure_it_would_meet(user):
    pattern = make_pattern(
        user, steps=[record("a"), {"id": "boom", "type": FAIL, "depends_on": ["a"]}]
    )

    report = pattern_dry_run(actor=user, pattern=pattern, input={})

    assert report["status"] == ExecutionStatus.FAILED
    assert report["error"]["step"] == "boom"
    assert not Execution.objects.exists()
    assert labels("test_done") == []


# --- composites -----------------------------------------------------------------------------


def test_a_composite_runs_another_pattern_as_one_step(staff_user, start):
    make_pattern(
        None,
        key="child",
        kind=PatternKind.SYSTEM,
        input_schema={"type": "object", "properties": {"who": {"type": "string"}}},
        steps=[{"id": "greet", "type": RECORD, "parameters": {"label": "hi {{ input.who }}"}}],
    )
    parent = make_pattern(
        None,
        key="parent",
        kind=PatternKind.COMPOSITE,
        steps=[
            {
                "id": "call",
                "type": "pattern.run",
                "parameters": {"pattern": "child", "input": {"who": "ada"}},
            },
            record("after", depends_on=["call"]),
        ],
    )

    execution = start(parent, staff_user)

    call = execution.steps.get(step_id="call")
    child = Execution.objects.get(parent_step=call)
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert child.status == ExecutionStatus.SUCCEEDED
    assert call.output["execution"] == str(child.pk)
    assert call.output["steps"]["greet"]["label"] == "hi ada"
    assert labels("test_done") == ["hi ada", "after"]


def test_a_failing_child_fails_the_composite_step_and_leaves_nothing(staff_user, start):
    make_pattern(
        None,
        key="bad-child",
        kind=PatternKind.SYSTEM,
        steps=[record("kept"), {"id": "boom", "type": FAIL, "depends_on": ["kept"]}],
    )
    parent = make_pattern(
        None,
        key="bad-parent",
        kind=PatternKind.COMPOSITE,
        steps=[{"id": "call", "type": "pattern.run", "parameters": {"pattern": "bad-child"}}],
    )

    execution = start(parent, staff_user)

    call = execution.steps.get(step_id="call")
    assert execution.status == ExecutionStatus.FAILED
    assert call.error["code"] == "pattern_failed"
    assert not Execution.objects.filter(parent_step=call).exists()
    assert labels("test_done") == []


def test_compensating_a_composite_undoes_the_child_steps(staff_user, start):
    make_pattern(
        None,
        key="undoable",
        kind=PatternKind.SYSTEM,
        steps=[record("x", compensation=True), record("y", compensation=True, depends_on=["x"])],
    )
    parent = make_pattern(
        None,
        key="undo-parent",
        kind=PatternKind.COMPOSITE,
        steps=[
            {
                "id": "call",
                "type": "pattern.run",
                "parameters": {"pattern": "undoable"},
                "compensation": True,
            },
            {"id": "boom", "type": FAIL, "depends_on": ["call"], "on_error": "compensate"},
        ],
    )

    execution = start(parent, staff_user)

    assert execution.status == ExecutionStatus.COMPENSATED
    assert labels("test_undone") == ["y", "x"]
    child = Execution.objects.get(parent_step__execution=execution)
    assert set(child.steps.values_list("status", flat=True)) == {StepStatus.COMPENSATED}


def test_a_user_pattern_of_someone_else_cannot_be_called(user, other_user, start):
    make_pattern(other_user, key="private-child", steps=[record("secret")])
    parent = make_pattern(
        user,
        steps=[{"id": "call", "type": "pattern.run", "parameters": {"pattern": "private-child"}}],
    )

    execution = start(parent, user)

    assert execution.status == ExecutionStatus.FAILED
    assert execution.steps.get().error["code"] == "not_found"
    assert labels("test_done") == []


# --- statistics -----------------------------------------------------------------------------


def test_statistics_count_runs_success_rate_durations_and_failing_steps(user, start):
    pattern = make_pattern(
        user,
        input_schema={"type": "object", "properties": {"fail": {"type": "integer"}}},
        steps=[
            {"id": "maybe", "type": FLAKY, "parameters": {"fail_times": "{{ input.fail }}"}},
        ],
    )
    for fail in (0, 0, 0, 5):
        start(pattern, user, {"fail": fail})
    pattern_version_publish(actor=user, pattern=pattern, definition={"steps": [record("v2")]})
    start(pattern, user)

    stats = pattern_stats(pattern)
    first = pattern_stats(pattern, version=1)

    assert (stats["runs"], stats["succeeded"], stats["success_rate"]) == (5, 4, 0.8)
    assert stats["failures_by_step"] == {"maybe": 1}
    assert stats["p50_ms"] is not None
    assert stats["p95_ms"] >= stats["p50_ms"]
    assert [(v["version"], v["runs"]) for v in stats["versions"]] == [(2, 1), (1, 4)]
    assert (first["runs"], first["success_rate"]) == (4, 0.75)


# --- the pattern store ----------------------------------------------------------------------


def test_a_published_definition_is_in_the_store(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pattern = make_pattern(user, steps=[record("a")])
    version = pattern.versions.get()

    cached = cache.get(store.store_key(pattern.key, 1, version.checksum))

    assert cached == version.definition


def test_a_run_reads_its_definition_from_the_store_before_the_database(user, start):
    pattern = make_pattern(user, steps=[record("db")])
    version = pattern.versions.get()
    store.forget()
    cache.set(store.store_key(pattern.key, 1, version.checksum), {"steps": [record("db")]}, 60)

    execution = start(pattern, user)

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert labels("test_done") == ["db"]


def test_runs_work_when_redis_is_down(user, start):
    pattern = make_pattern(user, steps=[record("a"), record("b", depends_on=["a"])])
    store.forget()
    dead_redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    with override_settings(CACHES=dead_redis):
        execution = start(pattern, user)
        republished = pattern_version_publish(
            actor=user, pattern=pattern, definition={"steps": [record("c")]}
        )

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert labels("test_done") == ["a", "b"]
    assert republished.number == 2


def test_guests_may_not_create_patterns(db):
    from accounts.tests.factories import UserFactory
    from nexus_site.definitions.enums import Role

    guest = UserFactory(role=Role.GUEST)

    with pytest.raises(AuthorizationError):
        pattern_create(
            actor=guest, key="guest-made", name="Guest", definition={"steps": [record("a")]}
        )
