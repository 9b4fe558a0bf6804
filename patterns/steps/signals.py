"""Steps that wait for people: ``signal.wait`` (a named signal with a payload) and
``approval.request`` (approvers decide: approve, or reject with a comment).

Both wait durably: the first call works out who may answer, announces the wait and defers
the step until its deadline (``StepDeferred`` with ``awaiting`` in its state), so the run
gives its worker back. A signal (``patterns.signals.execution_signal``) records the answer
and wakes the run; the step's next call reads it. At the deadline without an answer, the
step does what ``on_timeout`` says.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType, MemberRole, Permission
from nexus_site.exceptions import NotFoundError
from patterns.models import ExecutionSignal
from patterns.steps import StepDeferred, StepError, StepType, register
from patterns.steps.context import StepContext
from patterns.steps.domain import EMAIL, ID, actor_of
from projects.models import Project
from projects.selectors import OWNER_ROLE, project_members
from relations.access import people_reach_filter, require

SIGNAL_NAME = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"}
PERSON = {"anyOf": [ID, EMAIL, {"type": "string", "pattern": ".*\\{\\{.+\\}\\}.*"}]}
MAX_PEOPLE = 50
MAX_WAIT_SECONDS = 90 * 24 * 3600
APPROVAL_SIGNAL = "approval"
APPROVE, REJECT = "approve", "reject"
MAX_COMMENT = 2000


def people(context: StepContext, written: list[str]) -> list[str]:
    """Return the ids of the people named (ids or e-mails) whom the run's user reaches, the
    way the people picker does; anyone else is refused, never granted a say in the run."""
    ids = [value for value in written if "@" not in value]
    emails = [value.lower() for value in written if "@" in value]
    found = (
        get_user_model()
        .objects.filter(people_reach_filter(actor_of(context)), is_active=True)
        .filter(Q(pk__in=ids) | Q(email__in=emails))
        .values_list("pk", "email")
    )
    known = {str(pk) for pk, _email in found} | {email.lower() for _pk, email in found}
    missing = [value for value in written if value.lower() not in known]
    if missing:
        raise StepError(
            _("These people cannot be asked: %(people)s") % {"people": ", ".join(missing)},
            code="unknown_people",
            details={"people": missing},
        )
    return sorted({str(pk) for pk, _email in found})


def project_managers(context: StepContext, project_id: str) -> list[str]:
    """Return the ids of the project's owner and managers (the run's user must see it)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise StepError(_("There is no such project."), code="not_found")
    try:
        require(actor_of(context), Permission.VIEW, project)
    except NotFoundError:
        raise StepError(_("There is no such project."), code="not_found") from None
    return sorted(
        str(member.pk)
        for member in project_members(project)
        if member.project_role in (OWNER_ROLE, MemberRole.MANAGER) and member.is_active
    )


def deadline_of(context: StepContext, parameters: dict[str, Any]) -> datetime.datetime:
    saved = parse_datetime(context.state["deadline"]) if "deadline" in context.state else None
    if saved is not None:
        return saved
    return timezone.now() + datetime.timedelta(seconds=int(parameters["timeout_seconds"]))


def answer(context: StepContext) -> ExecutionSignal | None:
    return (
        ExecutionSignal.objects.select_related("sent_by")
        .filter(execution=context.execution, step_id=context.step.id)
        .first()
    )


def wait_until(context: StepContext, deadline, state: dict[str, Any], announce=None):
    """Defer the step until ``deadline``, keeping ``state`` (the first call also announces)."""
    if not context.can_wait:
        raise StepError(
            _("A step that waits for people cannot run inside another pattern's step."),
            code="cannot_wait_here",
        )
    raise StepDeferred(deadline, {**state, "deadline": deadline.isoformat()}, announce)


def signal_output(context: StepContext, signal: ExecutionSignal) -> dict[str, Any]:
    return {
        "allowed": context.state.get("allowed", []),
        "signal": signal.name,
        "payload": signal.payload,
        "sent_by": str(signal.sent_by_id) if signal.sent_by_id else None,
        "sent_at": signal.created_at.isoformat(),
    }


# --- signal.wait -------------------------------------------------------------------------


