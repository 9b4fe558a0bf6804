"""Daily rollups: statistics and budgets read the same from rollups as from raw rows (counts,
tokens and cost exactly, percentiles within the histogram's bound), before and after the raw
rows are purged, and a range mixes whole rolled-up days with raw partial edges."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from nexus_site.definitions.enums import Role
from nexus_site.retention import Sweep
from projects.tests.factories import ProjectFactory, add_member
from workspace.ai_usage import latency, rollups, selectors, services, stats
from workspace.ai_usage.models import AIBudgetAlert, AIInteraction, AIUsageRollup
from workspace.ai_usage.retention import interactions_purge
from workspace.ai_usage.tasks import roll_up_ai_usage
from workspace.tests.ai_usage.factories import BudgetFactory, InteractionFactory

STATS = "/api/v1/ai/stats/"
DAY1 = datetime.datetime(2026, 1, 30, tzinfo=datetime.UTC)  # three days: Jan 30 to Feb 1
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
AFTER = DAY1 + 40 * DAY  # "now" for rolling up and purging: January and February are whole
ROLLED = 40  # days from DAY1 to AFTER
GROUPS = ("model", "module", "user", "day", "project")
BOUND = latency.ALPHA  # percentiles: within 1 % of the exact ones


# --- latency histograms (pure) -------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 57, 100, 101, 150, 999, 12_345, 2**31 - 1])
def test_a_bucket_stands_for_its_latencies_within_the_bound(value):
    estimate = latency.value_of(latency.bucket_of(value))

    assert abs(estimate - value) <= BOUND * value + 1e-9


def test_latencies_up_to_100_ms_are_exact():
    assert [latency.value_of(latency.bucket_of(value)) for value in range(101)] == list(range(101))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("fraction", [0.0, 0.5, 0.95, 1.0])
def test_histogram_percentiles_are_within_the_bound_of_percentile_cont(seed, fraction):
    rng = random.Random(seed)
    values = [int(rng.lognormvariate(6.5, 0.9)) for _ in range(rng.randrange(1, 400))]
    halves = values[: len(values) // 2], values[len(values) // 2 :]
    merged = latency.merge_into(
        latency.histogram_of(halves[0]), latency.as_json(latency.histogram_of(halves[1]))
    )

    exact = stats.percentile_cont(values, fraction)

    assert abs(latency.percentile(merged, fraction) - exact) <= BOUND * exact + 1e-9


def test_percentile_of_an_empty_histogram_is_none():
    assert latency.percentile({}, 0.5) is None


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def usage(db):
    """Three days of calls by two users of two projects, with varied figures."""
    owner = UserFactory()
    project = ProjectFactory(owner=owner, name="Apollo")
    other = ProjectFactory(name="Zeus")
    member = add_member(project)
    rng = random.Random(7)
    for n in range(60):
        InteractionFactory(
            user=owner if n % 3 else member,
            project=(project, other, None)[n % 3],
            model=("model-a", "model-b")[n % 2],
            module=("chat", "mail", "documents")[n % 3],
            input_tokens=rng.randrange(1, 500),
            output_tokens=rng.randrange(0, 300),
            cached_tokens=rng.randrange(0, 50),
            latency_ms=int(rng.lognormvariate(5.5, 0.8)),
            status="error" if n % 7 == 0 else "success",
            cost=Decimal(rng.randrange(0, 10**7)) / 10**8,
            occurred_at=DAY1 + n * (3 * DAY / 60),
        )
    admin = UserFactory(role=Role.ADMIN)
    return {"owner": owner, "member": member, "project": project, "other": other, "admin": admin}


def figures(viewer, group_by, start=None, end=None):
    return stats.interaction_stats(
        viewer, group_by=group_by, time_range=selectors.TimeRange(start, end)
    )


def assert_same(rolled: dict, raw: dict) -> None:
    """Counts, tokens, cost and error rates equal; percentiles within the bound."""
    assert [row["key"] for row in rolled["groups"]] == [row["key"] for row in raw["groups"]]
    pairs = [*zip(rolled["groups"], raw["groups"], strict=True)]
    for ours, exact in [*pairs, (rolled["totals"], raw["totals"])]:
        for name in ("key", "label", "count", "tokens", "cost", "error_rate"):
            assert ours[name] == exact[name], (name, ours, exact)
        for name in ("p50_latency_ms", "p95_latency_ms"):
            assert abs(ours[name] - exact[name]) <= BOUND * exact[name] + 0.001, (name, ours)


def viewers(usage) -> list:
    return [usage["admin"], usage["owner"], usage["member"]]


# --- rollups equal raw aggregates ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("merge_rows", [0, 10_000], ids=["histograms-in-sql", "in-python"])
@pytest.mark.parametrize("group_by", GROUPS)
def test_stats_from_rollups_equal_stats_from_raw_rows(usage, group_by, merge_rows, monkeypatch):
    monkeypatch.setattr(stats, "PYTHON_MERGE_ROWS", merge_rows)  # SQL merges on PostgreSQL only
    before = {viewer.pk: figures(viewer, group_by) for viewer in viewers(usage)}

    assert rollups.roll_up(now=AFTER) == ROLLED

    for viewer in viewers(usage):
        with CaptureQueriesContext(connection) as queries:
            after = figures(viewer, group_by)
        assert any(AIUsageRollup._meta.db_table in query["sql"] for query in queries)
        assert_same(after, before[viewer.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("group_by", GROUPS)
def test_stats_stay_right_after_the_raw_rows_are_purged(usage, group_by, settings):
    before = {viewer.pk: figures(viewer, group_by) for viewer in viewers(usage)}
    rollups.roll_up(now=AFTER)
    settings.AI_USAGE_RETENTION_DAYS = 1

    assert interactions_purge(Sweep(now=AFTER)) == 60
    assert not AIInteraction.objects.exists()
    for viewer in viewers(usage):
        assert_same(figures(viewer, group_by), before[viewer.pk])


@pytest.mark.django_db
def test_a_user_reads_only_their_visible_share_of_the_rollups(usage):
    rollups.roll_up(now=AFTER)
    outsider = UserFactory()
    InteractionFactory(user=outsider, occurred_at=DAY1)  # after the roll-up: raw for nobody else

    member = figures(usage["member"], "user")
    nobody = figures(UserFactory(), "model")

    assert [row["key"] for row in member["groups"]] == [str(usage["member"].pk)]
    assert member["totals"]["count"] == 20
    assert nobody["groups"] == []
    assert nobody["totals"]["count"] == 0


@pytest.mark.django_db
def test_a_range_mixes_rolled_up_days_with_raw_partial_edges(usage):
    start, end = DAY1 + 6 * HOUR, DAY1 + 2 * DAY + 13 * HOUR  # partial first and last days
    admin = UserFactory(role=Role.ADMIN)
    exact = figures(admin, "day", start, end)
    rollups.roll_up(now=AFTER)
    # The whole middle day now lives in the rollups only: prove it is read from there.
    AIInteraction.objects.filter(
        occurred_at__gte=DAY1 + DAY, occurred_at__lt=DAY1 + 2 * DAY
    ).delete()

    mixed = figures(admin, "day", start, end)

    assert_same(mixed, exact)
    assert [row["count"] for row in mixed["groups"]] == [15, 20, 11]


@pytest.mark.django_db
@pytest.mark.parametrize("group_by", ["model", "user", "project"])
def test_whole_months_are_read_from_month_rows(usage, group_by):
    start, end = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), DAY1 + 10 * DAY
    exact = {viewer.pk: figures(viewer, group_by, start, end) for viewer in viewers(usage)}
    rollups.roll_up(now=AFTER)
    AIInteraction.objects.all().delete()
    # January's day rows go too: only its month rows can answer for it.
    AIUsageRollup.objects.filter(span="day", day__lt=datetime.date(2026, 2, 1)).delete()

    for viewer in viewers(usage):
        assert_same(figures(viewer, group_by, start, end), exact[viewer.pk])


@pytest.mark.django_db
def test_month_rows_add_up_the_day_rows_of_their_month(usage):
    rollups.roll_up(now=AFTER)

    for grain in ("scope", "model", "module", "user", "project"):
        months = AIUsageRollup.objects.filter(grain=grain, span="month")
        days = AIUsageRollup.objects.filter(grain=grain, span="day")
        for month in (datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)):
            in_month = days.filter(day__gte=month, day__lt=rollups.next_month(month))
            for name in ("count", "input_tokens", "cost", "errors"):
                total = sum(getattr(row, name) for row in in_month)
                assert sum(getattr(row, name) for row in months.filter(day=month)) == total
    assert not AIUsageRollup.objects.filter(grain="day", span="month").exists()


@pytest.mark.django_db
def test_today_is_read_from_raw_rows_next_to_rolled_up_days(usage):
    admin = UserFactory(role=Role.ADMIN)
    today = DAY1 + 3 * DAY + HOUR
    rollups.roll_up(now=today)
    InteractionFactory(user=admin, model="model-c", occurred_at=today, latency_ms=50)

    data = figures(admin, "model")

    assert {row["key"]: row["count"] for row in data["groups"]} == {
        "model-a": 30,
        "model-b": 30,
        "model-c": 1,
    }
    assert data["totals"]["count"] == 61


@pytest.mark.django_db
def test_stats_over_rollups_run_a_constant_number_of_queries(
    usage, django_assert_max_num_queries, django_assert_num_queries
):
    rollups.roll_up(now=AFTER)
    client = bearer_client(usage["owner"])
    client.get(STATS + "?group_by=project")  # warm the per-process caches
    with django_assert_max_num_queries(20) as captured:
        client.get(STATS + "?group_by=project")
    for day in range(3):
        InteractionFactory(user=usage["owner"], project=ProjectFactory(owner=usage["owner"]))
        InteractionFactory(user=usage["owner"], occurred_at=DAY1 + day * DAY)

    with django_assert_num_queries(len(captured)):
        response = client.get(STATS + "?group_by=project")

    assert response.status_code == 200


# --- the roll-up job -----------------------------------------------------------------------


@pytest.mark.django_db
def test_rolling_up_is_idempotent(usage):
    def snapshot() -> list[str]:
        fields = ("day", "span", "grain", "user_id", "model", "count", "cost", "latency")
        return sorted(map(repr, AIUsageRollup.objects.values_list(*fields)))

    rollups.roll_up(now=AFTER)
    rows = snapshot()

    assert rollups.roll_up(now=AFTER) == 0
    assert snapshot() == rows
    assert rollups.watermark() == AFTER.date()


@pytest.mark.django_db
def test_rolling_up_a_day_again_replaces_its_rows(usage):
    rollups.roll_up(now=AFTER)
    count = AIUsageRollup.objects.filter(day=DAY1.date()).count()
    months = AIUsageRollup.objects.filter(span="month").count()

    rollups.day_roll_up(DAY1.date())
    rollups.day_roll_up((DAY1 + DAY).date())  # January's last day: its month again too

    assert AIUsageRollup.objects.filter(day=DAY1.date()).count() == count
    assert AIUsageRollup.objects.filter(span="month", day=datetime.date(2026, 1, 1)).exists()
    assert AIUsageRollup.objects.filter(span="month").count() == months


@pytest.mark.django_db
def test_rolling_up_leaves_today_and_starts_at_the_first_day_with_calls(usage):
    assert rollups.roll_up(now=DAY1 + DAY + HOUR) == 1

    assert rollups.watermark() == (DAY1 + DAY).date()
    assert set(AIUsageRollup.objects.values_list("day", flat=True)) == {DAY1.date()}


@pytest.mark.django_db
def test_without_calls_the_watermark_starts_today():
    assert rollups.roll_up(now=AFTER) == 0

    assert rollups.watermark() == AFTER.date()


@pytest.mark.django_db
def test_rolling_up_stops_when_its_time_budget_is_spent(usage):
    assert rollups.roll_up(now=AFTER, budget_seconds=0) == 0

    assert rollups.watermark() == DAY1.date()
    assert rollups.roll_up(now=AFTER) == ROLLED


@pytest.mark.django_db
def test_the_roll_up_task_is_on_the_beat_schedule(settings, usage):
    scheduled = settings.CELERY_BEAT_SCHEDULE["roll-up-ai-usage"]["task"]

    assert roll_up_ai_usage.name == scheduled
    assert roll_up_ai_usage.apply().get() > 0


@pytest.mark.django_db
def test_a_call_recorded_late_for_a_rolled_up_day_joins_the_rollups(usage):
    owner = usage["owner"]
    budget = BudgetFactory(user=owner, amount=Decimal("1000"))
    spent = selectors.budget_spent(budget, DAY1, DAY1 + DAY)
    rollups.roll_up(now=AFTER)
    AIInteraction.objects.all().delete()  # purged: only the rollups know these days

    services.interaction_record(
        user=owner,
        module="chat",
        model="model-late",
        usage={"input": 7},
        cost=Decimal("0.25"),
        latency_ms=42,
        occurred_at=DAY1 + 5 * HOUR,
    )

    data = figures(owner, "model")
    late = next(row for row in data["groups"] if row["key"] == "model-late")
    assert (late["count"], late["cost"], late["p50_latency_ms"]) == (1, Decimal("0.25"), 42.0)
    assert data["totals"]["count"] == 61
    assert selectors.budget_spent(budget, DAY1, DAY1 + DAY) == spent + Decimal("0.25")


@pytest.mark.django_db
def test_a_bulk_write_into_rolled_up_days_joins_the_rollups(usage):
    admin = usage["admin"]
    rollups.roll_up(now=AFTER)
    before = figures(admin, "model")["totals"]["count"]
    rows = AIInteraction.objects.bulk_create(
        InteractionFactory.build(user=admin, model="model-bulk", occurred_at=moment)
        for moment in (DAY1, DAY1 + HOUR, AFTER - DAY, AFTER + HOUR)  # the last: not rolled up
    )

    assert rollups.interactions_rolled(rows) == 3
    data = figures(admin, "model", end=AFTER)
    assert data["totals"]["count"] == before + 3
    assert {row["key"]: row["count"] for row in data["groups"]}["model-bulk"] == 3


# --- budgets -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_budgets_stay_right_after_the_raw_rows_are_purged(usage, settings):
    owner, project = usage["owner"], usage["project"]
    personal = BudgetFactory(user=owner, amount=Decimal("1000"))
    shared = BudgetFactory(project=project, amount=Decimal("1000"))
    before = {
        status.budget.pk: status.spent for status in selectors.budget_statuses(owner, at=DAY1)
    }
    assert before[personal.pk] > 0
    assert before[shared.pk] > 0
    rollups.roll_up(now=AFTER)
    settings.AI_USAGE_RETENTION_DAYS = 1
    interactions_purge(Sweep(now=AFTER))

    after = {status.budget.pk: status.spent for status in selectors.budget_statuses(owner, at=DAY1)}
    month = selectors.month_bounds(DAY1)

    assert after == before
    assert selectors.budget_spent(personal, *month) == before[personal.pk]
    assert selectors.budget_spent(shared, *month) == before[shared.pk]


@pytest.mark.django_db
def test_a_budget_is_alerted_on_spending_that_was_purged(usage, settings):
    owner = usage["owner"]
    budget = BudgetFactory(user=owner, amount=Decimal("1000"))
    spent = selectors.budget_spent(budget, *selectors.month_bounds(DAY1))
    assert spent > 0
    rollups.roll_up(now=AFTER)
    settings.AI_USAGE_RETENTION_DAYS = 1
    interactions_purge(Sweep(now=AFTER))
    budget.amount = spent + Decimal("0.5")
    budget.save()

    services.interaction_record(  # late, into a January already rolled up and purged
        user=owner, module="chat", model="m", usage={}, cost=Decimal("0.5"), occurred_at=DAY1
    )

    assert AIBudgetAlert.objects.get(budget=budget).spent == spent + Decimal("0.5")


# --- the dashboard -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_dashboard_shows_the_same_totals_after_the_purge(client, usage, settings):
    owner = usage["owner"]
    client.force_login(owner)
    page = {"start": "2026-01-01", "end": "2026-02-28"}
    before = client.get("/ai/", page).context
    rollups.roll_up(now=AFTER)
    settings.AI_USAGE_RETENTION_DAYS = 1
    interactions_purge(Sweep(now=AFTER))

    after = client.get("/ai/", page)

    assert after.status_code == 200
    assert after.context["totals"]["count"] == before["totals"]["count"] == 60
    assert after.context["total_cost"] == before["total_cost"]
    assert [bar.datum.display for bar in after.context["day_chart"].bars] == [
        bar.datum.display for bar in before["day_chart"].bars
    ]
    assert [row["key"] for row in after.context["models"]] == [
        row["key"] for row in before["models"]
    ]
