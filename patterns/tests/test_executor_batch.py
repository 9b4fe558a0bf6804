"""Steps that change no data share one transaction; anything unusual sends them one by one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nexus_site.events.models import Event
from patterns import executor
from patterns.models import ExecutionStatus, StepStatus
from patterns.services import execution_start
from patterns.tests.conftest import RECORD, labels
from patterns.tests.factories import make_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_steps")]


def check(step_id: str, *, depends_on=(), left=1, right=1) -> dict:
    return {
        "id": step_id,
        "type": "condition",
        "parameters": {"left": left, "operator": "le", "right": right},
        "depends_on": list(depends_on),
    }


def run(user, steps) -> tuple:
    pattern = make_pattern(user, steps=steps)
    execution, _ = execution_start(actor=user, pattern=pattern, input={})
    with CaptureQueriesContext(connection) as queries:
        executor.execution_run(execution.pk)
    execution.refresh_from_db()
    # The test runs in a transaction, so each engine transaction is a savepoint here.
    commits = sum(1 for query in queries if query["sql"].startswith("SAVEPOINT"))
    return execution, commits


def test_read_only_steps_in_a_row_commit_together(user):
    execution, commits = run(
        user,
        [
            check("a"),
            check("b", depends_on=["a"]),
            check("c", depends_on=["b"]),
            check("d", depends_on=["c"]),
        ],
    )

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert list(execution.steps.order_by("finished_seq").values_list("step_id", "attempts")) == [
        ("a", 1),
        ("b", 1),
        ("c", 1),
        ("d", 1),
    ]
    assert commits == 3  # taking the run, the four steps, the finish
    assert Event.objects.filter(type="step_succeeded").count() == 4


def test_a_data_changing_step_gets_its_own_transaction_between_batches(user):
    execution, commits = run(
        user,
        [
            check("a"),
            {"id": "write", "type": RECORD, "parameters": {"label": "w"}, "depends_on": ["a"]},
            check("b", depends_on=["write"]),
        ],
    )

    assert execution.status == ExecutionStatus.SUCCEEDED
    assert list(execution.steps.order_by("finished_seq").values_list("step_id", flat=True)) == [
        "a",
        "write",
        "b",
    ]
    assert commits == 5
    assert labels("test_done") == ["w"]


def test_a_failing_step_in_a_batch_keeps_the_steps_before_it_exactly_once(user):
    execution, _ = run(
        user,
        [
            check("fine"),
            check("broken", depends_on=["fine"], left=1, right="x"),
            check("never", depends_on=["broken"]),
        ],
    )

    states = dict(execution.steps.values_list("step_id", "status"))
    assert execution.status == ExecutionStatus.FAILED
    assert states == {
        "fine": StepStatus.SUCCEEDED,
        "broken": StepStatus.FAILED,
        "never": StepStatus.SKIPPED,
    }
    assert execution.steps.get(step_id="fine").attempts == 1
    assert Event.objects.filter(type="step_succeeded", payload__step="fine").count() == 1
    assert execution.steps.get(step_id="broken").error["code"] == "invalid_comparison"
