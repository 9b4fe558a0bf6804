"""Every read of accounts on behalf of a user."""

from uuid import UUID

from django.db.models import QuerySet

from accounts import tokens
from accounts.models import PersonalAccessToken, User
from accounts.notification_kinds import (
    DEFAULT_DELIVERY,
    LEGACY_MAIL_PREFERENCE,
    PREFERENCES_KEY,
    NotificationDelivery,
    NotificationKind,
)
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


def notification_preference(user: User, kind: str) -> str:
    """Return how ``user`` wants to hear of ``kind`` by e-mail: a NotificationDelivery value.

    A kind the user never chose has its default (``DEFAULT_DELIVERY``); for mail, the older
    ``mail_notifications`` switch still counts as "immediately". Raises ValueError for a kind
    that is not a NotificationKind.
    """
    kind = NotificationKind(kind)
    preferences = user.preferences if isinstance(user.preferences, dict) else {}
    chosen = preferences.get(PREFERENCES_KEY)
    if isinstance(chosen, dict) and chosen.get(kind) in NotificationDelivery.values:
        return NotificationDelivery(chosen[kind])
    if kind == NotificationKind.MAIL_RECEIVED and preferences.get(LEGACY_MAIL_PREFERENCE) is True:
        return NotificationDelivery.IMMEDIATELY
    return NotificationDelivery(DEFAULT_DELIVERY[kind])


def notification_preferences(user: User) -> dict[str, str]:
    """Return every notification kind with how ``user`` wants to hear of it, in display order."""
    return {kind: notification_preference(user, kind) for kind in NotificationKind.values}


def email_change_for_token(*, token: str) -> tuple[User, str] | None:
    """Return the user and the new address a still-usable address change link is for."""
    data = tokens.read_email_change_token(token)
    if data is None:
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or not user.email_change_nonce or user.email_change_nonce != data["n"]:
        return None
    return user, data["e"]


def avatar_exists(*, name: str) -> bool:
    """Return whether ``name`` (a file under avatars/) is someone's current avatar image."""
    return User.objects.filter(avatar=f"avatars/{name}", is_active=True).exists()


def personal_token_list(*, actor: User) -> QuerySet[PersonalAccessToken]:
    """Return ``actor``'s personal access tokens that are not revoked (expired ones too),
    newest first. Staff see other people's tokens only in the admin."""
    if not actor.is_authenticated:
        return PersonalAccessToken.objects.none()
    return PersonalAccessToken.objects.filter(owner=actor, revoked_at__isnull=True)


def personal_token_get(*, actor: User, token_id: UUID | str) -> PersonalAccessToken:
    """Return ``actor``'s own unrevoked token ``token_id``; NotFoundError for anyone else's."""
    token = personal_token_list(actor=actor).filter(pk=token_id).first()
    if token is None:
        raise NotFoundError()
    return token
