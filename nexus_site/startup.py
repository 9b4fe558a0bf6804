"""What a serving process (web, worker, beat) requires before it starts."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET_KEY = "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production)."


def secret_key_is_set() -> bool:
    """Return whether the process may use its key: configured, or development mode."""
    return settings.SECRET_KEY_CONFIGURED or settings.DEBUG


def require_secret_key() -> None:
    """Refuse to start a serving process without a secret key."""
    if not secret_key_is_set():
        raise ImproperlyConfigured(MISSING_SECRET_KEY)


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Report a missing secret key in `manage.py check --deploy`."""
    if secret_key_is_set():
        return []
    return [checks.Error(MISSING_SECRET_KEY, id="nexus.E001")]
