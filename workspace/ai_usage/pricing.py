"""Cost of an interaction from the price table.

Rule: for each usage type, the price in force at ``occurred_at`` is the one of that model and
type with the latest ``valid_from`` not after ``occurred_at``. The cost is the sum over the
types of tokens x price per million / 1,000,000, rounded half up to 8 decimal places. A type
with no price in force costs nothing; a model with no price in force for any type is
"unpriced" (cost 0). The cost is stored at ingestion, so later price changes never alter it.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from workspace.ai_usage.models import COST_DIGITS, COST_PLACES, CostSource, ModelPrice, UsageType

MILLION = Decimal(1_000_000)
QUANTUM = Decimal(1).scaleb(-COST_PLACES)
# The most one interaction may cost: one whole digit fewer than the cost column holds, so that
# SQLite, which keeps 15 significant digits, never rounds a stored cost past the column.
MAX_COST = Decimal(10) ** (COST_DIGITS - COST_PLACES - 1) - QUANTUM


@dataclass(frozen=True)
class Priced:
    cost: Decimal
    source: str


def prices_in_force(model: str, at: datetime) -> dict[str, Decimal]:
    """Return the price per million tokens of each usage type of ``model`` in force at ``at``."""
    prices: dict[str, Decimal] = {}
    for usage_type, price in (
        ModelPrice.objects.filter(model=model, valid_from__lte=at)
        .order_by("usage_type", "-valid_from")
        .values_list("usage_type", "price_per_million")
    ):
        prices.setdefault(usage_type, price)
    return prices


def cost_of(usage: dict[str, int], prices: dict[str, Decimal]) -> Priced:
    """Return the cost of ``usage`` (tokens by usage type) at ``prices`` and where it came from."""
    if not prices:
        return Priced(Decimal(0).quantize(QUANTUM), CostSource.UNPRICED)
    total = sum(
        (Decimal(usage.get(usage_type, 0)) * prices.get(usage_type, Decimal(0)))
        for usage_type in UsageType.values
    )
    return Priced((total / MILLION).quantize(QUANTUM, ROUND_HALF_UP), CostSource.COMPUTED)
