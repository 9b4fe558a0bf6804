import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from workspace.ai_usage.models import (
    AIBudget,
    AIInteraction,
    AIModule,
    CostSource,
    ModelPrice,
    UsageType,
)

LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


class ModelPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelPrice

    model = "gpt-test"
    usage_type = UsageType.INPUT
    price_per_million = Decimal("1.000000")
    valid_from = LONG_AGO


class InteractionFactory(factory.django.DjangoModelFactory):
    """A recorded interaction, written directly (no pricing, no budget check)."""

    class Meta:
        model = AIInteraction

    user = factory.SubFactory(UserFactory)
    module = AIModule.CHAT
    model = "gpt-test"
    input_tokens = 100
    output_tokens = 50
    cached_tokens = 0
    latency_ms = 100
    cost = Decimal("0.001")
    cost_source = CostSource.CLIENT


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AIBudget

    amount = Decimal("10.00")


def prices(model: str, valid_from, **per_type: str) -> None:
    """Create the prices of ``model`` from ``valid_from``: input="3", output="15", ..."""
    for usage_type, price in per_type.items():
        ModelPriceFactory(
            model=model,
            usage_type=usage_type,
            price_per_million=Decimal(price),
            valid_from=valid_from,
        )
