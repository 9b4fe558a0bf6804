"""AI usage bounds: no token count or cost a client can send answers 500."""

import datetime
from decimal import Decimal

import pytest

from workspace.ai_usage.models import AIInteraction
from workspace.ai_usage.pricing import MAX_COST
from workspace.tests.ai_usage.factories import prices

pytestmark = pytest.mark.django_db
LIST = "/api/v1/ai/interactions/"
STATS = "/api/v1/ai/stats/"
JAN = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
COLUMN_LARGEST = "9999999999.99999999"  # 18 digits, 8 after the point: the cost column's largest


def body(**overrides) -> dict:
    data = {"module": "documents", "model": "gpt-test", "usage": {"input": 1, "output": 1}}
    return {**data, "occurred_at": "2026-02-10T12:00:00Z", **overrides}


def test_a_huge_token_count_whose_cost_overflows_the_column_is_422(auth_client):
    prices("gpt-test", JAN, input="3", output="15")

    response = auth_client.post(LIST, body(usage={"input": 2**62, "output": 2**62}), format="json")

    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "validation"
    assert "usage" in response.json()["error"]["details"]
    assert not AIInteraction.objects.exists()


def test_the_largest_token_counts_of_an_unpriced_model_are_recorded(auth_client):
    response = auth_client.post(
        LIST, body(model="free", usage={"input": 2**62, "output": 2**62}), format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["usage"]["input"] == 2**62


def test_token_counts_above_the_bound_are_422(auth_client):
    response = auth_client.post(LIST, body(usage={"input": 2**63}), format="json")

    assert response.status_code == 422


def test_a_given_cost_above_the_bound_is_422(auth_client):
    response = auth_client.post(LIST, body(cost=COLUMN_LARGEST), format="json")

    assert response.status_code == 422, response.content
    assert "cost" in response.json()["error"]["details"]


def test_the_largest_cost_allowed_is_recorded_and_read_back(auth_client):
    response = auth_client.post(LIST, body(cost=str(MAX_COST)), format="json")

    assert response.status_code == 201, response.content
    assert Decimal(response.json()["cost"]) == pytest.approx(MAX_COST)


def test_stats_of_costs_that_sum_past_the_cost_column_answer(auth_client):
    for _ in range(11):
        created = auth_client.post(LIST, body(cost=str(MAX_COST)), format="json")
        assert created.status_code == 201, created.content

    response = auth_client.get(STATS, {"group_by": "model"})

    assert response.status_code == 200, response.content
    assert Decimal(response.json()["totals"]["cost"]) > Decimal(COLUMN_LARGEST)
