"""Signals to a waiting run: an approval decision, or a named payload for ``signal.wait``.

Who may send one is decided by the waiting step (its approvers, or its senders), not by who
may see the run: the person who started a run that waits for someone else's approval may
see the run and still answers 403. Someone who can neither see the run nor answer its step
gets 404, as for anything else they may not see.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType
from nexus_site.events.services import publish
from nexus_site.exceptions import AuthorizationError, ConflictError, NotFoundError, ValidationError
from patterns.dispatch import enqueue_execution
from patterns.models import Execution, ExecutionSignal, StepRun, StepStatus
from patterns.selectors import executions_visible_to
from patterns.steps.signals import APPROVAL_SIGNAL, APPROVE, MAX_COMMENT, REJECT

MAX_PAYLOAD_KEYS = 100
WAITING_TYPES = ("approval.request", "signal.wait")


def waiting_steps(execution: Execution, name: str) -> tuple[list[StepRun], list[StepRun]]:
    """The run's steps that wait for the signal ``name`` (pending, in definition order), and
    those that waited for it and were answered (or timed out)."""
    pending, answered = [], []
    for run in StepRun.objects.filter(execution=execution, type__in=WAITING_TYPES).order_by(
        "position"
    ):
        if not isinstance(run.output, dict):
            continue
        if run.status == StepStatus.PENDING and run.output.get("awaiting") == name:
            pending.append(run)
        elif run.status != StepStatus.PENDING and signal_name(run) == name:
            answered.append(run)
    return pending, answered


def signal_name(run: StepRun) -> str:
    return (
        APPROVAL_SIGNAL if run.type == "approval.request" else (run.output or {}).get("signal", "")
    )


def may_answer(user, run: StepRun) -> bool:
    return str(user.pk) in (run.output or {}).get("allowed", [])


def checked_payload(name: str, payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict) or len(payload) > MAX_PAYLOAD_KEYS:
        raise ValidationError(details={"payload": [str(_("The payload is a JSON object."))]})
    if name != APPROVAL_SIGNAL:
        return payload
    decision = payload.get("decision")
    comment = payload.get("comment", "")
    problems = {}
    if decision not in (APPROVE, REJECT):
        problems["decision"] = [str(_("Either approve or reject."))]
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        problems["comment"] = [str(_("At most %(max)s characters.") % {"max": MAX_COMMENT})]
    if problems:
        raise ValidationError(details=problems)
    return {"decision": decision, "comment": comment.strip()}


def approvals_waiting_for(user) -> list[StepRun]:
    """The approval steps waiting for ``user``'s decision, oldest first (their runs loaded)."""
    candidates = (
        StepRun.objects.filter(status=StepStatus.PENDING, type="approval.request")
        .select_related("execution__pattern", "execution__started_by")
        .order_by("started_at")
    )
    return [run for run in candidates if may_answer(user, run)]


def waiting_step_for(user, execution_id, step_id: str) -> StepRun | None:
    """The pending approval step ``step_id`` of the run, if ``user`` may decide it."""
    run = (
        StepRun.objects.filter(
            execution_id=execution_id, step_id=step_id, status=StepStatus.PENDING
        )
        .select_related("execution__pattern", "execution__started_by")
        .first()
    )
    if run is None or not isinstance(run.output, dict) or not may_answer(user, run):
        return None
    return run


@transaction.atomic
def execution_signal(*, actor, execution_id, name: str, payload: Any) -> ExecutionSignal:
    """Answer the run's step waiting for ``name`` and wake the run."""
    execution = Execution.objects.select_for_update().filter(pk=execution_id).first()
    if execution is None:
        raise NotFoundError()
    waiting, answered = waiting_steps(execution, name)
    visible = executions_visible_to(actor).filter(pk=execution.pk).exists()
    if not visible and not any(may_answer(actor, run) for run in [*waiting, *answered]):
        raise NotFoundError()
    if not waiting and answered:
        raise ConflictError(_("This step has already been answered."))
    if not waiting:
        raise ConflictError(
            _("Nothing in this run waits for the signal %(name)s.") % {"name": name},
            details={"status": execution.status},
        )
    answerable = [run for run in waiting if may_answer(actor, run)]
    if not answerable:
        raise AuthorizationError(_("This step does not take signals from you."))
    run = answerable[0]
    payload = checked_payload(name, payload)
    try:
        with transaction.atomic():
            signal = ExecutionSignal.objects.create(
                execution=execution, step_id=run.step_id, name=name, payload=payload, sent_by=actor
            )
    except IntegrityError:
        raise ConflictError(_("This step has already been answered.")) from None
    StepRun.objects.filter(pk=run.pk).update(next_attempt_at=timezone.now())
    publish(
        EventType.SIGNAL_RECEIVED,
        {
            "pattern": execution.pattern.key,
            "execution": str(execution.pk),
            "step": run.step_id,
            "signal": name,
            "decision": payload.get("decision") if name == APPROVAL_SIGNAL else None,
            "by": str(actor.pk),
        },
        user_ids=[*run.output.get("allowed", []), *filter(None, [execution.started_by_id])],
        actor=actor,
    )
    # A worker holding the run reads the moved attempt when it gives the run back; otherwise
    # this wakes it (a run held by a live worker is left alone by the task).
    transaction.on_commit(lambda: enqueue_execution(execution.pk))
    return signal
