"""The composite step: ``pattern.run`` runs another pattern as one step of this one."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from patterns.models import Execution, ExecutionStatus
from patterns.selectors import pattern_visible
from patterns.steps import StepError, StepType, register
from patterns.steps.context import ChildRuns, StepContext


def child_pattern(context: StepContext, key: str):
    """Return the pattern ``key`` if the run's user may run it, else raise a step error."""
    pattern = pattern_visible(context.actor, key)
    if pattern is None:
        raise StepError(_("There is no pattern %(key)s.") % {"key": key}, code="not_found")
    return pattern


def children_of(context: StepContext) -> ChildRuns:
    if context.children is None:  # a step run outside the executor
        raise StepError(_("Another pattern can only be run by the executor."), code="no_executor")
    return context.children


def run_pattern(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run another pattern to its end inside this step's transaction; its outputs by step."""
    pattern = child_pattern(context, parameters["pattern"])
    child = children_of(context).run(
        pattern, version=parameters.get("version"), input=parameters.get("input") or {}
    )
    if child.status != ExecutionStatus.SUCCEEDED:
        raise StepError(
            _("The pattern %(key)s ended %(status)s.")
            % {"key": pattern.key, "status": child.status},
            code="pattern_failed",
            details={"execution": str(child.pk), "error": child.error},
        )
    return {
        "execution": str(child.pk),
        "steps": {run.step_id: run.output for run in child.steps.all()},
    }


def undo_pattern(context: StepContext, parameters: dict[str, Any], output: Any) -> None:
    """Undo the called pattern's finished steps, newest first."""
    child = (
        Execution.objects.select_related("pattern", "version", "started_by")
        .filter(pk=(output or {}).get("execution"))
        .first()
    )
    if child is None:
        return
    if not children_of(context).compensate(child):
        raise StepError(_("Part of the called pattern could not be undone."), code="undo_failed")


register(
    StepType(
        name="pattern.run",
        description=_("Run another pattern as one step."),
        schema={
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "minLength": 1, "maxLength": 64},
                "version": {"type": "integer", "minimum": 1},
                "input": {},
            },
            "required": ["pattern"],
            "additionalProperties": False,
        },
        run=run_pattern,
        undo=undo_pattern,
    )
)
