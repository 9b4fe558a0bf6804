"""What kind of instance this is, as the settings say: only production is off limits to a reset.

There is no setting to declare it: ``DJANGO_DEBUG`` on means development, and the embedded
default (SQLite under ``var/``, what ``make run`` serves) is a demo even with ``DEBUG`` off.
Everything else (``DEBUG`` off on PostgreSQL, what ``make serve`` runs) is production.
"""

from enum import StrEnum

from django.conf import settings
from django.db import connection


class InstanceKind(StrEnum):
    DEVELOPMENT = "development"
    EMBEDDED = "embedded"
    PRODUCTION = "production"


def instance_kind(*, debug: bool, vendor: str) -> InstanceKind:
    """Return the kind of an instance with these settings."""
    if debug:
        return InstanceKind.DEVELOPMENT
    if vendor == "sqlite":
        return InstanceKind.EMBEDDED
    return InstanceKind.PRODUCTION


def current_instance_kind() -> InstanceKind:
    """Return the kind of this instance."""
    return instance_kind(debug=settings.DEBUG, vendor=connection.vendor)
