"""Validation of pattern definitions: every problem kind, all returned at once."""

from typing import Any

from patterns.engine.validation import Problem, validate_definition

SCHEMAS: dict[str, dict[str, Any]] = {
    "http.get": {
        "type": "object",
        "properties": {"url": {"type": "string"}, "retries": {"type": "integer"}},
        "required": ["url"],
        "additionalProperties": False,
    },
    "condition": {"type": "object"},
    "pattern.run": {
        "type": "object",
        "properties": {"pattern": {"type": "string"}},
        "required": ["pattern"],
    },
}


def step(step_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": step_id, "type": "http.get", "parameters": {"url": "https://x"}, **fields}


def problems_of(data: Any, **options: Any) -> list[Problem]:
    return validate_definition(data, parameter_schemas=SCHEMAS, **options)


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(problem.code, problem.path) for problem in problems]


def test_valid_definition_has_no_problems():
    data = {
        "steps": [
            step("find"),
            step("use", depends_on=["find"], parameters={"url": "{{ steps.find.output.url }}"}),
        ]
    }

    assert problems_of(data) == []


def test_definition_that_is_not_an_object_is_invalid_shape():
    assert codes(problems_of(["steps"])) == [("invalid_shape", "")]


def test_steps_that_are_not_a_list_are_invalid_shape():
    assert codes(problems_of({"steps": "a"})) == [("invalid_shape", "steps")]


def test_step_that_is_not_an_object_is_invalid_shape():
    assert codes(problems_of({"steps": [step("a"), 3]})) == [("invalid_shape", "steps/1")]


def test_unknown_step_field_is_invalid_shape():
    assert codes(problems_of({"steps": [step("a", colour="red")]})) == [
        ("invalid_shape", "steps/0/colour")
    ]


def test_empty_steps_are_a_problem():
    assert codes(problems_of({"steps": []})) == [("no_steps", "steps")]


def test_bad_step_id_is_reported():
    assert codes(problems_of({"steps": [step("has space")]})) == [("invalid_step_id", "steps/0/id")]


def test_duplicate_ids_are_reported():
    assert codes(problems_of({"steps": [step("a"), step("a")]})) == [
        ("duplicate_step_id", "steps/1/id")
    ]


def test_unknown_step_type_is_reported():
    data = {"steps": [{"id": "a", "type": "teleport"}]}

    assert codes(problems_of(data)) == [("unknown_step_type", "steps/0/type")]


def test_bad_parameters_are_reported_with_their_path():
    data = {"steps": [step("a", parameters={"url": 5})]}

    assert codes(problems_of(data)) == [("invalid_parameters", "steps/0/parameters/url")]


def test_whole_reference_may_stand_in_for_any_type():
    data = {"steps": [step("a", parameters={"url": "{{ input.url }}", "retries": "{{ input.n }}"})]}

    assert problems_of(data) == []


def test_embedded_reference_does_not_make_a_wrong_type_right():
    data = {"steps": [step("a", parameters={"url": "x", "retries": "n={{ input.n }}"})]}

    assert codes(problems_of(data)) == [("invalid_parameters", "steps/0/parameters/retries")]


def test_unknown_dependency_is_reported():
    data = {"steps": [step("a", depends_on=["ghost"])]}

    assert codes(problems_of(data)) == [("unknown_dependency", "steps/0/depends_on/0")]


def test_cycle_is_reported_and_named():
    data = {
        "steps": [
            step("a", depends_on=["c"]),
            step("b", depends_on=["a"]),
            step("c", depends_on=["b"]),
        ]
    }

    [problem] = problems_of(data)

    assert (problem.code, problem.path) == ("dependency_cycle", "steps/0/depends_on")
    assert "a -> c -> b -> a" in str(problem.message)


def test_step_depending_on_itself_is_a_cycle():
    [problem] = problems_of({"steps": [step("a", depends_on=["a"])]})

    assert problem.code == "dependency_cycle"
    assert "a -> a" in str(problem.message)


def test_composite_calling_itself_directly_is_reported():
    data = {"steps": [{"id": "run", "type": "pattern.run", "parameters": {"pattern": "a"}}]}

    [problem] = problems_of(data, pattern_key="a")

    assert (problem.code, problem.path) == ("pattern_recursion", "steps/0/parameters/pattern")
    assert "a -> a" in str(problem.message)


def test_composite_calling_itself_through_a_chain_is_reported():
    others = {
        "b": [{"id": "x", "type": "pattern.run", "parameters": {"pattern": "c"}}],
        "c": [{"id": "y", "type": "pattern.run", "parameters": {"pattern": "a"}}],
    }
    data = {"steps": [{"id": "run", "type": "pattern.run", "parameters": {"pattern": "b"}}]}

    [problem] = problems_of(data, pattern_key="a", steps_of=others.get)

    assert problem.code == "pattern_recursion"
    assert "a -> b -> c -> a" in str(problem.message)


def test_composite_reaching_a_loop_elsewhere_is_reported():
    others = {
        "b": [{"id": "x", "type": "pattern.run", "parameters": {"pattern": "c"}}],
        "c": [{"id": "y", "type": "pattern.run", "parameters": {"pattern": "b"}}],
    }
    data = {"steps": [{"id": "run", "type": "pattern.run", "parameters": {"pattern": "b"}}]}

    [problem] = problems_of(data, pattern_key="a", steps_of=others.get)

    assert "b -> c -> b" in str(problem.message)


