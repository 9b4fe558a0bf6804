"""Validate a pattern definition and return every problem found, never raising."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from patterns.engine.definition import (
    MAX_ATTEMPTS_LIMIT,
    MAX_TIMEOUT_SECONDS,
    ON_ERROR_CHOICES,
    PATTERN_RUN_STEP_TYPE,
)
from patterns.engine.references import (
    PatternReferenceError,
    ReferenceSite,
    parse_reference,
    reference_sites,
    whole_reference,
)
from relations.algorithms import Graph, find_cycles

STEP_FIELDS: frozenset[str] = frozenset(
    {"id", "type", "parameters", "depends_on", "retry", "timeout_seconds", "compensation"}
    | {"on_error", "action"}
)
MAX_ACTION_LENGTH = 200
RETRY_FIELDS: frozenset[str] = frozenset({"max_attempts", "backoff", "retryable_errors"})
STEP_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")
MAX_PATTERN_CHAIN = 50
# Enough for any workflow a person reads; a longer one belongs in composite patterns.
MAX_STEPS = 200

StepsOf = Callable[[str], "list[Any] | None"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: a stable code, a translatable message, a path."""

    code: str
    message: str
    path: str

    def as_dict(self) -> dict[str, str]:
        """Return the problem as JSON-ready data, the message translated now."""
        return {"code": self.code, "message": str(self.message), "path": self.path}


def _interpolate(text: str, params: dict[str, Any]) -> str:
    return str(text) % params


_lazy_interpolate = lazy(_interpolate, str)


def _message(text: str, **params: Any) -> Any:
    """Return ``text % params`` translated when it is shown, not when it is built."""
    return _lazy_interpolate(text, params)


def _path(*parts: str | int) -> str:
    return "/".join(str(part) for part in parts)


def validate_definition(
    data: Any,
    *,
    parameter_schemas: Mapping[str, dict[str, Any]],
    steps_of: StepsOf | None = None,
    pattern_key: str | None = None,
) -> list[Problem]:
    """Return every problem in ``data``; an empty list means the definition is valid.

    ``parameter_schemas`` maps each step type to the JSON Schema of its parameters.
    ``steps_of(key)`` returns another pattern's latest steps (None when it does not
    exist); without it, only a composite step calling ``pattern_key`` itself is caught.
    """
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        return [Problem("invalid_shape", _("A definition must be an object."), "")]
    for key in sorted(set(data) - {"steps"}, key=str):
        problems.append(
            Problem("invalid_shape", _message(_("Unknown field %(field)s."), field=key), str(key))
        )
    steps = data.get("steps")
    if not isinstance(steps, list):
        problems.append(Problem("invalid_shape", _("steps must be a list of steps."), "steps"))
        return problems
    if not steps:
        problems.append(Problem("no_steps", _("A pattern needs at least one step."), "steps"))
        return problems
    if len(steps) > MAX_STEPS:
        # Checked before anything else: every later check grows with the number of steps.
        problems.append(
            Problem(
                "too_many_steps",
                _message(_("A pattern has at most %(max)s steps."), max=MAX_STEPS),
                "steps",
            )
        )
        return problems

    well_formed: dict[int, Mapping[str, Any]] = {}
    for index, step in enumerate(steps):
        step_problems = list(_step_shape_problems(step, index))
        problems.extend(step_problems)
        if isinstance(step, Mapping) and isinstance(step.get("id"), str):
            well_formed[index] = step

    index_of: dict[str, int] = {}
    for index, step in well_formed.items():
        step_id = step["id"]
        if step_id in index_of:
            problems.append(
                Problem(
                    "duplicate_step_id",
                    _message(_("Step id %(id)s is used more than once."), id=step_id),
                    _path("steps", index, "id"),
                )
            )
        else:
            index_of[step_id] = index

    dependencies: dict[str, list[str]] = {step_id: [] for step_id in index_of}
    for index, step in well_formed.items():
        depends_on = step.get("depends_on")
        if not isinstance(depends_on, list):
            continue
        for position, dependency in enumerate(depends_on):
            if not isinstance(dependency, str):
                continue
            if dependency not in index_of:
                problems.append(
                    Problem(
                        "unknown_dependency",
                        _message(
                            _("Step %(id)s depends on no step called %(dependency)s."),
                            id=step["id"],
                            dependency=dependency,
                        ),
                        _path("steps", index, "depends_on", position),
                    )
                )
            elif index_of[step["id"]] == index:
                dependencies[step["id"]].append(dependency)

    problems.extend(_cycle_problems(dependencies, index_of))

    for index, step in well_formed.items():
        if index_of.get(step["id"]) != index:
            continue
        problems.extend(_type_and_parameter_problems(step, index, parameter_schemas))
        problems.extend(_reference_problems(step, index, dependencies))
    problems.extend(_pattern_chain_problems(steps, steps_of, pattern_key))
    return problems


