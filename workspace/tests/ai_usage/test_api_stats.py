"""/api/v1/ai/stats/: figures per group over the caller's visible interactions.

Exact values on SQLite (percentiles in Python) and PostgreSQL (percentile_cont in SQL) alike.
"""

import datetime
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import Role
from projects.tests.factories import ProjectFactory, add_member
from workspace.ai_usage.stats import percentile_cont
from workspace.tests.ai_usage.factories import InteractionFactory

pytestmark = pytest.mark.django_db
STATS = "/api/v1/ai/stats/"
JAN = datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC)


@pytest.fixture
def usage(user):
    """Four calls to model-a (one failed) and one to model-b, all by ``user``."""
    for latency, status in ((100, "success"), (200, "error"), (300, "success"), (400, "success")):
        InteractionFactory(
            user=user,
            model="model-a",
            module="documents",
            latency_ms=latency,
            status=status,
            input_tokens=10,
            output_tokens=5,
            cached_tokens=1,
            cost=Decimal("0.001"),
            occurred_at=JAN,
        )
    InteractionFactory(
        user=user,
        model="model-b",
        module="chat",
        latency_ms=10,
        input_tokens=1000,
        output_tokens=0,
        cached_tokens=0,
        cost=Decimal("0.5"),
        occurred_at=JAN + datetime.timedelta(days=1),
    )


def stats(client, query: str) -> dict:
    response = client.get(STATS + query)
    assert response.status_code == 200, response.json()
    return response.json()


def test_group_by_model_gives_exact_figures(auth_client, usage):
    data = stats(auth_client, "?group_by=model")

    assert data["group_by"] == "model"
    assert data["groups"] == [
        {
            "key": "model-b",
            "label": "",
            "count": 1,
            "tokens": {"input": 1000, "output": 0, "cached": 0},
            "cost": "0.50000000",
            "p50_latency_ms": 10.0,
            "p95_latency_ms": 10.0,
            "error_rate": 0.0,
        },
        {
            "key": "model-a",
            "label": "",
            "count": 4,
            "tokens": {"input": 40, "output": 20, "cached": 4},
            "cost": "0.00400000",
            "p50_latency_ms": 250.0,
            "p95_latency_ms": 385.0,
            "error_rate": 0.25,
        },
    ]
    assert data["totals"] == {
        "key": None,
        "label": "",
        "count": 5,
        "tokens": {"input": 1040, "output": 20, "cached": 4},
        "cost": "0.50400000",
        "p50_latency_ms": 200.0,
        "p95_latency_ms": 380.0,
        "error_rate": 0.2,
    }


def test_group_by_module(auth_client, usage):
    groups = stats(auth_client, "?group_by=module")["groups"]

    assert [(row["key"], row["count"], row["cost"]) for row in groups] == [
        ("chat", 1, "0.50000000"),
        ("documents", 4, "0.00400000"),
    ]


def test_group_by_day_is_in_utc_and_in_date_order(auth_client, user, usage):
    # 23:30 in New York on 11 January is 04:30 UTC on 12 January.
    late = datetime.datetime(
        2026, 1, 11, 23, 30, tzinfo=datetime.timezone(-datetime.timedelta(hours=5))
    )
    InteractionFactory(user=user, occurred_at=late, latency_ms=7)

    groups = stats(auth_client, "?group_by=day")["groups"]

    assert [(row["key"], row["count"]) for row in groups] == [
        ("2026-01-10", 4),
        ("2026-01-11", 1),
        ("2026-01-12", 1),
    ]
    assert groups[2]["p95_latency_ms"] == 7.0


def test_group_by_user_labels_with_email(user):
    project = ProjectFactory(owner=user)
    member = add_member(project)
    InteractionFactory(user=user, cost=Decimal("1"), project=project)
    InteractionFactory(user=member, cost=Decimal("2"), project=project)

    groups = stats(bearer_client(user), "?group_by=user")["groups"]

    assert [(row["key"], row["label"], row["cost"]) for row in groups] == [
        (str(member.pk), member.email, "2.00000000"),
        (str(user.pk), user.email, "1.00000000"),
    ]


