"""Retention: purging what is older than its keep time, in small batches, from a beat task.

The core never imports an app: each app registers its purgers at start
(``register_purger(name, callable)`` in ``AppConfig.ready``); ``purge_expired`` (the beat task
``nexus_site.tasks.purge_expired``) runs them in turn within one time budget. A purger takes
a ``Sweep`` (batch size and deadline) and returns how many rows it deleted; it deletes with
``delete_in_batches``: at most ``RETENTION_BATCH_SIZE`` rows per statement and per
transaction, so no table stays locked for long, until nothing is left or time runs out (the
next run goes on). Keep times are settings in days, 0 keeping forever (``keep_days``).

Registered today: expired refresh tokens (here), events (nexus_site.events.retention),
raw AI interactions and expired public links (workspace), finished pattern executions with
their step runs (patterns.retention, statistics kept in rollups).
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

logger = logging.getLogger(__name__)


@dataclass
class Sweep:
    """One retention run: its clock, batch size and deadline (time.monotonic)."""

    now: datetime = field(default_factory=timezone.now)
    batch_size: int = 0
    deadline: float | None = None

    def __post_init__(self) -> None:
        if not self.batch_size:
            self.batch_size = settings.RETENTION_BATCH_SIZE

    @property
    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def cutoff(self, days: int) -> datetime | None:
        """Return the moment before which rows kept ``days`` days go; None keeps forever."""
        return None if days <= 0 else self.now - timedelta(days=days)


Purger = Callable[[Sweep], int]

# Configuration set once per process at start (AppConfig.ready), never shared state.
_purgers: dict[str, Purger] = {}


def register_purger(name: str, purger: Purger) -> None:
    """Run ``purger`` in every retention sweep, under ``name`` (registering again replaces)."""
    _purgers[name] = purger


def purgers() -> dict[str, Purger]:
    return dict(_purgers)


def keep_days(setting: str) -> int:
    """Return the days named by ``setting``; 0 (or less) keeps forever."""
    return max(int(getattr(settings, setting)), 0)


def delete_in_batches(queryset: QuerySet, sweep: Sweep) -> int:
    """Delete the rows of ``queryset``, ``sweep.batch_size`` primary keys at a time, one
    transaction each, until none is left or the sweep is out of time; return how many went.

    Each batch is ``DELETE ... WHERE pk IN (SELECT pk ... LIMIT n)`` (plus the rows that
    cascade from them, by the ORM), so a statement never touches more than a batch.
    """
    model = queryset.model
    deleted = 0
    while not sweep.out_of_time:
        with transaction.atomic():
            batch = list(queryset.order_by("pk").values_list("pk", flat=True)[: sweep.batch_size])
            if not batch:
                break
            _total, per_model = model._default_manager.filter(pk__in=batch).delete()
        deleted += per_model.get(model._meta.label, 0)
        if len(batch) < sweep.batch_size:
            break
    return deleted


def purge_expired(*, budget_seconds: float | None = None, now: datetime | None = None) -> dict:
    """Run every registered purger within ``budget_seconds`` (the setting by default);
    return how many rows each deleted. A failing purger is logged; the others still run."""
    if budget_seconds is None:
        budget_seconds = settings.RETENTION_TIME_BUDGET_SECONDS
    sweep = Sweep(now=now or timezone.now(), deadline=time.monotonic() + budget_seconds)
    counts = {}
    for name, purger in purgers().items():
        if sweep.out_of_time:
            break
        try:
            counts[name] = purger(sweep)
        except Exception:
            logger.exception("Retention purger %s failed", name)
    return counts


def expired_tokens_purge(sweep: Sweep) -> int:
    """Delete expired refresh tokens and their blacklist entries (simplejwt's
    ``flushexpiredtokens`` condition, in batches): an expired token is refused anyway."""
    return delete_in_batches(OutstandingToken.objects.filter(expires_at__lte=sweep.now), sweep)