def _step_shape_problems(step: Any, index: int) -> Iterator[Problem]:
    """Yield problems with one step's fields, retry, timeout and on_error."""
    here = ("steps", index)
    if not isinstance(step, Mapping):
        yield Problem("invalid_shape", _("A step must be an object."), _path(*here))
        return
    for key in sorted(set(step) - STEP_FIELDS, key=str):
        yield Problem(
            "invalid_shape", _message(_("Unknown field %(field)s."), field=key), _path(*here, key)
        )
    step_id = step.get("id")
    if not isinstance(step_id, str) or not STEP_ID.fullmatch(step_id):
        yield Problem(
            "invalid_step_id",
            _("A step id starts with a letter or _ and holds letters, digits, _ and -."),
            _path(*here, "id"),
        )
    if not isinstance(step.get("type"), str):
        yield Problem("invalid_shape", _("A step needs a type."), _path(*here, "type"))
    if not isinstance(step.get("parameters", {}), Mapping):
        yield Problem(
            "invalid_shape", _("parameters must be an object."), _path(*here, "parameters")
        )
    depends_on = step.get("depends_on", [])
    if not isinstance(depends_on, list):
        yield Problem(
            "invalid_shape", _("depends_on must be a list of step ids."), _path(*here, "depends_on")
        )
    else:
        for position, dependency in enumerate(depends_on):
            if not isinstance(dependency, str):
                yield Problem(
                    "invalid_shape",
                    _("depends_on must be a list of step ids."),
                    _path(*here, "depends_on", position),
                )
    if not isinstance(step.get("compensation", False), bool):
        yield Problem(
            "invalid_shape", _("compensation must be true or false."), _path(*here, "compensation")
        )
    timeout = step.get("timeout_seconds")
    if timeout is not None and (not _is_int(timeout) or not 1 <= timeout <= MAX_TIMEOUT_SECONDS):
        yield Problem(
            "invalid_timeout",
            _message(
                _("timeout_seconds must be a whole number from 1 to %(max)d."),
                max=MAX_TIMEOUT_SECONDS,
            ),
            _path(*here, "timeout_seconds"),
        )
    on_error = step.get("on_error")
    if on_error is not None and on_error not in ON_ERROR_CHOICES:
        yield Problem(
            "invalid_on_error",
            _message(
                _("on_error must be one of %(choices)s."), choices=", ".join(ON_ERROR_CHOICES)
            ),
            _path(*here, "on_error"),
        )
    action = step.get("action")
    if action is not None and (not isinstance(action, str) or len(action) > MAX_ACTION_LENGTH):
        yield Problem(
            "invalid_action",
            _message(_("action is a text of at most %(max)d characters."), max=MAX_ACTION_LENGTH),
            _path(*here, "action"),
        )
    yield from _retry_problems(step.get("retry"), (*here, "retry"))


