"""The registry of step types holds every built-in type, each described and validated."""

import pytest
from jsonschema import Draft202012Validator

from patterns import steps

DOMAIN_TYPES = {
    "relationship.create": True,
    "relationship.delete": True,
    "graph.find_path": False,
    "graph.check": False,
    "project.create": True,
    "project.member_add": True,
    "task.create": True,
    "task.update": True,
    "document.create": True,
    "mail.send": False,  # a sent message cannot be recalled cleanly (patterns.steps.communication)
    "chat.post": True,
}


def test_the_registry_holds_every_domain_step_type():
    registered = {step_type.name for step_type in steps.all_types()}

    assert set(DOMAIN_TYPES) <= registered


@pytest.mark.parametrize(("name", "has_undo"), sorted(DOMAIN_TYPES.items()))
def test_each_domain_step_type_is_described_strict_and_undone_when_it_changes_data(name, has_undo):
    step_type = steps.get(name)

    Draft202012Validator.check_schema(step_type.schema)
    assert step_type.schema["additionalProperties"] is False
    assert step_type.schema["required"]
    assert str(step_type.description)
    assert (step_type.undo is not None) == has_undo
    if has_undo:
        assert step_type.changes_data
