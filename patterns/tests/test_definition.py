"""Parsing definitions, their round trip and their checksum."""

from patterns.engine.definition import (
    DEFAULT_TIMEOUT_SECONDS,
    PatternDefinition,
    RetryPolicy,
    checksum,
)


def test_missing_fields_take_defaults():
    [step] = PatternDefinition.from_dict({"steps": [{"id": "a", "type": "noop"}]}).steps

    assert step.parameters == {}
    assert step.depends_on == ()
    assert step.retry == RetryPolicy(max_attempts=1)
    assert step.timeout_seconds == DEFAULT_TIMEOUT_SECONDS
    assert step.compensation is False
    assert step.on_error == "fail"


def test_to_dict_round_trips():
    data = {
        "steps": [
            {"id": "a", "type": "noop", "retry": {"max_attempts": 3, "backoff": [1, 10]}},
            {
                "id": "b",
                "type": "noop",
                "depends_on": ["a"],
                "retry": {"backoff": {"base": 0.5, "factor": 3}, "retryable_errors": ["x"]},
                "compensation": True,
                "on_error": "continue",
            },
        ]
    }
    definition = PatternDefinition.from_dict(data)

    assert PatternDefinition.from_dict(definition.to_dict()) == definition


def test_checksum_ignores_key_order():
    first = {"steps": [{"id": "a", "type": "noop", "parameters": {"x": 1, "y": 2}}]}
    second = {"steps": [{"parameters": {"y": 2, "x": 1}, "type": "noop", "id": "a"}]}

    assert checksum(first) == checksum(second)


def test_checksum_is_stable_sha256():
    assert checksum({"steps": []}) == (
        "4430e7786edc0f8419f02e909c15422ebf572287a58132d8f6f33250ce053121"
    )


def test_checksum_changes_with_content():
    assert checksum({"steps": [{"id": "a"}]}) != checksum({"steps": [{"id": "b"}]})
