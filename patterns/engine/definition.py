"""Typed pattern definitions parsed from JSON-like dicts, and their stable checksum."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ON_ERROR_FAIL = "fail"
ON_ERROR_COMPENSATE = "compensate"
ON_ERROR_CONTINUE = "continue"
ON_ERROR_CHOICES: tuple[str, ...] = (ON_ERROR_FAIL, ON_ERROR_COMPENSATE, ON_ERROR_CONTINUE)

CONDITION_STEP_TYPE = "condition"
PATTERN_RUN_STEP_TYPE = "pattern.run"

DEFAULT_TIMEOUT_SECONDS = 300
MAX_TIMEOUT_SECONDS = 24 * 60 * 60
DEFAULT_BACKOFF_BASE = 1.0
DEFAULT_BACKOFF_FACTOR = 2.0
MAX_ATTEMPTS_LIMIT = 100


@dataclass(frozen=True)
class RetryPolicy:
    """How often a step is tried and how long to wait between attempts.

    The wait is ``backoff_schedule[attempt - 1]`` (its last value repeating) when a schedule
    is given, else ``backoff_base * backoff_factor ** (attempt - 1)``. ``retryable_errors``
    None means every error may be retried; a tuple limits retries to those error codes.
    """

    max_attempts: int = 1
    backoff_base: float = DEFAULT_BACKOFF_BASE
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR
    backoff_schedule: tuple[float, ...] | None = None
    retryable_errors: tuple[str, ...] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RetryPolicy:
        """Return the policy written in ``data``; missing values take the defaults."""
        if not data:
            return cls()
        backoff = data.get("backoff")
        base, factor, schedule = DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_FACTOR, None
        if isinstance(backoff, list | tuple):
            schedule = tuple(float(delay) for delay in backoff)
        elif isinstance(backoff, Mapping):
            base = float(backoff.get("base", DEFAULT_BACKOFF_BASE))
            factor = float(backoff.get("factor", DEFAULT_BACKOFF_FACTOR))
        errors = data.get("retryable_errors")
        return cls(
            max_attempts=int(data.get("max_attempts", 1)),
            backoff_base=base,
            backoff_factor=factor,
            backoff_schedule=schedule,
            retryable_errors=None if errors is None else tuple(errors),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-like form that ``from_dict`` reads back to an equal policy."""
        backoff: list[float] | dict[str, float]
        if self.backoff_schedule is not None:
            backoff = list(self.backoff_schedule)
        else:
            backoff = {"base": self.backoff_base, "factor": self.backoff_factor}
        errors = None if self.retryable_errors is None else list(self.retryable_errors)
        return {"max_attempts": self.max_attempts, "backoff": backoff, "retryable_errors": errors}

    def is_retryable(self, error_code: str) -> bool:
        """Return whether an error with ``error_code`` may be retried under this policy."""
        return self.retryable_errors is None or error_code in self.retryable_errors


@dataclass(frozen=True)
class StepDefinition:
    """One step of a pattern: what it runs, what it waits for and how it fails."""

    id: str
    type: str
    parameters: dict[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    compensation: bool = False
    on_error: str = ON_ERROR_FAIL
    action: str = ""  # what the step does, in words, for the people reading the definition

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepDefinition:
        """Return the step written in ``data`` (validate it first); defaults fill the gaps."""
        timeout = data.get("timeout_seconds")
        on_error = data.get("on_error")
        return cls(
            id=data["id"],
            type=data["type"],
            parameters=dict(data.get("parameters") or {}),
            depends_on=tuple(data.get("depends_on") or ()),
            retry=RetryPolicy.from_dict(data.get("retry")),
            timeout_seconds=DEFAULT_TIMEOUT_SECONDS if timeout is None else int(timeout),
            compensation=bool(data.get("compensation", False)),
            on_error=ON_ERROR_FAIL if on_error is None else on_error,
            action=str(data.get("action") or ""),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-like form, every field spelled out."""
        return {
            "id": self.id,
            "type": self.type,
            "parameters": self.parameters,
            "depends_on": list(self.depends_on),
            "retry": self.retry.to_dict(),
            "timeout_seconds": self.timeout_seconds,
            "compensation": self.compensation,
            "on_error": self.on_error,
            "action": self.action,
        }


@dataclass(frozen=True)
class PatternDefinition:
    """The steps of one pattern version, in the order they were written."""

    steps: tuple[StepDefinition, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PatternDefinition:
        """Return the definition written in ``data``; run ``validate_definition`` first."""
        return cls(steps=tuple(StepDefinition.from_dict(step) for step in data.get("steps", ())))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-like form that ``from_dict`` reads back to an equal definition."""
        return {"steps": [step.to_dict() for step in self.steps]}

    @property
    def step_ids(self) -> list[str]:
        """Return the step ids in definition order."""
        return [step.id for step in self.steps]

    def step(self, step_id: str) -> StepDefinition:
        """Return the step called ``step_id``; KeyError when there is none."""
        return self._by_id[step_id]

    # A definition never changes, so what the executor asks of it on every turn of its loop
    # is worked out once (cached_property writes the instance's __dict__, frozen or not).
    @functools.cached_property
    def _by_id(self) -> dict[str, StepDefinition]:
        by_id: dict[str, StepDefinition] = {}
        for step in self.steps:
            by_id.setdefault(step.id, step)  # the first of duplicates, as validation reports
        return by_id

    @functools.cached_property
    def order(self) -> tuple[str, ...]:
        """Return the step ids in execution order (``planning.execution_order``), once."""
        from patterns.engine.planning import execution_order

        return tuple(execution_order(self))


def canonical_json(data: Any) -> str:
    """Return ``data`` as JSON with sorted keys and no insignificant whitespace."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def checksum(definition_dict: Mapping[str, Any]) -> str:
    """Return the SHA-256 hex digest of the definition's canonical JSON.

    Equal dicts give equal checksums whatever their key order. Pass
    ``PatternDefinition.from_dict(data).to_dict()`` to make spelled-out defaults and
    omitted ones count as the same version.
    """
    return hashlib.sha256(canonical_json(definition_dict).encode("utf-8")).hexdigest()