def test_group_by_project_labels_with_name_and_keeps_unassigned(auth_client, user):
    project = ProjectFactory(owner=user, name="Apollo")
    InteractionFactory(user=user, project=project, cost=Decimal("3"))
    InteractionFactory(user=user, cost=Decimal("1"))

    groups = stats(auth_client, "?group_by=project")["groups"]

    assert [(row["key"], row["label"], row["count"]) for row in groups] == [
        (str(project.pk), "Apollo", 1),
        (None, "", 1),
    ]


def test_time_range_limits_the_figures(auth_client, usage):
    data = stats(auth_client, "?group_by=model&from=2026-01-11&to=2026-01-11")

    assert [row["key"] for row in data["groups"]] == ["model-b"]
    assert data["totals"]["count"] == 1
    assert data["from"] == "2026-01-11T00:00:00Z"
    assert data["to"] == "2026-01-12T00:00:00Z"


def test_empty_range_gives_zero_totals(auth_client, usage):
    data = stats(auth_client, "?group_by=model&from=2030-01-01")

    assert data["groups"] == []
    assert data["totals"]["count"] == 0
    assert data["totals"]["cost"] == "0.00000000"
    assert data["totals"]["p50_latency_ms"] is None
    assert data["totals"]["error_rate"] == 0.0


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?group_by=colour",
        "?group_by=model&from=nope",
        "?group_by=day&from=2026-02-01&to=2026-01-01",
    ],
)
def test_bad_parameters_answer_422(auth_client, query):
    response = auth_client.get(STATS + query)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"


def test_stats_never_count_invisible_interactions(auth_client, user, usage):
    InteractionFactory(model="model-a", cost=Decimal("9"), occurred_at=JAN)
    hidden_project = ProjectFactory()
    InteractionFactory(project=hidden_project, occurred_at=JAN)

    data = stats(auth_client, "?group_by=model")

    assert data["totals"]["count"] == 5
    assert data["totals"]["cost"] == "0.50400000"


def test_project_manager_counts_charged_interactions_and_admin_counts_all(user, usage):
    project = ProjectFactory()
    member = add_member(project)
    InteractionFactory(user=member, project=project, cost=Decimal("1"))
    admin = UserFactory(role=Role.ADMIN)

    assert stats(bearer_client(project.owner), "?group_by=model")["totals"]["count"] == 1
    assert stats(bearer_client(member), "?group_by=model")["totals"]["count"] == 1
    assert stats(bearer_client(admin), "?group_by=model")["totals"]["count"] == 6


def test_stats_need_authentication(api_client):
    assert api_client.get(STATS + "?group_by=model").status_code == 401


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([5], 0.95, 5),
        ([1, 2], 0.5, 1.5),
        ([400, 100, 300, 200], 0.5, 250),
        ([100, 200, 300, 400], 0.95, 385),
        ([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.95, 95),
    ],
)
def test_percentile_cont_interpolates_linearly(values, fraction, expected):
    assert percentile_cont(values, fraction) == pytest.approx(expected)


def test_percentile_of_nothing_is_none():
    assert percentile_cont([], 0.5) is None


@pytest.mark.parametrize("group_by", ["user", "project", "day"])
def test_stats_run_a_constant_number_of_queries(
    user, group_by, django_assert_max_num_queries, django_assert_num_queries
):
    project = ProjectFactory(owner=user)
    InteractionFactory(user=user, project=project, occurred_at=JAN)
    client = bearer_client(user)
    stats(client, f"?group_by={group_by}")  # warm the per-process caches (content types)
    with django_assert_max_num_queries(20) as captured:
        stats(client, f"?group_by={group_by}")
    for day in range(1, 6):
        InteractionFactory(
            user=add_member(project),
            project=ProjectFactory(owner=user) if day % 2 else project,
            occurred_at=JAN + datetime.timedelta(days=day),
        )

    with django_assert_num_queries(len(captured)):
        data = stats(client, f"?group_by={group_by}")

    assert data["totals"]["count"] == 6
