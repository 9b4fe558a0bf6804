"""Budgets: reaching a monthly budget publishes ``ai_budget_exceeded`` once per month."""

import contextlib
import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from conftest import bearer_client
from nexus_site.definitions.enums import MemberRole
from nexus_site.events.models import Event
from projects.tests.factories import ProjectFactory, add_member
from workspace.ai_usage import selectors, services
from workspace.ai_usage.models import AIBudgetAlert
from workspace.tests.ai_usage.factories import BudgetFactory, InteractionFactory

pytestmark = pytest.mark.django_db
LIST = "/api/v1/ai/interactions/"
BUDGETS = "/api/v1/ai/budgets/"
MARCH = datetime.datetime(2026, 3, 5, tzinfo=datetime.UTC)


def record(user, cost: str, *, at=MARCH, project=None):
    return services.interaction_record(
        user=user,
        module="chat",
        model="gpt-test",
        usage={"input": 1},
        cost=Decimal(cost),
        occurred_at=at,
        project=project,
    )


def alerts():
    return list(Event.objects.filter(type="ai_budget_exceeded"))


def test_user_budget_crossing_publishes_once(user):
    BudgetFactory(user=user, amount=Decimal("10"))

    record(user, "6")
    assert alerts() == []
    record(user, "4")  # 10: at the budget
    record(user, "1")  # above: already alerted this month

    [event] = alerts()
    assert event.payload["month"] == "2026-03"
    assert event.payload["spent"] == "10.00000000"
    assert event.audience_users == [str(user.pk)]
    assert AIBudgetAlert.objects.count() == 1


def test_a_new_month_alerts_again(user):
    BudgetFactory(user=user, amount=Decimal("1"))

    record(user, "2")
    record(user, "2", at=MARCH + datetime.timedelta(days=31))

    assert [event.payload["month"] for event in alerts()] == ["2026-03", "2026-04"]


def test_spending_in_another_month_does_not_count(user):
    BudgetFactory(user=user, amount=Decimal("5"))

    record(user, "4", at=MARCH - datetime.timedelta(days=10))
    record(user, "4")

    assert alerts() == []


def test_project_budget_alerts_its_managers_on_the_project_node():
    project = ProjectFactory()
    manager = add_member(project, role=MemberRole.MANAGER)
    member = add_member(project)
    BudgetFactory(project=project, amount=Decimal("3"))

    record(member, "2", project=project)
    record(project.owner, "1", project=project)

    [event] = alerts()
    assert set(event.audience_users) == {str(project.owner.pk), str(manager.pk)}
    assert event.audience_node == f"projects.project:{project.pk}"
    assert event.payload["project"] == str(project.pk)


def test_budget_alert_through_the_api(auth_client, user):
    BudgetFactory(user=user, amount=Decimal("0.50"))
    payload = {"module": "chat", "model": "x", "usage": {"input": 1}, "cost": "0.30"}

    auth_client.post(LIST, payload, format="json")
    auth_client.post(LIST, payload, format="json")
    auth_client.post(LIST, payload, format="json")

    assert len(alerts()) == 1


def test_budget_list_shows_month_to_date_use(auth_client, user):
    budget = BudgetFactory(user=user, amount=Decimal("10"))
    InteractionFactory(user=user, cost=Decimal("12"))
    BudgetFactory(user=InteractionFactory().user)  # someone else's

    data = auth_client.get(BUDGETS).json()

    assert data["count"] == 1
    [row] = data["results"]
    assert row["id"] == str(budget.pk)
    assert row["spent"] == "12.00000000"
    assert row["exceeded"] is True


def test_project_budget_visible_to_manager_not_member():
    project = ProjectFactory()
    member = add_member(project)
    BudgetFactory(project=project)

    assert bearer_client(project.owner).get(BUDGETS).json()["count"] == 1
    assert bearer_client(member).get(BUDGETS).json()["count"] == 0


def test_budget_list_runs_a_constant_number_of_queries(
    user, django_assert_max_num_queries, django_assert_num_queries
):
    project = ProjectFactory(owner=user)
    BudgetFactory(user=user)
    BudgetFactory(project=project)
    client = bearer_client(user)
    client.get(BUDGETS)  # warm the per-process caches (content types)
    with django_assert_max_num_queries(20) as captured:
        client.get(BUDGETS)
    for _ in range(4):
        other = ProjectFactory(owner=user)
        BudgetFactory(project=other)
        InteractionFactory(user=user, project=other)

    with django_assert_num_queries(len(captured)):
        response = client.get(BUDGETS)

    assert response.json()["count"] == 6


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ingestions_crossing_together_alert_exactly_once(monkeypatch):
    from accounts.tests.factories import UserFactory

    user = UserFactory()
    BudgetFactory(user=user, amount=Decimal("10"))
    start = threading.Barrier(2)
    # Widen the race: a writer that has summed the month waits (briefly) for the other to sum
    # too. Unserialised, both would see 6 and neither alert; with the budget row locked, the
    # other writer is still waiting for the lock, so the wait times out and they take turns.
    both_summed = threading.Barrier(2)
    summed = selectors.budget_spent

    def sum_then_wait(budget, month_start, month_end):
        spent = summed(budget, month_start, month_end)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_summed.wait(timeout=2)
        return spent

    monkeypatch.setattr(selectors, "budget_spent", sum_then_wait)
    errors: list[Exception] = []

    def ingest() -> None:
        try:
            start.wait(timeout=10)
            record(user, "6")
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert AIBudgetAlert.objects.count() == 1
    assert len(alerts()) == 1
    assert alerts()[0].payload["spent"] == "12.00000000"
