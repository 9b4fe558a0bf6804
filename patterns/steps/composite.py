"""The composite step: ``pattern.run`` runs another pattern as one step of this one."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from patterns.steps import StepError, StepType, register
from patterns.steps.context import StepContext


def child_pattern(context: StepContext, key: str):
    """Return the pattern ``key`` if the run's user may run it, else raise a step error."""
    from patterns.selectors import pattern_visible

    pattern = pattern_visible(context.actor, key)
    if pattern is None:
        raise StepError(_("There is no pattern %(key)s.") % {"key": key}, code="not_found")
    return pattern


def run_pattern(context: StepContext, parameters: dict[str, Any]) -> dict[str, Any]:
    """Run another pattern to its end inside this step's transaction; its outputs by step."""
    from patterns.executor import execution_run_inline
    from patterns.models import ExecutionStatus, StepRun
    from patterns.services import new_execution, version_to_run

    pattern = child_pattern(context, parameters["pattern"])
    parent_step = StepRun.objects.get(execution=context.execution, step_id=context.step.id)
    child = new_execution(
        pattern=pattern,
        version=version_to_run(pattern, parameters.get("version")),
        input=parameters.get("input") or {},
        actor=context.actor,
        parent_step=parent_step,
    )
    child = execution_run_inline(child, dry_run=context.dry_run)
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
    from patterns.executor import Runner
    from patterns.models import Execution

    child = (
        Execution.objects.select_related("pattern", "version", "started_by")
        .filter(pk=(output or {}).get("execution"))
        .first()
    )
    if child is None:
        return
    if not Runner(child, inline=True).compensate():
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
