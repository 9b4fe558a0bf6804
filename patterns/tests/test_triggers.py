"""Triggers: which events start a run (type, scope through the graph, payload filter), as
whom, exactly once, within the chain depth and rate limits, and what happens when the owner
loses access. Real commits: the committed-events listener fires them, as in production."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from nexus_site.definitions.enums import EventType, MemberRole
from nexus_site.events.listeners import set_committed_listener
from nexus_site.events.models import Event
from nexus_site.exceptions import ValidationError
from patterns.models import (
    Execution,
    ExecutionStatus,
    TriggerCursor,
    TriggerFiring,
    TriggerOutcome,
)
from patterns.services import execution_start
from patterns.tests.factories import make_pattern
from patterns.triggers import firing
from patterns.triggers.services import trigger_create, trigger_update
from projects import services as projects
from projects.tests.factories import add_member
from relations.nodes import node_of

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_INPUT = [
    {
        "id": "note",
        "type": "event.publish",
        "parameters": {"type": "noted", "payload": {"title": "{{ input.title }}"}},
    }
]


@pytest.fixture(autouse=True)
def fresh_type_cache():
    firing.forget_active_types()
    yield
    firing.forget_active_types()


@pytest.fixture
def project(user):
    return projects.project_create(actor=user, name="Apollo")


def noting_pattern(owner, **options):
    return make_pattern(
        owner,
        steps=RECORD_INPUT,
        input_schema={"type": "object", "properties": {"title": {"type": "string"}}},
        **options,
    )


def on_task_created(owner, pattern, project=None, **values):
    return trigger_create(
        actor=owner,
        pattern=pattern,
        name="New task",
        event_type=EventType.TASK_CREATED,
        scope_node=str(node_of(project)) if project else "",
        input_map={"title": "{{ event.payload.title }}"},
        **values,
    )


def runs_of(trigger) -> list[Execution]:
    ids = trigger.firings.filter(outcome=TriggerOutcome.STARTED).values_list("execution", flat=True)
    return list(Execution.objects.filter(pk__in=list(ids)))


# --- matching -----------------------------------------------------------------------------


def test_a_matching_event_starts_one_run_as_the_owner_with_the_mapped_input(user, project):
    trigger = on_task_created(user, noting_pattern(user), project)

    projects.task_create(actor=user, project=project, title="Write the brief")

    (run,) = runs_of(trigger)
    assert run.started_by == user
    assert run.input == {"title": "Write the brief"}
    assert run.status == ExecutionStatus.SUCCEEDED
    assert run.chain_depth == 1


def test_another_event_type_starts_nothing(user, project):
    trigger = on_task_created(user, noting_pattern(user), project)
    task = projects.task_create(actor=user, project=project, title="x")

    projects.task_update(actor=user, task=task, title="y")

    assert len(runs_of(trigger)) == 1


def test_the_scope_covers_sub_projects_only_with_descendants(user, project):
    sub = projects.project_create(actor=user, name="Lander", parent=project)
    deep = on_task_created(user, noting_pattern(user), project)
    flat = on_task_created(user, noting_pattern(user), project, with_descendants=False)

    projects.task_create(actor=user, project=sub, title="Under Apollo")

    assert len(runs_of(deep)) == 1
    assert runs_of(flat) == []


def test_an_event_outside_the_scope_starts_nothing(user, project):
    trigger = on_task_created(user, noting_pattern(user), project)
    elsewhere = projects.project_create(actor=user, name="Gemini")

    projects.task_create(actor=user, project=elsewhere, title="Not Apollo")

    assert runs_of(trigger) == []


def test_the_payload_filter_takes_equality_and_in(user, project):
    pattern = noting_pattern(user)
    urgent = on_task_created(
        user, pattern, project, filter=[{"path": "$.payload.status", "equals": "blocked"}]
    )
    either = on_task_created(
        user, pattern, project, filter=[{"path": "payload.title", "in": ["a", "b"]}]
    )

    projects.task_create(actor=user, project=project, title="a", status="todo")
    projects.task_create(actor=user, project=project, title="c", status="blocked")

    assert [run.input["title"] for run in runs_of(urgent)] == ["c"]
    assert [run.input["title"] for run in runs_of(either)] == ["a"]


# --- exactly once -------------------------------------------------------------------------


def test_processing_the_same_event_again_starts_no_second_run(user, project):
    trigger = on_task_created(user, noting_pattern(user), project)
    projects.task_create(actor=user, project=project, title="Once")
    event = Event.objects.get(type=EventType.TASK_CREATED)

    assert firing.fire_events([event.id]) == 0
    assert firing.fire_events([event.id, event.id]) == 0
    assert TriggerFiring.objects.filter(trigger=trigger).count() == 1
    assert len(runs_of(trigger)) == 1


def test_the_sweep_fires_what_the_listener_never_did_and_nothing_twice(user, project):
    TriggerCursor.objects.create(name=firing.CURSOR, last_event_id=0)
    trigger = on_task_created(user, noting_pattern(user), project)
    # The listener's task is lost (the broker was down, a worker died before it ran).
    set_committed_listener("patterns.triggers", None, None)
    try:
        projects.task_create(actor=user, project=project, title="Missed")
        projects.task_create(actor=user, project=project, title="Missed too")
    finally:
        set_committed_listener(
            "patterns.triggers", None, firing.fire_after_commit, wants=firing.wants
        )
    assert runs_of(trigger) == []

    later = timezone.now() + firing.LAG + datetime.timedelta(seconds=1)
    firing.catch_up(now=later)
    firing.catch_up(now=later)

    assert sorted(run.input["title"] for run in runs_of(trigger)) == ["Missed", "Missed too"]
    assert TriggerCursor.objects.get().last_event_id == Event.objects.latest("id").id


def test_a_new_cursor_starts_at_the_present_without_firing_history(user, project):
    trigger = on_task_created(user, noting_pattern(user), project, is_active=False)
    projects.task_create(actor=user, project=project, title="Before")
    trigger_update(actor=user, trigger=trigger, is_active=True)

    later = timezone.now() + firing.LAG + datetime.timedelta(seconds=1)
    firing.catch_up(now=later)
    firing.catch_up(now=later)

    assert runs_of(trigger) == []


# --- storms -------------------------------------------------------------------------------


def test_runs_started_by_runs_stop_at_the_chain_depth_limit(user, settings):
    settings.PATTERNS_TRIGGER_MAX_DEPTH = 3
    echo = make_pattern(
        user, steps=[{"id": "ping", "type": "event.publish", "parameters": {"type": "ping"}}]
    )
    trigger = trigger_create(
        actor=user, pattern=echo, name="Echo", event_type="custom.ping", rate_per_minute=100
    )

    execution_start(actor=user, pattern=echo, input={})

    depths = sorted(Execution.objects.filter(pattern=echo).values_list("chain_depth", flat=True))
    assert depths == [0, 1, 2, 3]
    limited = Event.objects.get(type=EventType.TRIGGER_LIMITED)
    assert limited.payload["limit"] == "depth"
    assert limited.payload["trigger"] == str(trigger.pk)
    assert limited.audience_users == [str(user.pk)]
    assert trigger.firings.filter(outcome=TriggerOutcome.DEPTH_LIMITED).count() == 1


def test_a_trigger_starts_at_most_its_rate_per_minute(user, project):
    trigger = on_task_created(user, noting_pattern(user), project, rate_per_minute=2)

    for title in ("one", "two", "three"):
        projects.task_create(actor=user, project=project, title=title)

    assert len(runs_of(trigger)) == 2
    stopped = trigger.firings.get(outcome=TriggerOutcome.RATE_LIMITED)
    assert stopped.detail == {"per_minute": 2}
    event = Event.objects.get(type=EventType.TRIGGER_LIMITED)
    assert (event.payload["limit"], event.payload["per_minute"]) == ("rate", 2)


# --- the owner's permissions --------------------------------------------------------------


def test_events_the_owner_cannot_see_start_nothing(user, other_user):
    theirs = projects.project_create(actor=other_user, name="Private")
    trigger = trigger_create(
        actor=user, pattern=noting_pattern(user), name="Everything", event_type="task_created"
    )

    projects.task_create(actor=other_user, project=theirs, title="Secret")

    assert runs_of(trigger) == []
    assert not trigger.firings.exists()


def test_a_scope_the_creator_cannot_see_is_refused(user, other_user):
    theirs = projects.project_create(actor=other_user, name="Private")

    with pytest.raises(ValidationError) as refused:
        on_task_created(user, noting_pattern(user), theirs)

    assert refused.value.details == {"scope_node": ["There is no such object."]}


def test_a_trigger_whose_owner_loses_the_scope_stops_and_says_so(user, other_user):
    project = projects.project_create(actor=other_user, name="Shared")
    add_member(project, MemberRole.MEMBER, user=user)
    trigger = on_task_created(user, noting_pattern(user), project)
    projects.task_create(actor=other_user, project=project, title="While a member")

    projects.project_member_remove(actor=other_user, project=project, user=user)
    projects.task_create(actor=other_user, project=project, title="After leaving")

    trigger.refresh_from_db()
    assert [run.input["title"] for run in runs_of(trigger)] == ["While a member"]
    assert not trigger.is_active
    assert trigger.disabled_reason == "Its owner can no longer see the scope."
    disabled = Event.objects.get(type=EventType.TRIGGER_DISABLED)
    assert disabled.audience_users == [str(user.pk)]


def test_the_error_event_of_a_failed_run_can_start_a_run(user):
    failing = make_pattern(
        user, steps=[{"id": "boom", "type": "condition", "parameters": {"value": "{{ input.x }}"}}]
    )
    handler = noting_pattern(user)
    trigger = trigger_create(
        actor=user,
        pattern=handler,
        name="On failure",
        event_type="error",
        filter=[{"path": "payload.source", "equals": "execution"}],
        input_map={"title": "{{ event.payload.pattern }} failed"},
    )

    execution_start(actor=user, pattern=failing, input={})

    (run,) = runs_of(trigger)
    assert run.input == {"title": f"{failing.key} failed"}


def test_the_outbox_keeps_what_the_sweep_has_not_read(user):
    from nexus_site.events.retention import retention_floor

    TriggerCursor.objects.update_or_create(name=firing.CURSOR, defaults={"last_event_id": 41})

    floor = retention_floor()

    assert floor is not None
    assert floor <= 42
