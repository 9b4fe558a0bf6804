"""The http.request step: a real receiver on loopback (with private addresses allowed, as an
operator may), the answer as output, errors as step errors, and SSRF refused by default."""

from __future__ import annotations

import json

import pytest

from patterns import executor
from patterns.models import ExecutionStatus
from patterns.services import execution_start, pattern_dry_run
from patterns.tests.factories import make_pattern
from webhooks.tests.receiver import running_receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    with running_receiver() as live:
        yield live


def run_step(user, **parameters):
    pattern = make_pattern(
        user, steps=[{"id": "call", "type": "http.request", "parameters": parameters}]
    )
    execution, _ = execution_start(actor=user, pattern=pattern, input={})
    executor.execution_run(execution.pk)
    execution.refresh_from_db()
    return execution, execution.steps.get()


def test_a_post_sends_the_json_and_returns_the_parsed_answer(user, receiver):
    receiver.body = b'{"ok": true, "id": 7}'
    receiver.extra_headers = {"Content-Type": "application/json"}

    execution, step = run_step(
        user, method="POST", url=receiver.url, json={"task": "t-1"}, headers={"X-Trace": "abc"}
    )

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert step.output["status"] == 200
    assert step.output["json"] == {"ok": True, "id": 7}
    (sent,) = receiver.requests
    assert json.loads(sent.body) == {"task": "t-1"}
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["x-trace"] == "abc"


def test_an_error_status_fails_the_step_unless_accepted(user, receiver):
    receiver.status, receiver.body = 503, b"busy"

    failed, _ = run_step(user, url=receiver.url)
    accepted, step = run_step(user, url=receiver.url, accept_statuses=[503])

    assert failed.status == ExecutionStatus.FAILED
    assert failed.error["code"] == "http_error"
    assert failed.error["details"] == {"status": 503, "body": "busy"}
    assert accepted.status == ExecutionStatus.SUCCEEDED
    assert (step.output["status"], step.output["text"]) == (503, "busy")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://localhost/",
        "http://2130706433/",
        "http://10.0.0.1/",
    ],
)
def test_private_and_loopback_addresses_are_refused_by_default(user, url):
    execution, _ = run_step(user, url=url)

    assert execution.status == ExecutionStatus.FAILED
    assert execution.error["code"] == "forbidden_address"


def test_headers_that_nexus_sets_are_refused(user, receiver):
    execution, _ = run_step(user, url=receiver.url, headers={"Host": "elsewhere"})

    assert execution.error["code"] == "invalid_parameters"
    assert receiver.requests == []


def test_a_dry_run_calls_nothing(user, receiver):
    pattern = make_pattern(
        user, steps=[{"id": "call", "type": "http.request", "parameters": {"url": receiver.url}}]
    )

    result = pattern_dry_run(actor=user, pattern=pattern, input={})

    assert result["steps"][0]["output"] == {"would_call": "GET", "url": receiver.url}
    assert receiver.requests == []