def test_composite_calling_a_missing_pattern_is_reported():
    data = {"steps": [{"id": "run", "type": "pattern.run", "parameters": {"pattern": "nope"}}]}

    assert codes(problems_of(data, pattern_key="a", steps_of={}.get)) == [
        ("unknown_pattern", "steps/0/parameters/pattern")
    ]


def test_composite_chain_without_a_loop_is_valid():
    others = {"b": [{"id": "x", "type": "http.get", "parameters": {"url": "u"}}]}
    data = {"steps": [{"id": "run", "type": "pattern.run", "parameters": {"pattern": "b"}}]}

    assert problems_of(data, pattern_key="a", steps_of=others.get) == []


def test_reference_with_unknown_root_is_reported():
    data = {"steps": [step("a", parameters={"url": "{{ env.HOME }}"})]}

    assert codes(problems_of(data)) == [("unknown_reference_root", "steps/0/parameters/url")]


def test_malformed_reference_is_reported():
    data = {"steps": [step("a", parameters={"url": "x {{ steps.find }}"})]}

    assert codes(problems_of(data)) == [("malformed_reference", "steps/0/parameters/url")]


def test_unclosed_reference_is_malformed():
    data = {"steps": [step("a", parameters={"url": "x {{ input.url"})]}

    assert codes(problems_of(data)) == [("malformed_reference", "steps/0/parameters/url")]


def test_reference_to_a_step_that_is_not_a_dependency_is_reported():
    data = {
        "steps": [
            step("find"),
            step("use", parameters={"url": "{{ steps.find.output.url }}"}),
        ]
    }

    assert codes(problems_of(data)) == [("reference_not_dependency", "steps/1/parameters/url")]


def test_reference_to_a_transitive_dependency_is_valid():
    data = {
        "steps": [
            step("a"),
            step("b", depends_on=["a"]),
            step("c", depends_on=["b"], parameters={"url": "{{ steps.a.output.url }}"}),
        ]
    }

    assert problems_of(data) == []


def test_bad_retry_is_reported():
    data = {"steps": [step("a", retry={"max_attempts": 0, "backoff": {"factor": 0.5}})]}

    assert codes(problems_of(data)) == [
        ("invalid_retry", "steps/0/retry/max_attempts"),
        ("invalid_retry", "steps/0/retry/backoff"),
    ]


def test_bad_retryable_errors_are_reported():
    data = {"steps": [step("a", retry={"retryable_errors": "timeout"})]}

    assert codes(problems_of(data)) == [("invalid_retry", "steps/0/retry/retryable_errors")]


def test_bad_timeout_is_reported():
    data = {"steps": [step("a", timeout_seconds=0)]}

    assert codes(problems_of(data)) == [("invalid_timeout", "steps/0/timeout_seconds")]


def test_bad_on_error_is_reported():
    data = {"steps": [step("a", on_error="explode")]}

    assert codes(problems_of(data)) == [("invalid_on_error", "steps/0/on_error")]


def test_every_problem_is_returned_at_once():
    data = {
        "steps": [
            step("a", timeout_seconds="soon"),
            step("a"),
            {"id": "b", "type": "teleport", "depends_on": ["ghost"]},
            step("c", parameters={"url": "{{ steps.b.output }}"}, on_error="panic"),
        ]
    }

    assert codes(problems_of(data)) == [
        ("invalid_timeout", "steps/0/timeout_seconds"),
        ("invalid_on_error", "steps/3/on_error"),
        ("duplicate_step_id", "steps/1/id"),
        ("unknown_dependency", "steps/2/depends_on/0"),
        ("unknown_step_type", "steps/2/type"),
        ("reference_not_dependency", "steps/3/parameters/url"),
    ]


def test_garbage_never_raises():
    for data in (None, 3, {"steps": [None, [], {"id": 3}, {"id": "x", "parameters": 4}]}):
        assert problems_of(data)


def test_problem_serializes_with_translated_message():
    [problem] = problems_of({"steps": [step("a", on_error="x")]})

    assert problem.as_dict() == {
        "code": "invalid_on_error",
        "message": "on_error must be one of fail, compensate, continue.",
        "path": "steps/0/on_error",
    }


def test_a_step_may_say_in_words_what_it_does():
    assert problems_of({"steps": [step("a", action="Find the shortest path")]}) == []


def test_an_action_that_is_not_short_text_is_invalid_action():
    data = {"steps": [step("a", action=3), step("b", action="x" * 201)]}

    assert codes(problems_of(data)) == [
        ("invalid_action", "steps/0/action"),
        ("invalid_action", "steps/1/action"),
    ]


def test_more_than_the_maximum_number_of_steps_is_one_problem():
    from patterns.engine.validation import MAX_STEPS

    steps = [step(f"s{n}") for n in range(MAX_STEPS + 1)]

    assert codes(problems_of({"steps": steps})) == [("too_many_steps", "steps")]
    assert problems_of({"steps": steps[:MAX_STEPS]}) == []
