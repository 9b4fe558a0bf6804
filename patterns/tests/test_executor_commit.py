"""PATTERNS_SYNCHRONOUS_COMMIT: off makes the engine's PostgreSQL commits skip the disk wait."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from patterns import executor
from patterns.models import ExecutionStatus
from patterns.runs import new_execution
from patterns.tests.factories import make_pattern

ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF"
ASYNC_SESSION = "SET synchronous_commit TO OFF"
RESET = "RESET synchronous_commit"


def run_once(owner):
    pattern = make_pattern(owner)
    execution = new_execution(
        pattern=pattern, version=pattern.versions.get(), input={}, actor=owner
    )
    with CaptureQueriesContext(connection) as queries:
        finished = executor.execution_run(execution.pk, owner="worker-a")
    assert finished.status == ExecutionStatus.SUCCEEDED
    return [query["sql"] for query in queries]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_engine_transactions_skip_the_disk_wait_when_asked(settings):
    settings.PATTERNS_SYNCHRONOUS_COMMIT = False

    statements = run_once(UserFactory())

    # Once for the whole run (acquire, the step, the finish), then put back for the pool.
    assert statements[0] == ASYNC_SESSION
    assert statements[-1] == RESET
    assert statements.count(ASYNC_SESSION) == 1
    assert ASYNC_COMMIT not in statements


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_a_single_engine_transaction_skips_the_disk_wait_on_its_own(settings):
    settings.PATTERNS_SYNCHRONOUS_COMMIT = False

    with CaptureQueriesContext(connection) as queries, executor.engine_transaction():
        pass

    assert [query["sql"] for query in queries] == ["BEGIN", ASYNC_COMMIT, "COMMIT"]


@pytest.mark.django_db(transaction=True)
def test_engine_commits_are_durable_by_default():
    statements = run_once(UserFactory())

    assert ASYNC_COMMIT not in statements
    assert ASYNC_SESSION not in statements
