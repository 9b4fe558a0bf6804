"""Creating an execution: its row and a pending row per step, for a checked input.

The layer below both the services (a person starts a run) and the executor (a composite step
starts a child run), so that neither has to import the other.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import BusinessRuleError, NotFoundError, ValidationError
from patterns.input_schema import input_problems
from patterns.models import Execution, Pattern, PatternVersion, StepRun


def version_to_run(pattern: Pattern, number: int | None) -> PatternVersion:
    """Return version ``number``, or the newest one (read now, not from a stale instance)."""
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
        raise ValidationError(details={"version": [_("A version is a whole number.")]})
    versions = pattern.versions.all()
    version = (
        versions.order_by("-number").first()
        if number is None
        else versions.filter(number=number).first()
    )
    if version is None:
        raise NotFoundError(_("This pattern has no version %(number)s.") % {"number": number})
    return version


def new_execution(
    *,
    pattern: Pattern,
    version: PatternVersion,
    input: Any,
    actor,
    idempotency_key: str = "",
    parent_step: StepRun | None = None,
    chain_depth: int = 0,
) -> Execution:
    """Create an execution with a pending row for each of its steps (validated input)."""
    if not pattern.is_active:
        raise BusinessRuleError(_("This pattern is not active."))
    problems = input_problems(pattern, input)
    if problems:
        raise ValidationError(
            _("The input does not match the pattern's input schema."),
            details={"input": problems},
        )
    execution = Execution.objects.create(
        pattern=pattern,
        version=version,
        input=input,
        started_by=actor,
        idempotency_key=idempotency_key,
        parent_step=parent_step,
        chain_depth=chain_depth,
    )
    definition = version.definition
    StepRun.objects.bulk_create(
        StepRun(execution=execution, step_id=step["id"], type=step["type"], position=index)
        for index, step in enumerate(definition["steps"])
    )
    return execution
