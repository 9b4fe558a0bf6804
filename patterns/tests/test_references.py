"""Finding and rendering references in step parameters."""

import pytest

from patterns.engine.references import (
    MalformedReferenceError,
    Reference,
    UnknownReferenceRootError,
    UnresolvedReferenceError,
    find_references,
    render_parameters,
)

CONTEXT = {
    "input": {"user": "ada", "count": 3, "flags": {"dry": True}},
    "steps": {"find": {"output": {"path": "/a/b", "items": [10, 20], "none": None}}},
}


def test_whole_reference_keeps_its_type():
    rendered = render_parameters({"n": "{{ input.count }}", "flags": "{{input.flags}}"}, CONTEXT)

    assert rendered == {"n": 3, "flags": {"dry": True}}


def test_embedded_references_are_formatted_as_text():
    rendered = render_parameters(
        "{{ input.user }} has {{ input.count }} at {{ steps.find.output.path }}, "
        "{{ steps.find.output.none }}",
        CONTEXT,
    )

    assert rendered == "ada has 3 at /a/b, null"


def test_nested_lists_and_dicts_are_rendered():
    parameters = {"a": [{"b": "{{ steps.find.output.items.1 }}"}, "x"], "c": 1}

    assert render_parameters(parameters, CONTEXT) == {"a": [{"b": 20}, "x"], "c": 1}


def test_missing_key_raises_unresolved_reference():
    with pytest.raises(UnresolvedReferenceError, match="'missing'"):
        render_parameters({"a": "{{ input.missing }}"}, CONTEXT)


def test_missing_step_output_raises_unresolved_reference():
    with pytest.raises(UnresolvedReferenceError):
        render_parameters("see {{ steps.later.output }}", CONTEXT)


def test_unknown_root_raises_when_rendering():
    with pytest.raises(UnknownReferenceRootError):
        render_parameters("{{ secrets.key }}", CONTEXT)


def test_malformed_reference_raises_when_rendering():
    with pytest.raises(MalformedReferenceError):
        render_parameters("{{ steps.find.path }}", CONTEXT)


def test_find_references_looks_into_nested_parameters():
    references = find_references({"a": ["{{ input.user }}", {"b": "x {{ steps.f.output.p }}"}]})

    assert references == [
        Reference(expression="input.user", root="input", step_id=None, keys=("user",)),
        Reference(expression="steps.f.output.p", root="steps", step_id="f", keys=("p",)),
    ]


def test_strings_without_references_are_left_alone():
    assert render_parameters({"a": "plain {text}", "b": 2}, CONTEXT) == {
        "a": "plain {text}",
        "b": 2,
    }
