"""Every write endpoint of the patterns API answers 4xx, never 500, for whatever a client sends."""

import pytest

from patterns.models import Execution, PatternVersion
from patterns.tests.factories import make_pattern

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]
DEEP = "[" * 5000 + "]" * 5000
ENDPOINTS = [
    ("post", "/api/v1/patterns/"),
    ("patch", "/api/v1/patterns/mine/"),
    ("post", "/api/v1/patterns/mine/versions/"),
    ("post", "/api/v1/patterns/mine/validate/"),
    ("post", "/api/v1/patterns/mine/execute/"),
    ("post", "/api/v1/patterns/mine/dry-run/"),
]


@pytest.fixture
def mine(user):
    return make_pattern(user, key="mine")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("raw", ["{oops", "[]", "null", "7", '"text"', DEEP, "\x00"])
def test_malformed_json_answers_4xx_in_the_envelope(auth_client, mine, method, path, raw):
    response = getattr(auth_client, method)(path, raw, content_type="application/json")

    assert 400 <= response.status_code < 500
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert PatternVersion.objects.count() == 1
    assert not Execution.objects.exists()


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "value", [DEEP, "{oops", "[1]", "a\x00b", '{"deep": ' + "[" * 40 + "]" * 40 + "}"]
)
def test_form_fields_that_are_no_usable_json_answer_4xx(auth_client, mine, method, path, value):
    fields = {"definition": value, "input": value, "input_schema": value}

    response = getattr(auth_client, method)(path, fields, format="multipart")

    assert 400 <= response.status_code < 500
    assert PatternVersion.objects.count() == 1
    assert not Execution.objects.exists()


@pytest.mark.parametrize("field", ["definition", "input", "input_schema"])
def test_json_nested_deeper_than_32_levels_is_refused_with_422(auth_client, mine, field):
    deep: dict = {}
    for _ in range(40):
        deep = {"x": deep}
    path, body = {
        "definition": ("/api/v1/patterns/mine/validate/", {"definition": deep}),
        "input": ("/api/v1/patterns/mine/execute/", {"input": deep}),
        "input_schema": ("/api/v1/patterns/mine/", {"input_schema": deep}),
    }[field]
    method = "patch" if field == "input_schema" else "post"

    response = getattr(auth_client, method)(path, body, format="json")

    assert response.status_code == 422
    assert field in response.json()["error"]["details"]


def test_cancel_ignores_a_body(auth_client, mine):
    execution_id = auth_client.post("/api/v1/patterns/mine/execute/", {}, format="json").json()[
        "execution"
    ]

    response = auth_client.post(
        f"/api/v1/executions/{execution_id}/cancel/", "{oops", content_type="application/json"
    )

    assert response.status_code == 202