def _retry_problems(retry: Any, here: tuple[str | int, ...]) -> Iterator[Problem]:
    """Yield problems with a retry policy: attempts, backoff and retryable error codes."""
    if retry is None:
        return
    if not isinstance(retry, Mapping):
        yield Problem("invalid_retry", _("retry must be an object."), _path(*here))
        return
    for key in sorted(set(retry) - RETRY_FIELDS, key=str):
        yield Problem(
            "invalid_retry", _message(_("Unknown field %(field)s."), field=key), _path(*here, key)
        )
    attempts = retry.get("max_attempts", 1)
    if not _is_int(attempts) or not 1 <= attempts <= MAX_ATTEMPTS_LIMIT:
        yield Problem(
            "invalid_retry",
            _message(
                _("max_attempts must be a whole number from 1 to %(max)d."), max=MAX_ATTEMPTS_LIMIT
            ),
            _path(*here, "max_attempts"),
        )
    backoff = retry.get("backoff")
    if isinstance(backoff, list):
        if not backoff or not all(_is_number(delay) and delay >= 0 for delay in backoff):
            yield Problem(
                "invalid_retry",
                _("A backoff list holds one or more delays of zero seconds or more."),
                _path(*here, "backoff"),
            )
    elif isinstance(backoff, Mapping):
        base, factor = backoff.get("base", 1), backoff.get("factor", 2)
        if (
            set(backoff) - {"base", "factor"}
            or not (_is_number(base) and base >= 0)
            or not (_is_number(factor) and factor >= 1)
        ):
            yield Problem(
                "invalid_retry",
                _("backoff takes a base of zero seconds or more and a factor of 1 or more."),
                _path(*here, "backoff"),
            )
    elif backoff is not None:
        yield Problem(
            "invalid_retry",
            _("backoff is a list of delays or an object with base and factor."),
            _path(*here, "backoff"),
        )
    errors = retry.get("retryable_errors")
    if errors is not None and (
        not isinstance(errors, list) or not all(isinstance(code, str) and code for code in errors)
    ):
        yield Problem(
            "invalid_retry",
            _("retryable_errors must be a list of error codes."),
            _path(*here, "retryable_errors"),
        )


def _cycle_problems(dependencies: dict[str, list[str]], index_of: dict[str, int]) -> list[Problem]:
    """Return one problem per dependency cycle, naming its steps in order."""
    # An edge (step, dependency, "parent") reads "step waits for dependency".
    graph = Graph(
        (
            (step_id, dependency, "parent")
            for step_id, needed in dependencies.items()
            for dependency in needed
        ),
        nodes=dependencies,
    )
    problems = []
    for cycle in find_cycles(graph):
        first = min(cycle, key=index_of.__getitem__)
        start = cycle.index(first)
        ordered = [*cycle[start:], *cycle[:start], first]
        problems.append(
            Problem(
                "dependency_cycle",
                _message(
                    _("Steps depend on each other in a cycle: %(cycle)s."),
                    cycle=" -> ".join(ordered),
                ),
                _path("steps", index_of[first], "depends_on"),
            )
        )
    return problems


def _type_and_parameter_problems(
    step: Mapping[str, Any], index: int, parameter_schemas: Mapping[str, dict[str, Any]]
) -> list[Problem]:
    """Return an unknown type, or the parameters' schema errors outside references."""
    step_type = step.get("type")
    if not isinstance(step_type, str):
        return []
    if step_type not in parameter_schemas:
        return [
            Problem(
                "unknown_step_type",
                _message(_("There is no step type %(type)s."), type=step_type),
                _path("steps", index, "type"),
            )
        ]
    parameters = step.get("parameters", {})
    if not isinstance(parameters, Mapping):
        return []
    try:
        validator = Draft202012Validator(parameter_schemas[step_type])
        errors = sorted(validator.iter_errors(parameters), key=lambda error: list(error.path))
        found = [error for error in errors if not _inside_reference(parameters, error.path)]
    except SchemaError:
        return [
            Problem(
                "invalid_parameters",
                _message(_("The schema of step type %(type)s is broken."), type=step_type),
                _path("steps", index, "parameters"),
            )
        ]
    return [
        Problem(
            "invalid_parameters",
            _message(_("Invalid parameter: %(error)s"), error=error.message),
            _path("steps", index, "parameters", *error.path),
        )
        for error in found
    ]


