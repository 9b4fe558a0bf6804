"""Checking run input against a pattern's input schema, with regexes that cannot hang a worker.

An input schema's ``pattern`` and ``patternProperties`` regexes come from whoever wrote the
pattern, and the input from whoever runs it. Python's ``re`` has no time limit, so a regex
that backtracks catastrophically (``^(a|aa)+$`` on a long non-matching string) would hold a
web or Celery worker for minutes. These two keywords run on the ``regex`` engine with a time
limit instead; a regex that runs out of time is a problem with the input, answered like any
other.
"""

from __future__ import annotations

from typing import Any

import regex
from django.conf import settings
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError as SchemaValidationError


def regex_timeout_seconds() -> float:
    return float(getattr(settings, "PATTERNS_INPUT_REGEX_TIMEOUT_SECONDS", 0.1))


def bounded_search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text``; TimeoutError past the time limit."""
    return regex.search(pattern, text, timeout=regex_timeout_seconds()) is not None


def too_slow(pattern: str) -> SchemaValidationError:
    return SchemaValidationError(
        _("Checking the value against the pattern %(pattern)s took too long.")
        % {"pattern": pattern}
    )


def pattern_keyword(validator, pattern: str, instance: Any, schema):
    if not validator.is_type(instance, "string"):
        return
    try:
        matched = bounded_search(pattern, instance)
    except TimeoutError:
        yield too_slow(pattern)
        return
    if not matched:
        yield SchemaValidationError(f"{instance!r} does not match {pattern!r}")


def pattern_properties_keyword(validator, patterns: dict[str, Any], instance: Any, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            try:
                matched = bounded_search(pattern, key)
            except TimeoutError:
                yield too_slow(pattern)
                return
            if matched:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


InputValidator = validators.extend(
    Draft202012Validator,
    {"pattern": pattern_keyword, "patternProperties": pattern_properties_keyword},
)
