"""Every read of accounts on behalf of a user."""

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User
from nexus_site.exceptions import NotFoundError


def user_list(*, actor: User) -> QuerySet[User]:
    """Return the accounts ``actor`` may see: all of them for staff, else only their own."""
    if not actor.is_authenticated:
        return User.objects.none()
    if actor.is_staff:
        return User.objects.all()
    return User.objects.filter(pk=actor.pk)


def user_get(*, actor: User, user_id: UUID | str) -> User:
    """Return the account ``user_id`` if ``actor`` may see it; NotFoundError otherwise."""
    user = user_list(actor=actor).filter(pk=user_id).first()
    if user is None:
        raise NotFoundError()
    return user