def _inside_reference(parameters: Any, error_path: Any) -> bool:
    """Return whether an error lies at or below a value that is a whole reference."""
    current = parameters
    for key in error_path:
        if whole_reference(current) is not None:
            return True
        try:
            current = current[key]
        except (KeyError, IndexError, TypeError):
            return False
    return whole_reference(current) is not None


def _reference_problems(
    step: Mapping[str, Any], index: int, dependencies: dict[str, list[str]]
) -> list[Problem]:
    """Return malformed references, unknown roots and references to non-dependencies."""
    parameters = step.get("parameters", {})
    if not isinstance(parameters, Mapping):
        return []
    upstream = _transitive_dependencies(step["id"], dependencies)
    problems = []
    for site in reference_sites(parameters):
        where = _path("steps", index, "parameters", *site.path)
        try:
            reference = parse_reference(site.expression)
        except PatternReferenceError as error:
            problems.append(Problem(error.code, _reference_message(error.code, site), where))
            continue
        if reference.step_id is not None and reference.step_id not in upstream:
            problems.append(
                Problem(
                    "reference_not_dependency",
                    _message(
                        _(
                            "%(reference)s reads step %(step)s, which step %(id)s "
                            "does not depend on."
                        ),
                        reference=reference.expression,
                        step=reference.step_id,
                        id=step["id"],
                    ),
                    where,
                )
            )
    return problems


def _reference_message(code: str, site: ReferenceSite) -> Any:
    """Return the message for a reference that could not be parsed."""
    expression = site.expression.strip()
    if code == "unknown_reference_root":
        return _message(
            _("Reference %(reference)s must start with input or steps."), reference=expression
        )
    return _message(
        _(
            "Malformed reference %(reference)s: write {{ input.key }} or "
            "{{ steps.<id>.output.key }}."
        ),
        reference=expression,
    )


def _transitive_dependencies(step_id: str, dependencies: dict[str, list[str]]) -> set[str]:
    """Return every step ``step_id`` waits for, directly or not (cycles tolerated)."""
    found: set[str] = set()
    stack = list(dependencies.get(step_id, ()))
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(dependencies.get(current, ()))
    return found


def _called_patterns(steps: Any) -> list[tuple[int, str]]:
    """Return ``(step index, pattern key)`` for each ``pattern.run`` step with a plain key."""
    if not isinstance(steps, list):
        return []
    calls = []
    for index, step in enumerate(steps):
        if not isinstance(step, Mapping) or step.get("type") != PATTERN_RUN_STEP_TYPE:
            continue
        parameters = step.get("parameters")
        key = parameters.get("pattern") if isinstance(parameters, Mapping) else None
        if isinstance(key, str) and key and not reference_sites(key):
            calls.append((index, key))
    return calls


def _pattern_chain_problems(
    steps: list[Any], steps_of: StepsOf | None, pattern_key: str | None
) -> list[Problem]:
    """Return a problem for each composite step whose calls lead back into a loop."""
    problems: list[Problem] = []
    loop_free: set[str] = set()

    def find_loop(chain: list[str]) -> list[str] | None:
        """Return a looping chain reachable from ``chain``'s last pattern, or None."""
        current = chain[-1]
        if current in chain[:-1]:
            return chain[chain.index(current) :]
        if current in loop_free or steps_of is None or len(chain) > MAX_PATTERN_CHAIN:
            return None
        for _index, called in _called_patterns(steps_of(current)):
            loop = find_loop([*chain, called])
            if loop is not None:
                return loop
        loop_free.add(current)
        return None

    for index, called in _called_patterns(steps):
        where = _path("steps", index, "parameters", "pattern")
        if steps_of is not None and called != pattern_key and steps_of(called) is None:
            problems.append(
                Problem(
                    "unknown_pattern",
                    _message(_("There is no pattern %(key)s."), key=called),
                    where,
                )
            )
            continue
        start = [pattern_key] if pattern_key is not None else []
        loop = find_loop([*start, called])
        if loop is not None:
            problems.append(
                Problem(
                    "pattern_recursion",
                    _message(
                        _("Patterns call each other in a loop: %(chain)s."), chain=" -> ".join(loop)
                    ),
                    where,
                )
            )
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
