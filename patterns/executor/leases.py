"""Leases: which worker drives a run, for how long, and which runs nobody drives any more.

A worker takes a run's lease before its first step and renews it before a step or a sleep
that could outlast it. A worker that dies stops renewing; once the lease runs out, beat's
reclaim task queues the run again and the next worker resumes it at its first pending step.
"""

from __future__ import annotations

import datetime
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from nexus_site.definitions.enums import EventType
from nexus_site.events.services import chain_depth, publish
from patterns.dispatch import enqueue_execution
from patterns.executor.commits import engine_transaction
from patterns.executor.rows import load_run
from patterns.models import Execution, ExecutionStatus, StepRun, StepStatus
from patterns.store import definition_for


def lease_seconds() -> int:
    return int(getattr(settings, "PATTERNS_LEASE_SECONDS", 60))


def worker_name() -> str:
    """Return this worker's name for leases: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def acquire(execution_id: Any, owner: str) -> Execution | None:
    """Take the lease of a run that is pending, running unowned, or whose lease ran out.

    Returns the execution, or None when it is finished, unknown or held by a live worker.
    The first worker to take it publishes ``pattern_started``.
    """
    now = timezone.now()
    with engine_transaction():
        execution = load_run(execution_id)
        if execution is None or not (
            execution.status in (ExecutionStatus.PENDING, ExecutionStatus.RUNNING)
            and (
                execution.lease_owner in ("", owner)
                or execution.lease_expires_at is None
                or execution.lease_expires_at < now
            )
        ):
            return None
        first_start = execution.status == ExecutionStatus.PENDING
        version = execution.version
        longest_step = max(
            step.timeout_seconds
            for step in definition_for(
                execution.pattern.key,
                version_id=version.pk,
                number=version.number,
                checksum=version.checksum,
            ).steps
        )
        execution.status = ExecutionStatus.RUNNING
        execution.lease_owner = owner
        # Long enough for any one step: a run renews it only when it runs long in total.
        execution.lease_expires_at = now + datetime.timedelta(
            seconds=lease_seconds() + longest_step
        )
        execution.started_at = execution.started_at or now
        execution.resume_at = None
        execution.save(
            update_fields=["status", "lease_owner", "lease_expires_at", "started_at", "resume_at"]
        )
        if first_start:
            with chain_depth(execution.chain_depth):
                publish(
                    EventType.PATTERN_STARTED,
                    {
                        "pattern": execution.pattern.key,
                        "execution": str(execution.pk),
                        "version": execution.version.number,
                    },
                    user_ids=[execution.started_by_id] if execution.started_by_id else (),
                    actor=execution.started_by,
                )
    return execution


def pending_grace_seconds() -> int:
    """How long a run may wait in the queue before the reclaim task queues it again."""
    return int(getattr(settings, "PATTERNS_PENDING_REQUEUE_SECONDS", 300))


def executions_to_reclaim(now: datetime.datetime | None = None) -> list[Any]:
    """Return the runs no live worker is driving: lease expired, due but unowned, or pending
    for longer than a queued message should take (its message was lost: a broker outage).

    The last grace is long on purpose: a run still waiting its turn in a busy queue is
    not lost, and queueing it again every sweep would only add duplicates to that queue.
    """
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=lease_seconds())
    pending_grace = datetime.timedelta(seconds=pending_grace_seconds())
    return list(
        Execution.objects.filter(parent_step__isnull=True)
        .filter(
            Q(status=ExecutionStatus.RUNNING, lease_expires_at__lt=now)
            | Q(status=ExecutionStatus.RUNNING, lease_owner="", resume_at__lt=now - grace)
            | Q(status=ExecutionStatus.PENDING, created_at__lt=now - pending_grace)
        )
        .values_list("pk", flat=True)
    )


def hold_lease(execution: Execution, owner: str, busy_seconds: float) -> bool:
    """Make sure the lease outlives the next step or sleep; False when another worker took it.

    ``busy_seconds`` is how long this worker may go without renewing: a step's timeout, or
    a wait it sleeps through (a lease shorter than the sleep would let the reclaim task
    hand a live run to a second worker). A lease that still has enough left is kept as it is,
    without a write.
    """
    now = timezone.now()
    needed = now + datetime.timedelta(seconds=busy_seconds + lease_seconds())
    expires = execution.lease_expires_at
    if expires is not None and expires >= needed - datetime.timedelta(seconds=lease_seconds() / 2):
        return True
    renewed = Execution.objects.filter(pk=execution.pk, lease_owner=owner).update(
        lease_expires_at=needed
    )
    if renewed:
        execution.lease_expires_at = needed
    return bool(renewed)


def release_until(execution: Execution, owner: str, wake: datetime.datetime) -> None:
    """Give the run back until ``wake`` and queue it for then (after commit); the reclaim
    task queues it too if that message is lost.

    The run's row is locked first, as a signal locks it (``patterns.signals``): a signal that
    came while this worker held the run has moved its step's next attempt to now, and is read
    here, so the run is queued at once instead of at the step's deadline.
    """
    with engine_transaction():
        Execution.objects.select_for_update().filter(pk=execution.pk).values_list("pk").first()
        answered = (
            StepRun.objects.filter(execution=execution, status=StepStatus.PENDING)
            .exclude(next_attempt_at=None)
            .aggregate(first=Min("next_attempt_at"))["first"]
        )
        if answered is not None and answered < wake:
            wake = answered
        Execution.objects.filter(pk=execution.pk, lease_owner=owner).update(
            lease_owner="", lease_expires_at=None, resume_at=wake
        )
        countdown = max((wake - timezone.now()).total_seconds(), 0)
        # Eager Celery (the embedded default) ignores countdowns: queueing now would run the
        # run again at once, and again. It waits for its answer, or for the reclaim task.
        if countdown == 0 or not eager():
            transaction.on_commit(lambda: enqueue_execution(execution.pk, countdown=countdown))
    execution.lease_owner, execution.resume_at = "", wake


def eager() -> bool:
    from nexus_site.celery import app

    return bool(app.conf.task_always_eager)
