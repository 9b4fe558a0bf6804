"""Demo AI usage: prices for three models (one changes its price 15 days ago, so older calls
keep the old cost), about 320 calls over the last 30 days by the demo users across modules and
projects (a fixed random seed), and budgets, one of them exceeded. Each part is skipped when it
already exists, so seeding again changes nothing."""

import datetime
import random
from decimal import ROUND_DOWN, Decimal

from django.core.management.base import OutputWrapper
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from nexus_site.definitions.enums import Permission
from projects.models import Project
from relations.access import can
from relations.nodes import node_of
from workspace.ai_usage import pricing, rollups, selectors, services
from workspace.ai_usage.models import (
    AIBudget,
    AIInteraction,
    AIModule,
    InteractionStatus,
    ModelPrice,
    UsageType,
)

SEED = 20260101
CALLS = 320
DAYS = 30
# model: (typical latency ms, {usage type: price per million tokens})
MODELS = {
    "gpt-4o": (650, {"input": "2.50", "output": "10.00", "cached": "1.25"}),
    "claude-sonnet": (900, {"input": "3.00", "output": "15.00", "cached": "0.30"}),
    "mistral-small": (280, {"input": "0.20", "output": "0.60"}),
}
PRICE_CHANGE = ("gpt-4o", {"input": "2.00", "output": "8.00", "cached": "1.00"})
USERS = ("user@nexus.local", "manager@nexus.local", "guest@nexus.local", "admin@nexus.local")
EXCEEDED_PROJECT = "Customer portal"
USER_BUDGET = ("user@nexus.local", Decimal("25.00"))


@transaction.atomic
def seed(stdout: OutputWrapper) -> None:
    """Create the demo prices, calls and budgets that are missing."""
    now = timezone.now()
    start = (now - datetime.timedelta(days=DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    prices_created = seed_prices(start, now)
    users = list(User.objects.filter(email__in=USERS).order_by("email"))
    calls = seed_interactions(users, start, now) if users else 0
    budgets = seed_budgets(now)
    stdout.write(
        f"Demo AI usage: {prices_created} price(s), {calls} call(s), {budgets} budget(s) added."
    )


def seed_prices(start: datetime.datetime, now: datetime.datetime) -> int:
    if ModelPrice.objects.filter(model__in=MODELS).exists():
        return 0
    rows = [
        ModelPrice(
            model=model, usage_type=usage_type, price_per_million=Decimal(price), valid_from=start
        )
        for model, (_latency, prices) in MODELS.items()
        for usage_type, price in prices.items()
    ]
    model, prices = PRICE_CHANGE
    changed_at = (now - datetime.timedelta(days=15)).replace(minute=0, second=0, microsecond=0)
    rows += [
        ModelPrice(
            model=model,
            usage_type=usage_type,
            price_per_million=Decimal(price),
            valid_from=changed_at,
        )
        for usage_type, price in prices.items()
    ]
    ModelPrice.objects.bulk_create(rows)
    return len(rows)


def price_table() -> dict[str, list[tuple[datetime.datetime, str, Decimal]]]:
    table: dict[str, list] = {}
    for model, usage_type, price, valid_from in ModelPrice.objects.filter(
        model__in=MODELS
    ).values_list("model", "usage_type", "price_per_million", "valid_from"):
        table.setdefault(model, []).append((valid_from, usage_type, price))
    return table


def in_force(rows: list[tuple], at: datetime.datetime) -> dict[str, Decimal]:
    """Return the prices in force at ``at`` (pricing.prices_in_force, without a query)."""
    prices: dict[str, Decimal] = {}
    for valid_from, usage_type, price in sorted(rows, key=lambda row: row[0], reverse=True):
        if valid_from <= at:
            prices.setdefault(usage_type, price)
    return prices


def seed_interactions(users: list[User], start: datetime.datetime, now) -> int:
    if AIInteraction.objects.filter(user__in=users).exists():
        return 0
    rng = random.Random(SEED)
    projects = list(Project.objects.order_by("name"))
    editable = {
        user.pk: [p for p in projects if can(user, Permission.EDIT, node_of(p))] for user in users
    }
    table = price_table()
    models = sorted(MODELS)
    month_start, _month_end = selectors.month_bounds(now)
    recent = max(1, min(36_000, int((now - month_start).total_seconds()) - 1))
    rows = []
    for index in range(CALLS):
        user = users[index % len(users)] if index % 3 else users[0]
        # The last calls happen in the last hours, so this month always has spending.
        if index >= CALLS - 12:
            occurred_at = now - datetime.timedelta(seconds=rng.randint(1, recent))
        else:
            occurred_at = start + datetime.timedelta(seconds=rng.randint(0, DAYS * 86_400 - 1))
        model = rng.choice(models)
        usage = {
            UsageType.INPUT: rng.randint(200, 6000),
            UsageType.OUTPUT: rng.randint(50, 2000),
            UsageType.CACHED: rng.choice((0, 0, rng.randint(100, 3000))),
        }
        choices = editable.get(user.pk) or []
        project = rng.choice(choices) if choices and rng.random() < 0.6 else None
        if index >= CALLS - 4 and choices:
            project = next((p for p in choices if p.name == EXCEEDED_PROJECT), project)
        failed = rng.random() < 0.05
        priced = pricing.cost_of(usage, in_force(table.get(model, []), occurred_at))
        rows.append(
            AIInteraction(
                user=user,
                module=rng.choice(AIModule.values),
                project=project,
                model=model,
                prompt=f"Demo prompt #{index + 1}",
                response="" if failed else f"Demo answer #{index + 1}",
                input_tokens=usage[UsageType.INPUT],
                output_tokens=usage[UsageType.OUTPUT],
                cached_tokens=usage[UsageType.CACHED],
                latency_ms=int(MODELS[model][0] * rng.uniform(0.4, 2.6)),
                status=InteractionStatus.ERROR if failed else InteractionStatus.SUCCESS,
                error="Demo: upstream timeout" if failed else "",
                cost=priced.cost,
                cost_source=priced.source,
                occurred_at=occurred_at,
                created_at=occurred_at,
            )
        )
    AIInteraction.objects.bulk_create(rows)
    rollups.interactions_rolled(rows)  # days already rolled up get them in their rollups
    return len(rows)


def seed_budgets(now: datetime.datetime) -> int:
    created = 0
    email, amount = USER_BUDGET
    user = User.objects.filter(email=email).first()
    if user is not None and not AIBudget.objects.filter(user=user).exists():
        AIBudget.objects.create(user=user, amount=amount)
        created += 1
    project = Project.objects.filter(name=EXCEEDED_PROJECT).order_by("created_at").first()
    if project is not None and not AIBudget.objects.filter(project=project).exists():
        month_start, month_end = selectors.month_bounds(now)
        spent = selectors.budget_spent(
            AIBudget(project=project, amount=Decimal(1)), month_start, month_end
        )
        # Below this month's spending, so the dashboard shows it exceeded.
        amount = max(
            Decimal("0.01"), (spent * Decimal("0.8")).quantize(Decimal("0.01"), ROUND_DOWN)
        )
        AIBudget.objects.create(project=project, amount=amount)
        created += 1
        latest = AIInteraction.objects.filter(project=project).order_by("-occurred_at").first()
        if latest is not None:
            services.budgets_check(latest)  # writes the alert and publishes the event
    return created
