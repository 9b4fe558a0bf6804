"""Human approval and signals: a run waits without holding a worker, the people the step
allows answer (and nobody else), the answer wakes the run, the timeout does what the step
says, and the decision is in the run's timeline. Real commits, eager Celery."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import EventType, MemberRole
from nexus_site.events.models import Event
from notifications.models import Notification
from patterns import executor
from patterns.models import Execution, ExecutionSignal, ExecutionStatus, StepStatus
from patterns.services import execution_start, pattern_dry_run
from patterns.tests.factories import make_pattern
from projects import services as projects
from projects.tests.factories import add_member

pytestmark = pytest.mark.django_db(transaction=True)

HOUR = 3600


def signal_url(execution, name="approval") -> str:
    return f"/api/v1/executions/{execution.pk}/signals/{name}/"


def approval_pattern(owner, *, on_timeout="reject", **parameters):
    return make_pattern(
        owner,
        steps=[
            {
                "id": "ask",
                "type": "approval.request",
                "parameters": {
                    "message": "Ship release 4.2?",
                    "timeout_seconds": HOUR,
                    "on_timeout": on_timeout,
                    **parameters,
                },
            },
            {
                "id": "after",
                "type": "event.publish",
                "depends_on": ["ask"],
                "parameters": {"type": "shipped"},
            },
        ],
    )


@pytest.fixture
def team(user):
    """A project of ``user`` with a manager and a plain member (so they reach each other)."""
    project = projects.project_create(actor=user, name="Release")
    manager = add_member(project, MemberRole.MANAGER)
    member = add_member(project, MemberRole.MEMBER)
    return project, manager, member


def start(pattern, user) -> Execution:
    execution, _ = execution_start(actor=user, pattern=pattern, input={})
    execution.refresh_from_db()
    return execution


def step(execution, step_id="ask"):
    return execution.steps.get(step_id=step_id)


def test_the_run_waits_without_holding_a_worker_and_the_approver_is_notified(user, team):
    _project, manager, _member = team
    execution = start(approval_pattern(user, approvers=[manager.email]), user)

    waiting = step(execution)
    assert execution.status == ExecutionStatus.RUNNING
    assert execution.lease_owner == ""  # no worker holds it
    assert waiting.status == StepStatus.PENDING
    assert waiting.output["allowed"] == [str(manager.pk)]
    requested = Event.objects.get(type=EventType.APPROVAL_REQUESTED)
    assert requested.payload["approvers"] == [str(manager.pk)]
    notice = Notification.objects.get(recipient=manager, kind="pattern_approval")
    assert notice.url == f"/patterns/executions/{execution.pk}/approvals/ask/"


def test_an_approval_resumes_the_run_and_is_in_its_timeline(user, team):
    _project, manager, _member = team
    execution = start(approval_pattern(user, approvers=[str(manager.pk)]), user)

    response = bearer_client(manager).post(
        signal_url(execution), {"payload": {"decision": "approve", "comment": "Go"}}, format="json"
    )

    assert response.status_code == 202, response.content
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCEEDED
    output = step(execution).output
    assert (output["decision"], output["by"], output["comment"]) == (
        "approved",
        str(manager.pk),
        "Go",
    )
    received = Event.objects.get(type=EventType.SIGNAL_RECEIVED)
    assert (received.payload["decision"], received.payload["by"]) == ("approve", str(manager.pk))
    assert str(user.pk) in received.audience_users


def test_a_rejection_with_a_comment_fails_the_run(user, team):
    _project, manager, _member = team
    execution = start(approval_pattern(user, approvers=[manager.email]), user)

    bearer_client(manager).post(
        signal_url(execution),
        {"payload": {"decision": "reject", "comment": "Not before the audit"}},
        format="json",
    )

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "approval_rejected"
    assert execution.error["details"]["comment"] == "Not before the audit"
    assert step(execution, "after").status == StepStatus.SKIPPED


def test_the_managers_of_a_project_may_decide_and_a_plain_member_may_not(user, team):
    project, manager, member = team
    execution = start(approval_pattern(user, project_managers=str(project.pk)), user)
    assert sorted(step(execution).output["allowed"]) == sorted([str(user.pk), str(manager.pk)])

    refused = bearer_client(member).post(
        signal_url(execution), {"payload": {"decision": "approve"}}, format="json"
    )
    accepted = bearer_client(manager).post(
        signal_url(execution), {"payload": {"decision": "approve"}}, format="json"
    )

    assert refused.status_code == 404  # neither sees the run nor may answer
    assert accepted.status_code == 202


def test_the_runs_own_user_is_refused_with_403_and_a_stranger_with_404(user, team, other_user):
    _project, manager, _member = team
    execution = start(approval_pattern(user, approvers=[manager.email]), user)
    body = {"payload": {"decision": "approve"}}

    own = bearer_client(user).post(signal_url(execution), body, format="json")
    stranger = bearer_client(other_user).post(signal_url(execution), body, format="json")

    assert own.status_code == 403
    assert stranger.status_code == 404
    assert not ExecutionSignal.objects.exists()
    assert Execution.objects.get(pk=execution.pk).status == ExecutionStatus.RUNNING


def test_a_second_decision_is_refused_and_a_bad_one_changes_nothing(user, team):
    _project, manager, _member = team
    execution = start(approval_pattern(user, approvers=[manager.email], on_timeout="approve"), user)
    client = bearer_client(manager)

    bad = client.post(signal_url(execution), {"payload": {"decision": "maybe"}}, format="json")
    first = client.post(signal_url(execution), {"payload": {"decision": "approve"}}, format="json")
    again = client.post(signal_url(execution), {"payload": {"decision": "reject"}}, format="json")

    assert bad.status_code == 422
    assert "decision" in bad.json()["error"]["details"]
    assert first.status_code == 202
    assert again.status_code == 409
    assert ExecutionSignal.objects.count() == 1


@pytest.mark.parametrize(
    ("on_timeout", "status", "code"),
    [
        ("reject", ExecutionStatus.FAILED, "approval_rejected"),
        ("fail", ExecutionStatus.FAILED, "approval_timed_out"),
        ("approve", ExecutionStatus.SUCCEEDED, None),
    ],
)
def test_at_the_deadline_the_step_does_what_on_timeout_says(user, team, on_timeout, status, code):
    _project, manager, _member = team
    execution = start(
        approval_pattern(user, approvers=[manager.email], on_timeout=on_timeout), user
    )
    past = timezone.now() - datetime.timedelta(seconds=1)
    waiting = step(execution)
    waiting.output = {**waiting.output, "deadline": past.isoformat()}
    waiting.next_attempt_at = past
    waiting.save(update_fields=["output", "next_attempt_at"])

    executor.execution_run(execution.pk)  # what the delayed task or the reclaim task does

    execution.refresh_from_db()
    assert execution.status == status
    assert (execution.error or {}).get("code") == code


def test_approvers_the_runs_user_does_not_reach_fail_the_step(user, other_user):
    execution = start(approval_pattern(user, approvers=[other_user.email]), user)

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "unknown_people"
    assert not ExecutionSignal.objects.exists()


def test_a_dry_run_says_whom_it_would_ask_and_keeps_nothing(user, team):
    _project, manager, _member = team
    pattern = approval_pattern(user, approvers=[manager.email])

    result = pattern_dry_run(actor=user, pattern=pattern, input={})

    ask = next(item for item in result["steps"] if item["id"] == "ask")
    assert ask["output"]["would_ask"] == [str(manager.pk)]
    assert not Execution.objects.exists()


def test_an_approval_inside_a_called_pattern_is_refused(user, team):
    _project, manager, _member = team
    inner = approval_pattern(user, approvers=[manager.email])
    outer = make_pattern(
        user, steps=[{"id": "call", "type": "pattern.run", "parameters": {"pattern": inner.key}}]
    )

    execution = start(outer, user)

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "pattern_failed"
    assert execution.error["details"]["error"]["code"] == "cannot_wait_here"


# --- signal.wait ---------------------------------------------------------------------------


def waiting_pattern(owner, **parameters):
    return make_pattern(
        owner,
        steps=[
            {
                "id": "paid",
                "type": "signal.wait",
                "parameters": {"name": "payment", "timeout_seconds": HOUR, **parameters},
            }
        ],
    )


def test_a_signal_from_the_runs_user_completes_the_wait_with_its_payload(user):
    execution = start(waiting_pattern(user), user)

    response = bearer_client(user).post(
        signal_url(execution, "payment"), {"payload": {"amount": 42}}, format="json"
    )

    assert response.status_code == 202
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCEEDED
    output = step(execution, "paid").output
    assert (output["signal"], output["payload"], output["sent_by"]) == (
        "payment",
        {"amount": 42},
        str(user.pk),
    )


def test_a_signal_nothing_waits_for_answers_409(user):
    execution = start(waiting_pattern(user), user)

    response = bearer_client(user).post(signal_url(execution, "refund"), {}, format="json")

    assert response.status_code == 409
    assert Execution.objects.get(pk=execution.pk).status == ExecutionStatus.RUNNING


def test_named_senders_replace_the_runs_user(user, team):
    _project, manager, _member = team
    execution = start(waiting_pattern(user, senders=[manager.email]), user)

    own = bearer_client(user).post(signal_url(execution, "payment"), {}, format="json")
    theirs = bearer_client(manager).post(signal_url(execution, "payment"), {}, format="json")

    assert (own.status_code, theirs.status_code) == (403, 202)


def test_a_wait_that_times_out_may_continue(user):
    execution = start(waiting_pattern(user, on_timeout="continue"), user)
    past = timezone.now() - datetime.timedelta(seconds=1)
    waiting = step(execution, "paid")
    waiting.output = {**waiting.output, "deadline": past.isoformat()}
    waiting.next_attempt_at = past
    waiting.save(update_fields=["output", "next_attempt_at"])

    executor.execution_run(execution.pk)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCEEDED
    assert step(execution, "paid").output == {
        "signal": "payment",
        "timed_out": True,
        "allowed": [str(user.pk)],
    }


# --- the pages -----------------------------------------------------------------------------


def test_the_approval_page_approves_and_lists_what_waits(client, user, team):
    _project, manager, _member = team
    execution = start(approval_pattern(user, approvers=[manager.email]), user)
    client.force_login(manager)

    listed = client.get("/patterns/approvals/")
    page = client.get(f"/patterns/executions/{execution.pk}/approvals/ask/")
    decided = client.post(
        f"/patterns/executions/{execution.pk}/approvals/ask/",
        {"decision": "approve", "comment": "Fine"},
    )

    assert b"Ship release 4.2?" in listed.content
    assert page.status_code == 200
    assert b"Ship release 4.2?" in page.content
    assert decided.status_code == 302
    assert Execution.objects.get(pk=execution.pk).status == ExecutionStatus.SUCCEEDED


def test_the_approval_page_is_404_for_anyone_not_asked(client, user, team):
    _project, manager, member = team
    execution = start(approval_pattern(user, approvers=[manager.email]), user)
    url = f"/patterns/executions/{execution.pk}/approvals/ask/"

    answers = []
    for person in (member, user, UserFactory()):
        client.force_login(person)
        answers += [
            client.get(url).status_code,
            client.post(url, {"decision": "approve"}).status_code,
        ]

    assert answers == [404] * 6
    assert not ExecutionSignal.objects.exists()
