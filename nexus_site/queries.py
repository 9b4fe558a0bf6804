"""Small query helpers every app's selectors share."""

from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet


def first_or_none(queryset: QuerySet, pk: UUID | str):
    """Return the row of ``queryset`` with primary key ``pk``, or None (also for a malformed id)."""
    try:
        return queryset.filter(pk=pk).first()
    except (DjangoValidationError, ValueError):  # not a UUID: nothing has that id
        return None
