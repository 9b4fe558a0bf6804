"""The registry of step types: each has a JSON Schema for its parameters, a run function
returning the step's output and, where the step changes data, an undo for compensation.

A step type module registers its types with ``register``; ``load_builtin`` imports every
built-in module once at start (``PatternsConfig.ready``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import BaseAppException

if TYPE_CHECKING:
    from patterns.steps.context import StepContext

BUILTIN_MODULES = (
    "patterns.steps.control",
    "patterns.steps.graph",
    "patterns.steps.work",
    "patterns.steps.communication",
    "patterns.steps.composite",
    "patterns.steps.bulk",
    "patterns.steps.signals",
    "patterns.steps.http",
)

RunFunction = Callable[["StepContext", dict[str, Any]], Any]
UndoFunction = Callable[["StepContext", dict[str, Any], Any], None]
DescribeFunction = Callable[[dict[str, Any]], str]


class StepError(BaseAppException):
    """A step could not do its work; ``code`` is what retry policies match on."""

    code = "step_error"
    status = 422
    default_message = _("The step failed.")


class StepDeferred(Exception):
    """Raised by a step that is not done yet: run it again at ``until``, keeping ``state``.

    The step's own transaction is rolled back; ``announce``, if given, runs in the
    transaction that saves the deferral (what the step publishes about its wait).
    """

    def __init__(
        self,
        until,
        state: dict[str, Any] | None = None,
        announce: Callable[[], None] | None = None,
    ):
        self.until = until
        self.state = state or {}
        self.announce = announce
        super().__init__(f"deferred until {until}")


class StepTimeoutError(StepError):
    code = "timeout"
    default_message = _("The step did not finish within its timeout.")


@dataclass(frozen=True)
class StepType:
    """One kind of step: what its parameters look like, how it runs, how it is undone."""

    name: str
    schema: dict[str, Any]
    run: RunFunction
    undo: UndoFunction | None = None
    description: Any = ""  # what the type does, in words (translatable)
    changes_data: bool = True


_registry: dict[str, StepType] = {}


def register(step_type: StepType) -> StepType:
    """Add ``step_type`` to the registry; registering the same name twice is a mistake."""
    existing = _registry.get(step_type.name)
    if existing is not None and existing is not step_type:
        raise ValueError(f"Step type {step_type.name!r} is already registered.")
    _registry[step_type.name] = step_type
    return step_type


def unregister(name: str) -> None:
    """Remove a step type (tests and benchmarks that register their own)."""
    _registry.pop(name, None)


def get(name: str) -> StepType:
    """Return the step type called ``name``; KeyError when there is none."""
    return _registry[name]


def all_types() -> list[StepType]:
    """Return every registered step type, by name."""
    return [_registry[name] for name in sorted(_registry)]


def parameter_schemas() -> dict[str, dict[str, Any]]:
    """Return each step type's parameter schema by name, for validation."""
    return {name: step_type.schema for name, step_type in _registry.items()}


def load_builtin() -> None:
    """Import the built-in step type modules (each registers its types on import)."""
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
