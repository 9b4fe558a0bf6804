"""Broker down: an execute commits its run, answers 202, and the reclaim task runs it later;
a retry with the same idempotency key never starts a second run."""

import datetime

import pytest
from django.utils import timezone

from conftest import bearer_client
from nexus_site.tests.outages import broker_unreachable
from patterns.dispatch import enqueue_execution
from patterns.models import Execution, ExecutionStatus
from patterns.tasks import reclaim_executions
from patterns.tests.factories import make_pattern

# Real commits: the run is enqueued by an on_commit callback, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pattern(user):
    return make_pattern(user, key="outage-run")


def execute(client, **extra):
    return client.post("/api/v1/patterns/outage-run/execute/", {}, format="json", **extra)


def test_execute_answers_202_when_the_broker_is_down(user, pattern):
    with broker_unreachable():
        response = execute(bearer_client(user))

    assert response.status_code == 202, response.content
    execution = Execution.objects.get(pk=response.json()["execution"])
    assert execution.status == ExecutionStatus.PENDING


def test_a_retry_with_the_same_key_while_the_broker_is_down_starts_no_second_run(user, pattern):
    client = bearer_client(user)

    with broker_unreachable():
        first = execute(client, HTTP_IDEMPOTENCY_KEY="order-7")
        retry = execute(client, HTTP_IDEMPOTENCY_KEY="order-7")

    assert (first.status_code, retry.status_code) == (202, 200)
    assert retry.json()["execution"] == first.json()["execution"]
    assert Execution.objects.filter(pattern=pattern).count() == 1


def test_the_reclaim_task_runs_a_run_whose_enqueue_failed(user, pattern, settings):
    with broker_unreachable():
        execution_id = execute(bearer_client(user)).json()["execution"]
    # Later than the reclaim grace, with the broker back (eager here).
    past = timezone.now() - datetime.timedelta(
        seconds=settings.PATTERNS_PENDING_REQUEUE_SECONDS + 1
    )
    Execution.objects.filter(pk=execution_id).update(created_at=past)

    reclaimed = reclaim_executions()

    assert reclaimed == 1
    assert Execution.objects.get(pk=execution_id).status == ExecutionStatus.SUCCEEDED


def test_enqueue_reports_a_broker_outage_instead_of_raising(user, pattern):
    with broker_unreachable():
        queued = enqueue_execution(pattern.pk)

    assert queued is False
