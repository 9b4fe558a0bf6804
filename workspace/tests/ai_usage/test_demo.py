"""The AI usage demo data: prices with a mid-month change, a month of calls, an exceeded budget;
created once, whatever the number of runs."""

from io import StringIO

import pytest
from django.core.management import call_command

from nexus_site.events.models import Event
from workspace.ai_usage import demo, pricing, selectors
from workspace.ai_usage.models import AIBudget, AIBudgetAlert, AIInteraction, CostSource, ModelPrice

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_twice(settings) -> str:
    settings.DEBUG = True
    output = StringIO()
    for _ in range(2):
        call_command("seed_demo", stdout=output)
    return output.getvalue()


def test_seed_creates_prices_calls_and_budgets_once(seeded_twice):
    assert ModelPrice.objects.count() == 11
    assert AIInteraction.objects.count() == demo.CALLS
    assert AIBudget.objects.count() == 2
    assert "Demo AI usage: 11 price(s), 320 call(s), 2 budget(s) added." in seeded_twice
    assert "Demo AI usage: 0 price(s), 0 call(s), 0 budget(s) added." in seeded_twice


def test_demo_costs_match_the_prices_in_force(seeded_twice):
    for interaction in AIInteraction.objects.all()[:50]:
        expected = pricing.cost_of(
            interaction.usage, pricing.prices_in_force(interaction.model, interaction.occurred_at)
        )
        assert (interaction.cost, interaction.cost_source) == (expected.cost, CostSource.COMPUTED)


def test_demo_spans_modules_projects_and_the_price_change(seeded_twice):
    assert AIInteraction.objects.values("module").distinct().count() == 6
    assert AIInteraction.objects.filter(project__isnull=False).exists()
    assert len(ModelPrice.objects.filter(model="gpt-4o", usage_type="input")) == 2


def test_demo_project_budget_is_exceeded_and_alerted_once(seeded_twice):
    budget = AIBudget.objects.get(project__name=demo.EXCEEDED_PROJECT)
    admin = budget.project.owner

    [status] = [s for s in selectors.budget_statuses(admin) if s.budget == budget]
    assert status.exceeded
    assert AIBudgetAlert.objects.filter(budget=budget).count() == 1
    assert Event.objects.filter(type="ai_budget_exceeded").count() == 1