def run_signal_wait(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    name = parameters["name"]
    if context.dry_run:
        return {"would_wait_for": name}
    received = answer(context)
    if received is not None:
        return signal_output(context, received)
    deadline = deadline_of(context, parameters)
    if timezone.now() >= deadline:
        if parameters.get("on_timeout", "fail") == "continue":
            return {"signal": name, "timed_out": True, "allowed": context.state.get("allowed", [])}
        raise StepError(
            _("No %(name)s signal came in time.") % {"name": name}, code="signal_timed_out"
        )
    allowed = context.state.get("allowed")
    if allowed is None:
        senders = parameters.get("senders") or []
        allowed = people(context, senders) if senders else [str(actor_of(context).pk)]
    wait_until(context, deadline, {"awaiting": name, "kind": "signal", "allowed": allowed})


# --- approval.request --------------------------------------------------------------------


def approvers_of(context: StepContext, parameters: dict[str, Any]) -> list[str]:
    found = set(people(context, parameters.get("approvers") or []))
    if parameters.get("project_managers"):
        found |= set(project_managers(context, parameters["project_managers"]))
    if not found:
        raise StepError(_("Nobody could be asked to approve."), code="no_approvers")
    return sorted(found)


def decided(context: StepContext, signal: ExecutionSignal) -> dict[str, Any]:
    decision = signal.payload.get("decision")
    output = {
        "allowed": context.state.get("allowed", []),
        "decision": "approved" if decision == APPROVE else "rejected",
        "by": str(signal.sent_by_id) if signal.sent_by_id else None,
        "at": signal.created_at.isoformat(),
        "comment": signal.payload.get("comment", ""),
    }
    if decision != APPROVE:
        raise StepError(
            _("Rejected: %(comment)s") % {"comment": output["comment"] or "—"},
            code="approval_rejected",
            details=output,
        )
    return output


def timed_out(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    outcome = parameters.get("on_timeout", "reject")
    if outcome == "approve":
        allowed = context.state.get("allowed", [])
        return {"allowed": allowed, "decision": "approved", "by": None, "timed_out": True}
    if outcome == "fail":
        raise StepError(_("Nobody decided in time."), code="approval_timed_out")
    raise StepError(
        _("Rejected: nobody decided in time."),
        code="approval_rejected",
        details={"decision": "rejected", "by": None, "timed_out": True},
    )


def run_approval(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    if context.dry_run:
        return {"would_ask": approvers_of(context, parameters), "message": parameters["message"]}
    received = answer(context)
    if received is not None:
        return decided(context, received)
    deadline = deadline_of(context, parameters)
    if timezone.now() >= deadline:
        return timed_out(context, parameters)
    if "allowed" in context.state:
        wait_until(context, deadline, dict(context.state))
    allowed = approvers_of(context, parameters)
    state = {
        "awaiting": APPROVAL_SIGNAL,
        "kind": "approval",
        "allowed": allowed,
        "message": parameters["message"],
    }

    def announce() -> None:
        context.publish(
            EventType.APPROVAL_REQUESTED,
            {
                "message": parameters["message"],
                "approvers": allowed,
                "deadline": deadline.isoformat(),
            },
            user_ids=[*allowed, *context.audience()],
        )

    wait_until(context, deadline, state, announce)


TIMEOUT = {"type": "integer", "minimum": 1, "maximum": MAX_WAIT_SECONDS}

register(
    StepType(
        name="signal.wait",
        description=_(
            "Wait, without holding a worker, for a named signal sent to the run by the people "
            "allowed (the person who started it unless senders are named); its payload is the "
            "step's output."
        ),
        schema={
            "type": "object",
            "properties": {
                "name": SIGNAL_NAME,
                "senders": {"type": "array", "items": PERSON, "maxItems": MAX_PEOPLE},
                "timeout_seconds": TIMEOUT,
                "on_timeout": {"enum": ["fail", "continue"]},
            },
            "required": ["name", "timeout_seconds"],
            "additionalProperties": False,
        },
        run=run_signal_wait,
        changes_data=True,
    )
)

register(
    StepType(
        name="approval.request",
        description=_(
            "Ask people (or the managers of a project) to approve, and wait without holding a "
            "worker; a rejection fails the step. At the timeout: reject, approve or fail."
        ),
        schema={
            "type": "object",
            "properties": {
                "approvers": {"type": "array", "items": PERSON, "maxItems": MAX_PEOPLE},
                "project_managers": {
                    "anyOf": [ID, {"type": "string", "pattern": ".*\\{\\{.+\\}\\}.*"}]
                },
                "message": {"type": "string", "minLength": 1, "maxLength": 2000},
                "timeout_seconds": TIMEOUT,
                "on_timeout": {"enum": ["reject", "approve", "fail"]},
            },
            "required": ["message", "timeout_seconds"],
            "anyOf": [{"required": ["approvers"]}, {"required": ["project_managers"]}],
            "additionalProperties": False,
        },
        run=run_approval,
        changes_data=True,
    )
)
