"""Exactly once through real workers: a burst of events matching a trigger starts exactly one
run per event, also when a worker is SIGKILLed in the middle of it (its tasks are delivered
again, acks_late, and the cursor's sweep fires what no task did)."""

from __future__ import annotations

import datetime
import os
import signal

import pytest
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.tests.factories import UserFactory
from nexus_site.events.services import publish
from patterns.models import (
    Execution,
    ExecutionStatus,
    TriggerCursor,
    TriggerFiring,
    TriggerOutcome,
)
from patterns.tasks import reclaim_executions
from patterns.tests.factories import make_pattern
from patterns.tests.test_worker_recovery import (  # noqa: F401 - fixtures
    start_worker,
    wait_for,
    worker_queue,
)
from patterns.triggers import firing
from patterns.triggers.services import trigger_create

EVENTS = 100
KILL_AFTER = 30


def publish_burst(owner, count: int) -> list[int]:
    ids = []
    for number in range(count):
        with transaction.atomic():
            ids.append(publish("custom.tick", {"n": number}, user_ids=[owner.pk]).id)
    return ids


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_burst_starts_one_run_per_event_even_when_a_worker_is_killed(start_worker, settings):  # noqa: F811
    # A run the killed worker had taken from the queue but not started is pending: the
    # reclaim task queues it again once it has waited this long (300 s in production).
    settings.PATTERNS_PENDING_REQUEUE_SECONDS = 5
    owner = UserFactory()
    pattern = make_pattern(
        owner, steps=[{"id": "only", "type": "condition", "parameters": {"value": True}}]
    )
    trigger = trigger_create(
        actor=owner,
        pattern=pattern,
        name="Tick",
        event_type="custom.tick",
        input_map={},
        rate_per_minute=10_000,
    )
    firing.forget_active_types()
    TriggerCursor.objects.create(name=firing.CURSOR, last_event_id=0)
    first, first_log = start_worker("first")
    second, _second_log = start_worker("second")

    event_ids = publish_burst(owner, EVENTS)
    wait_for(
        lambda: TriggerFiring.objects.filter(trigger=trigger).count() >= KILL_AFTER,
        "the first firings",
        first,
        first_log,
    )
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    third, third_log = start_worker("third")

    def settled() -> bool:
        # What beat does: sweep the outbox after the cursor, re-queue runs with dead leases.
        firing.catch_up(now=timezone.now() + firing.LAG + datetime.timedelta(seconds=1))
        reclaim_executions()
        runs = Execution.objects.filter(pattern=pattern)
        return runs.count() == EVENTS and all(run.is_finished for run in runs)

    wait_for(settled, "every run finished", third, third_log)

    firings = TriggerFiring.objects.filter(trigger=trigger)
    assert firings.count() == EVENTS
    assert set(firings.values_list("event_id", flat=True)) == set(event_ids)
    assert set(firings.values_list("outcome", flat=True)) == {TriggerOutcome.STARTED}
    assert not firings.values("event_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    runs = Execution.objects.filter(pattern=pattern)
    assert runs.count() == EVENTS
    assert set(runs.values_list("status", flat=True)) == {ExecutionStatus.SUCCEEDED}
    assert second.poll() is None  # the other worker kept working throughout
