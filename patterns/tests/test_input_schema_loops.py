"""Input schemas that refer back to themselves without descending into the input: refused when
saved (API, import), and a 422 problem, never a 500, for one already stored."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from conftest import bearer_client
from patterns.input_schema import endless_reference_loop
from patterns.models import Execution, Pattern
from patterns.tests.factories import make_pattern

SELF = {"$ref": "#"}
CONDITION = {"steps": [{"id": "a", "type": "condition", "parameters": {"value": True}}]}


# --- the engine: plain data, no database -----------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "location"),
    [
        ({"$ref": "#"}, "#"),
        ({"type": "object", "allOf": [{"$ref": "#"}]}, "#"),
        ({"anyOf": [{"$ref": "#/$defs/a"}], "$defs": {"a": {"not": {"$ref": "#"}}}}, "#"),
        (
            {
                "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"oneOf": [{"$ref": "#/$defs/a"}]}},
                "properties": {"x": {"$ref": "#/$defs/a"}},
            },
            "#/$defs/a",
        ),
        ({"$defs": {"n": {"$anchor": "node", "if": {"$ref": "#node"}}}}, "#/$defs/n"),
        ({"$dynamicAnchor": "meta", "then": {"$dynamicRef": "#meta"}}, "#"),
        ({"dependentSchemas": {"a": {"$ref": "#"}}}, "#"),
    ],
)
def test_a_loop_applied_to_the_same_value_is_found(schema, location):
    assert endless_reference_loop(schema) == location


@pytest.mark.parametrize(
    "schema",
    [
        {},
        {"type": "object", "properties": {"child": {"$ref": "#"}}},
        {"type": "array", "items": {"$ref": "#"}},
        {"$defs": {"tree": {"properties": {"kids": {"items": {"$ref": "#/$defs/tree"}}}}}},
        {"allOf": [{"$ref": "#/$defs/a"}], "$defs": {"a": {"type": "string"}}},
        {"additionalProperties": {"anyOf": [{"$ref": "#"}, {"type": "string"}]}},
        {"properties": {"$ref": {"const": {"$ref": "#"}}}},
        {"$ref": "#/nowhere"},
    ],
)
def test_references_that_descend_or_go_nowhere_are_no_loop(schema):
    assert endless_reference_loop(schema) is None


# --- saving ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_a_pattern_with_a_self_referring_schema_is_422(auth_client):
    body = {"key": "loop", "name": "Loop", "definition": CONDITION, "input_schema": SELF}

    response = auth_client.post("/api/v1/patterns/", body, format="json")

    assert response.status_code == 422, response.content
    assert "input_schema" in response.json()["error"]["details"]
    assert not Pattern.objects.filter(key="loop").exists()


@pytest.mark.django_db
def test_changing_the_schema_to_a_self_referring_one_is_422(user):
    make_pattern(user, key="mine")

    response = bearer_client(user).patch(
        "/api/v1/patterns/mine/", {"input_schema": {"allOf": [SELF]}}, format="json"
    )

    assert response.status_code == 422, response.content
    assert "input_schema" in response.json()["error"]["details"]
    assert Pattern.objects.get(key="mine").input_schema == {}


@pytest.mark.django_db
def test_a_tree_schema_is_accepted(user):
    make_pattern(user, key="mine")
    tree = {"type": "object", "properties": {"children": {"type": "array", "items": SELF}}}

    response = bearer_client(user).patch(
        "/api/v1/patterns/mine/", {"input_schema": tree}, format="json"
    )

    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_importing_a_self_referring_schema_is_refused(tmp_path):
    document = {
        "key": "looping",
        "kind": "system",
        "name": {"en": "Looping"},
        "input_schema": SELF,
        "definition": CONDITION,
    }
    (tmp_path / "looping.json").write_text(json.dumps(document))
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_patterns", str(tmp_path), stdout=io.StringIO(), stderr=err)

    assert "input_schema" in err.getvalue()
    assert not Pattern.objects.filter(key="looping").exists()


# --- running one stored before the check ----------------------------------------------------


@pytest.fixture
def stored_loop(user):
    """A pattern whose self-referring schema was stored before such schemas were refused."""
    pattern = make_pattern(user, key="old-loop")
    Pattern.objects.filter(pk=pattern.pk).update(input_schema=SELF)
    return pattern


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["execute/", "dry-run/"])
def test_running_a_stored_self_referring_schema_is_422(user, stored_loop, suffix):
    response = bearer_client(user).post(
        f"/api/v1/patterns/old-loop/{suffix}", {"input": {"a": 1}}, format="json"
    )

    assert response.status_code == 422, response.content
    assert "input" in response.json()["error"]["details"]
    assert not Execution.objects.exists()
