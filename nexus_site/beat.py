"""The beat scheduler: django-celery-beat's database scheduler, refusing to run unconfigured."""

from django.core.exceptions import ImproperlyConfigured
from django_celery_beat.schedulers import DatabaseScheduler

from nexus_site.startup import require_secret_key


class GuardedDatabaseScheduler(DatabaseScheduler):
    """Check the secret key before touching the database (beat_init fires only afterwards)."""

    def __init__(self, *args, **kwargs):
        try:
            require_secret_key()
        except ImproperlyConfigured as exc:
            raise SystemExit(f"ImproperlyConfigured: {exc}") from exc
        super().__init__(*args, **kwargs)
