"""Every write of AI usage: record an interaction (costed from the price table at its time)
and raise a budget alert once per month when spending reaches a budget.

Budget rule: after an interaction is recorded, each budget of its user and of its project is
checked for the UTC month of ``occurred_at``; when that month's spending is at or above the
budget and no alert exists yet for that budget and month, one alert row is written and
``ai_budget_exceeded`` is published. The budget row is locked first, so concurrent
ingestions see each other's costs, and the unique (budget, month) row makes the alert happen
once whatever the timing.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site import metrics
from nexus_site.definitions.enums import EventType, Permission
from nexus_site.events.services import publish
from nexus_site.exceptions import ValidationError
from projects.models import Project
from projects.selectors import membership_edges
from relations.access import grant_level, require_named
from relations.nodes import node_of
from workspace.ai_usage import pricing, rollups, selectors
from workspace.ai_usage.models import (
    AIBudget,
    AIBudgetAlert,
    AIInteraction,
    CostSource,
    InteractionStatus,
    UsageType,
)


def clock_skew() -> timedelta:
    """Return how far in the future a client's ``occurred_at`` may be (its clock may run fast)."""
    return timedelta(seconds=settings.AI_USAGE_CLOCK_SKEW_SECONDS)


@transaction.atomic
def interaction_record(
    *,
    user,
    module: str,
    model: str,
    usage: dict[str, int],
    prompt: str = "",
    response: str = "",
    latency_ms: int = 0,
    status: str = InteractionStatus.SUCCESS,
    error: str = "",
    cost: Decimal | None = None,
    project: Project | None = None,
    occurred_at: datetime | None = None,
) -> AIInteraction:
    """Record one AI call by ``user``; cost it from the prices in force unless ``cost`` is given."""
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + clock_skew():
        raise ValidationError(details={"occurred_at": [str(_("This time is in the future."))]})
    if project is not None:  # charging a project is a change to it: edit
        require_named(
            user, Permission.EDIT, project, field="project", message=_("No such project.")
        )
    if cost is not None:
        priced = pricing.Priced(cost, CostSource.CLIENT)
    else:
        priced = pricing.cost_of(usage, pricing.prices_in_force(model, occurred_at))
    if priced.cost > pricing.MAX_COST:
        message = _("One interaction may cost at most %(max)s.") % {"max": pricing.MAX_COST}
        raise ValidationError(details={"usage" if cost is None else "cost": [str(message)]})
    interaction = AIInteraction.objects.create(
        user=user,
        module=module,
        project=project,
        model=model,
        prompt=prompt,
        response=response,
        input_tokens=usage.get(UsageType.INPUT, 0),
        output_tokens=usage.get(UsageType.OUTPUT, 0),
        cached_tokens=usage.get(UsageType.CACHED, 0),
        latency_ms=latency_ms,
        status=status,
        error=error,
        cost=priced.cost,
        cost_source=priced.source,
        occurred_at=occurred_at,
        created_at=now,
    )
    metrics.ai_interaction_recorded(interaction)
    rollups.interaction_rolled(interaction)  # its day may be rolled up already
    budgets_check(interaction)
    return interaction


def budgets_check(interaction: AIInteraction) -> list[AIBudgetAlert]:
    """Alert the budgets of the interaction's user and project that its month has exhausted."""
    scope = Q(user_id=interaction.user_id)
    if interaction.project_id:
        scope |= Q(project_id=interaction.project_id)
    start, end = selectors.month_bounds(interaction.occurred_at)
    alerts = []
    for budget in AIBudget.objects.select_for_update().filter(scope).order_by("id"):
        spent = selectors.budget_spent(budget, start, end)
        if spent < budget.amount:
            continue
        if AIBudgetAlert.objects.filter(budget=budget, month=start.date()).exists():
            continue
        try:
            with transaction.atomic():
                alert = AIBudgetAlert.objects.create(budget=budget, month=start.date(), spent=spent)
        except IntegrityError:  # another ingestion alerted first
            continue
        publish_budget_exceeded(alert)
        alerts.append(alert)
    return alerts


def project_manager_ids(project: Project) -> list:
    """Return the ids of the users who may manage ``project`` directly (owner, managers)."""
    now = timezone.now()
    return [
        source_id
        for source_id, edge_type, metadata in membership_edges(project).values_list(
            "source_id", "type", "metadata"
        )
        if grant_level(edge_type, metadata or {}, now=now) == Permission.MANAGE
    ]


def publish_budget_exceeded(alert: AIBudgetAlert) -> None:
    budget = alert.budget
    payload = {
        "budget": str(budget.pk),
        "month": alert.month.strftime("%Y-%m"),
        "amount": str(budget.amount),
        "spent": str(alert.spent),
        "currency": budget.currency,
        "user": str(budget.user_id) if budget.user_id else None,
        "project": str(budget.project_id) if budget.project_id else None,
    }
    if budget.project_id:
        publish(
            EventType.AI_BUDGET_EXCEEDED,
            payload,
            user_ids=project_manager_ids(budget.project),
            node=str(node_of(budget.project)),
        )
    else:
        publish(EventType.AI_BUDGET_EXCEEDED, payload, user_ids=[budget.user_id])
