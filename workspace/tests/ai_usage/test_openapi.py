"""The OpenAPI schema describes the AI usage endpoints and their bodies."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_schema_lists_the_ai_endpoints(schema):
    paths = schema["paths"]

    assert set(paths["/api/v1/ai/interactions/"]) >= {"get", "post"}
    assert "get" in paths["/api/v1/ai/interactions/{interaction_id}/"]
    assert "get" in paths["/api/v1/ai/stats/"]
    assert "get" in paths["/api/v1/ai/budgets/"]


def test_schema_describes_usage_stats_and_errors(schema):
    components = schema["components"]["schemas"]
    stats = schema["paths"]["/api/v1/ai/stats/"]["get"]

    assert set(components["TokenUsageOutput"]["properties"]) == {"input", "output", "cached"}
    assert set(components["StatsOutput"]["properties"]) == {
        "group_by",
        "from",
        "to",
        "groups",
        "totals",
    }
    assert {parameter["name"] for parameter in stats["parameters"]} >= {"group_by", "from", "to"}
    assert set(stats["responses"]) == {"200", "400", "401", "422"}
