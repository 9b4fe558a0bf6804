"""Retention of pattern runs: finished runs past their keep time go in batches, with their
step runs and the runs their composite steps started; their statistics stay, in rollups."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from nexus_site.retention import Sweep
from patterns import executor
from patterns.models import Execution, ExecutionRollup, StepRun
from patterns.retention import executions_purge
from patterns.selectors import pattern_stats
from patterns.services import execution_start
from patterns.tests.conftest import FAIL
from patterns.tests.factories import make_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_steps")]

LONG_AGO = timezone.now() - datetime.timedelta(days=400)


def finished_runs(pattern, user, count: int, *, fail_every: int = 0) -> list[Execution]:
    runs = []
    for number in range(count):
        failing = fail_every and number % fail_every == 0
        execution, _ = execution_start(actor=user, pattern=pattern, input={"fail": bool(failing)})
        executor.execution_run(execution.pk)
        runs.append(execution)
    return runs


def age(executions, *, milliseconds: int = 0) -> None:
    """Move runs back in time, each lasting ``milliseconds`` plus its index (distinct)."""
    for index, execution in enumerate(executions):
        started = LONG_AGO + datetime.timedelta(minutes=index)
        Execution.objects.filter(pk=execution.pk).update(
            started_at=started,
            finished_at=started + datetime.timedelta(milliseconds=milliseconds + index * 37),
        )


@pytest.fixture
def pattern(user):
    return make_pattern(
        user,
        steps=[
            {"id": "check", "type": "condition", "parameters": {"value": "{{ input.fail }}"}},
            {"id": "boom", "type": FAIL, "depends_on": ["check"]},
        ],
    )


def test_old_finished_runs_go_with_their_steps_and_newer_ones_stay(user, pattern, settings):
    settings.PATTERNS_EXECUTION_RETENTION_DAYS = 30
    old = finished_runs(pattern, user, 3)
    recent = finished_runs(pattern, user, 2)
    age(old)
    running, _ = execution_start(actor=user, pattern=pattern, input={"fail": False})
    Execution.objects.filter(pk=running.pk).update(created_at=LONG_AGO)

    deleted = executions_purge(Sweep())

    assert deleted == 3
    kept = set(Execution.objects.values_list("pk", flat=True))
    assert kept == {execution.pk for execution in recent} | {running.pk}
    assert not StepRun.objects.filter(execution__in=[execution.pk for execution in old]).exists()


def test_statistics_are_the_same_after_the_purge(user, pattern, settings):
    settings.PATTERNS_EXECUTION_RETENTION_DAYS = 30
    runs = finished_runs(pattern, user, 12, fail_every=4)
    age(runs[:9], milliseconds=150)
    before = pattern_stats(pattern, user=user)

    executions_purge(Sweep(batch_size=4))
    after = pattern_stats(pattern, user=user)

    assert Execution.objects.count() == 3
    assert before["succeeded"] == 9  # runs 0, 4 and 8 failed at "boom"
    assert before["failures_by_step"] == {"boom": 3}
    for field in ("runs", "succeeded", "success_rate", "failures_by_step"):
        assert after[field] == before[field], field
    # The same mean, summed in another order: it may round the other way at the 0.001 ms shown.
    assert after["mean_ms"] == pytest.approx(before["mean_ms"], abs=0.0011)
    assert after["p50_ms"] == pytest.approx(before["p50_ms"], rel=0.011, abs=1)
    assert after["p95_ms"] == pytest.approx(before["p95_ms"], rel=0.011, abs=1)
    assert [v["runs"] for v in after["versions"]] == [v["runs"] for v in before["versions"]]


def test_a_person_sees_only_the_rollups_of_their_own_runs(user, other_user, settings):
    settings.PATTERNS_EXECUTION_RETENTION_DAYS = 30
    shared = make_pattern(None, kind="system", key="shared-by-all")
    mine = finished_runs(shared, user, 2)
    theirs = finished_runs(shared, other_user, 3)
    age(mine + theirs)

    executions_purge(Sweep())

    assert ExecutionRollup.objects.count() == 2
    assert pattern_stats(shared, user=user)["runs"] == 2
    assert pattern_stats(shared, user=other_user)["runs"] == 3
    assert pattern_stats(shared)["runs"] == 5


def test_each_batch_is_bounded_and_an_exhausted_sweep_deletes_nothing(user, pattern, settings):
    settings.PATTERNS_EXECUTION_RETENTION_DAYS = 30
    old = finished_runs(pattern, user, 5)
    age(old)

    assert executions_purge(Sweep(deadline=0)) == 0
    assert executions_purge(Sweep(batch_size=2)) == 5
    assert ExecutionRollup.objects.get().runs == 5


def test_zero_days_keeps_every_run(user, pattern, settings):
    settings.PATTERNS_EXECUTION_RETENTION_DAYS = 0
    age(finished_runs(pattern, user, 2))

    assert executions_purge(Sweep()) == 0
    assert Execution.objects.count() == 2


def test_runs_started_by_composite_steps_are_folded_into_their_own_pattern(user, settings):
    settings.PATTERNS_EXECUTION_RETENTION_DAYS = 30
    inner = make_pattern(
        user, steps=[{"id": "a", "type": "condition", "parameters": {"value": True}}]
    )
    outer = make_pattern(
        user, steps=[{"id": "call", "type": "pattern.run", "parameters": {"pattern": inner.key}}]
    )
    (parent,) = finished_runs(outer, user, 1)
    age([parent])

    executions_purge(Sweep())

    assert not Execution.objects.exists()
    assert pattern_stats(inner)["runs"] == 1
    assert pattern_stats(outer)["runs"] == 1
