"""Every read of AI usage on behalf of a user.

Visibility: a user sees their own interactions; whoever may manage a project (its owner, a
manager member, through any parent project) also sees the interactions charged to it; the
admin role sees all. Decided by the relations engine (grants with ``manage``), without one
relationship per interaction.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import Permission, Role
from nexus_site.exceptions import NotFoundError, ValidationError
from projects.models import Project
from relations.access import live_grants
from relations.hierarchy import descendants
from relations.registry import model_label
from workspace.ai_usage import rollups
from workspace.ai_usage.models import COST_PLACES, AIBudget, AIInteraction


def managed_project_ids(user) -> set[UUID]:
    """Return the ids of the projects ``user`` may manage (directly or through a parent)."""
    project_label = model_label(Project)
    seeds = {
        node
        for node, level in live_grants(user)
        if node.label == project_label and level == Permission.MANAGE
    }
    return {node.id for node in descendants(seeds) if node.label == project_label}


def visibility_filter(user) -> Q:
    """Return the filter on AIInteraction keeping what ``user`` may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    managed = managed_project_ids(user)
    condition = Q(user_id=user.pk)
    if managed:
        condition |= Q(project_id__in=managed)
    return condition


def sees_everything(user) -> bool:
    """Return whether ``user`` may see every interaction (the admin role)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active) and (
        user.role == Role.ADMIN
    )


def interactions_visible_to(user) -> QuerySet[AIInteraction]:
    """Return the interactions ``user`` may see, with their user and project loaded."""
    return AIInteraction.objects.filter(visibility_filter(user)).select_related("user", "project")


def interaction_get(user, interaction_id: UUID | str) -> AIInteraction:
    """Return one interaction ``user`` may see; NotFoundError otherwise."""
    try:
        interaction = interactions_visible_to(user).filter(pk=interaction_id).first()
    except DjangoValidationError:
        interaction = None
    if interaction is None:
        raise NotFoundError()
    return interaction


# --- time ranges -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeRange:
    start: datetime | None = None
    end: datetime | None = None  # exclusive

    def apply(self, queryset: QuerySet) -> QuerySet:
        if self.start is not None:
            queryset = queryset.filter(occurred_at__gte=self.start)
        if self.end is not None:
            queryset = queryset.filter(occurred_at__lt=self.end)
        return queryset


def parse_moment(text: str, *, field: str, end: bool) -> datetime:
    """Return the moment ``text`` names: a datetime, or a UTC date (whole day for an end)."""
    problem = ValidationError(details={field: [str(_("Give a date or an ISO 8601 date-time."))]})
    try:
        day = parse_date(text)  # first: parse_datetime also reads a bare date, as midnight
        if day is not None:
            moment = datetime.combine(day, time.min, tzinfo=UTC)
            if end:
                moment += timedelta(days=1)
        else:
            moment = parse_datetime(text)
        if moment is None:
            raise problem
    except ValueError as exc:  # well formed but impossible, e.g. 2026-02-30
        raise problem from exc
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def time_range(params) -> TimeRange:
    """Return the range of ``?from=&to=``: ``from`` inclusive, ``to`` exclusive (a date ``to``
    includes that whole day, in UTC). 422 when unreadable or reversed."""
    start = parse_moment(params["from"], field="from", end=False) if params.get("from") else None
    end = parse_moment(params["to"], field="to", end=True) if params.get("to") else None
    if start is not None and end is not None and end <= start:
        raise ValidationError(details={"to": [str(_("The end must be after the start."))]})
    return TimeRange(start, end)


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Return the UTC month containing ``moment``: its first instant and the next month's."""
    moment = moment.astimezone(UTC)
    start = datetime(moment.year, moment.month, 1, tzinfo=UTC)
    days = calendar.monthrange(moment.year, moment.month)[1]
    return start, start + timedelta(days=days)


# --- projects and budgets ----------------------------------------------------------------


@dataclass(frozen=True)
class BudgetStatus:
    budget: AIBudget
    month: date
    spent: Decimal

    @property
    def share(self) -> float:
        return float(self.spent / self.budget.amount) if self.budget.amount else 0.0

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    @property
    def exceeded(self) -> bool:
        return self.spent >= self.budget.amount


def budgets_visible_to(user) -> QuerySet[AIBudget]:
    """Return the budgets ``user`` may see: their own, those of projects they manage."""
    budgets = AIBudget.objects.select_related("user", "project")
    if user.role == Role.ADMIN:
        return budgets
    return budgets.filter(Q(user_id=user.pk) | Q(project_id__in=managed_project_ids(user)))


def budget_spent(budget: AIBudget, start: datetime, end: datetime) -> Decimal:
    """Return what the budget's user or project spent in [start, end) (rollups for the days
    rolled up, raw rows for the rest: right after raw rows are purged too)."""
    scope, pk = budget_scope(budget)
    spent = rollups.cost_by(scope, [pk], start, end).get(pk)
    return (spent or Decimal(0)).quantize(Decimal(1).scaleb(-COST_PLACES))


def budget_scope(budget: AIBudget) -> tuple[str, UUID]:
    return ("user", budget.user_id) if budget.user_id else ("project", budget.project_id)


def budget_statuses(user, *, at: datetime | None = None) -> list[BudgetStatus]:
    """Return each visible budget with the month-to-date spending of the month of ``at``.

    A constant number of queries whatever the number of budgets: the budgets, the watermark,
    then the month's spending grouped by user and by project (raw rows, and rollups for the
    days rolled up).
    """
    start, end = month_bounds(at or timezone.now())
    budgets = list(budgets_visible_to(user))
    quantum = Decimal(1).scaleb(-COST_PLACES)
    spent: dict[tuple[str, UUID], Decimal] = {}
    for scope in ("user", "project"):
        ids = [getattr(budget, f"{scope}_id") for budget in budgets]
        ids = [pk for pk in ids if pk is not None]
        if not ids:
            continue
        for pk, total in rollups.cost_by(scope, ids, start, end).items():
            spent[(scope, pk)] = total.quantize(quantum)
    zero = Decimal(0).quantize(quantum)
    return [
        BudgetStatus(
            budget,
            start.date(),
            spent.get(
                ("user", budget.user_id) if budget.user_id else ("project", budget.project_id), zero
            ),
        )
        for budget in budgets
    ]


def users_by_id(ids) -> dict:
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=ids)}
