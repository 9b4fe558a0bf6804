"""The Celery app. Settings come from Django settings under the CELERY_ namespace."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_site.settings")

app = Celery("nexus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def refuse_to_start_without_a_secret_key(**kwargs) -> None:
    """A worker in production needs the secret key as much as the web does (beat: beat.py)."""
    from django.core.exceptions import ImproperlyConfigured

    from nexus_site.startup import require_secret_key

    try:
        require_secret_key()
    except ImproperlyConfigured as exc:
        # Celery logs and ignores exceptions from signal handlers; SystemExit stops the process.
        raise SystemExit(f"ImproperlyConfigured: {exc}") from exc
