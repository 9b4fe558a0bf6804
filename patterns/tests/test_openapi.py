"""The OpenAPI schema describes every patterns endpoint with its bodies and errors."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
OPERATIONS = {
    ("/api/v1/patterns/", "get"): {"200", "401"},
    ("/api/v1/patterns/", "post"): {"201", "403", "409", "422"},
    ("/api/v1/patterns/{key}/", "get"): {"200", "404"},
    ("/api/v1/patterns/{key}/", "patch"): {"200", "403", "404", "422"},
    ("/api/v1/patterns/{key}/", "delete"): {"204", "403", "404"},
    ("/api/v1/patterns/{key}/versions/", "get"): {"200", "404"},
    ("/api/v1/patterns/{key}/versions/", "post"): {"201", "403", "404", "422"},
    ("/api/v1/patterns/{key}/versions/{number}/", "get"): {"200", "404"},
    ("/api/v1/patterns/{key}/validate/", "post"): {"200", "404", "422"},
    ("/api/v1/patterns/{key}/execute/", "post"): {"202", "400", "403", "404", "422"},
    ("/api/v1/patterns/{key}/dry-run/", "post"): {"200", "400", "404", "422"},
    ("/api/v1/patterns/{key}/stats/", "get"): {"200", "404", "422"},
    ("/api/v1/executions/", "get"): {"200", "401"},
    ("/api/v1/executions/{execution_id}/", "get"): {"200", "404"},
    ("/api/v1/executions/{execution_id}/cancel/", "post"): {"202", "404", "409"},
    ("/api/v1/step-types/", "get"): {"200", "401"},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_schema_describes_each_operation_with_its_error_responses(schema, path, method):
    operation = schema["paths"][path][method]

    assert OPERATIONS[path, method] <= set(operation["responses"])
    for status, response in operation["responses"].items():
        if status.startswith(("4", "5")):
            assert response["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorEnvelope"
            }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/patterns/", "PatternCreateInputRequest"),
        ("/api/v1/patterns/{key}/versions/", "DefinitionInputRequest"),
        ("/api/v1/patterns/{key}/validate/", "DefinitionInputRequest"),
        ("/api/v1/patterns/{key}/execute/", "ExecuteInputRequest"),
        ("/api/v1/patterns/{key}/dry-run/", "DryRunInputRequest"),
    ],
)
def test_schema_names_the_request_body_of_each_write(schema, path, body):
    content = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]

    assert content["schema"] == {"$ref": f"#/components/schemas/{body}"}


def test_schema_describes_the_execution_steps_and_the_idempotency_header(schema):
    step = schema["components"]["schemas"]["StepRunOutput"]["properties"]
    execute = schema["paths"]["/api/v1/patterns/{key}/execute/"]["post"]

    assert {"attempts", "output", "error", "failures", "duration_ms", "compensated_at"} <= set(step)
    assert {"id", "type", "status", "child_executions"} <= set(step)
    assert "Idempotency-Key" in {parameter["name"] for parameter in execute["parameters"]}
