"""Factories for patterns: a pattern is created through its service, so it is validated."""

from __future__ import annotations

import itertools
from typing import Any

from patterns.models import Pattern, PatternKind
from patterns.services import pattern_create

_numbers = itertools.count(1)


def make_pattern(
    owner=None,
    *,
    steps: list[dict[str, Any]] | None = None,
    key: str | None = None,
    kind: str = PatternKind.USER,
    input_schema: dict[str, Any] | None = None,
    name: str = "",
) -> Pattern:
    """Return a new pattern (a user pattern of ``owner`` unless ``kind`` says otherwise)."""
    key = key or f"pattern-{next(_numbers)}"
    return pattern_create(
        actor=owner,
        key=key,
        name=name or key.replace("-", " ").title(),
        kind=kind,
        input_schema=input_schema,
        definition={
            "steps": steps or [{"id": "only", "type": "condition", "parameters": {"value": True}}]
        },
    )
