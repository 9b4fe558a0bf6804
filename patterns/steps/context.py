"""What a step's run and undo functions are given: the execution, the step, who runs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from nexus_site.events.services import publish
from patterns.engine.definition import StepDefinition
from patterns.models import Execution, Pattern


class ChildRuns(Protocol):
    """How a step runs another pattern inside its own transaction, and undoes such a run;
    the executor provides it, so that no step imports the executor."""

    def run(self, pattern: Pattern, *, version: int | None, input: Any) -> Execution:
        """Start ``pattern`` as a child of this step and run it to its end."""

    def compensate(self, execution: Execution) -> bool:
        """Undo the finished steps of a child run, newest first; False if one could not be."""


@dataclass
class StepContext:
    """The world of one attempt of one step.

    ``actor`` is the user the execution runs as: every service a step calls checks that
    user's access, so a pattern can never do more than the person who started it.
    ``dry_run`` is true while the whole run happens in a transaction that will be rolled
    back; steps act as usual (the rollback discards it) but ``wait`` does not sleep.
    """

    execution: Execution
    step: StepDefinition
    actor: Any
    attempt: int = 1
    dry_run: bool = False
    # What a deferred step kept between its calls (see StepDeferred), else empty.
    state: dict[str, Any] = field(default_factory=dict)
    # Child runs of composite steps (``pattern.run``); None where no executor drives the step.
    children: ChildRuns | None = None
    # Whether the step may wait for people (defer durably): not inside another step's run.
    can_wait: bool = True

    @property
    def pattern_key(self) -> str:
        return self.execution.pattern.key

    def event_payload(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return ``payload`` tagged with this pattern, execution and step."""
        return {
            **(payload or {}),
            "pattern": self.pattern_key,
            "execution": str(self.execution.id),
            "step": self.step.id,
        }

    def publish(
        self, type: str, payload: dict[str, Any] | None = None, *, user_ids=(), node: str = ""
    ):
        """Publish an event in the step's transaction, tagged so ``?pattern=`` finds it."""
        audience = list(user_ids) or self.audience()
        return publish(
            type, self.event_payload(payload), user_ids=audience, node=node, actor=self.actor
        )

    def audience(self) -> list[Any]:
        """Return who follows this execution: the user who started it."""
        started_by = self.execution.started_by_id
        return [started_by] if started_by else []
