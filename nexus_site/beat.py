"""The beat scheduler: django-celery-beat's database scheduler, refusing to run unconfigured
and recording each tick in the shared cache, so ``verify_setup`` can tell whether beat runs.

Beat is required in a services deployment: a run whose worker was killed resumes only through
its ``reclaim_executions`` task, and schedules, token flushing and the trash purge are its too.
"""

import logging
import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django_celery_beat.schedulers import DatabaseScheduler

from nexus_site.outages import OUTAGE_ERRORS
from nexus_site.startup import require_secret_key

logger = logging.getLogger(__name__)

TICK_KEY = "beat:last_tick"
# Beat ticks at least every few seconds (django-celery-beat's longest sleep is 5 s, the reclaim
# task is due every 30 s): two minutes without a tick means no beat is running.
LATE_AFTER_SECONDS = 120


def record_tick(at: float | None = None) -> None:
    """Write when beat last ticked (a Unix time) to the cache; an outage is logged, not raised."""
    try:
        cache.set(TICK_KEY, time.time() if at is None else at, timeout=None)
    except OUTAGE_ERRORS as exc:
        logger.warning("Could not record the beat tick: %s", exc)


def seconds_since_last_tick() -> float | None:
    """Return how long ago beat last ticked; None when no tick was ever recorded."""
    at = cache.get(TICK_KEY)
    return None if at is None else max(time.time() - float(at), 0.0)


class GuardedDatabaseScheduler(DatabaseScheduler):
    """Check the secret key before touching the database (beat_init fires only afterwards)."""

    def __init__(self, *args, **kwargs):
        try:
            require_secret_key()
        except ImproperlyConfigured as exc:
            raise SystemExit(f"ImproperlyConfigured: {exc}") from exc
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs) -> float:
        interval = super().tick(*args, **kwargs)
        record_tick()
        return interval
