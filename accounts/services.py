"""Every write on accounts: registration, verification, login with lockout, passwords, tokens.

Each function is one transaction, takes keyword arguments and raises only BaseAppException
subclasses. E-mails and events go out after commit.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import avatars, emails, hooks, tokens
from accounts.models import PersonalAccessToken, User
from accounts.notification_kinds import PREFERENCES_KEY, notification_problems
from accounts.token_scopes import normalized_scopes, unknown_scopes
from nexus_site.definitions import constants
from nexus_site.definitions.enums import EventType, Language, Role
from nexus_site.events.services import publish
from nexus_site.exceptions import (
    AccountLockedError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ValidationError,
)
from nexus_site.websocket_auth import recheck_user_sockets_on_commit

BAD_CREDENTIALS = _("Wrong e-mail or password.")
PROFILE_FIELDS = frozenset(
    {"first_name", "last_name", "language", "preferences", "time_zone", "avatar_color"}
)


def normalize_email(email: str) -> str:
    return User.objects.normalize_email((email or "").strip()).lower()


def validate_preferences(preferences) -> None:
    """Refuse preferences whose notification choices name unknown kinds or deliveries."""
    if isinstance(preferences, dict) and PREFERENCES_KEY in preferences:
        problems = notification_problems(preferences[PREFERENCES_KEY])
        if problems:
            raise ValidationError(details={"preferences": problems})


def validate_new_password(password: str, user: User | None = None, field: str = "password") -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(details={field: list(exc.messages)}) from exc


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    language: str = Language.EN,
) -> User | None:
    """Create an unverified account and send its verification e-mail.

    When the address is taken, nothing is created and its owner is told by e-mail instead,
    so the caller cannot learn which addresses have accounts. Returns the new user or None.
    """
    email = normalize_email(email)
    candidate = User(email=email, first_name=first_name, last_name=last_name, language=language)
    validate_new_password(password, candidate)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        make_password(password)  # the same cost as a new account: no timing hint either
        emails.send_account_email(
            existing, "already_registered", url=emails.link("accounts:password-reset")
        )
        return None
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save(force_insert=True)
    except IntegrityError:
        return None  # registered concurrently: same answer as an existing address
    emails.send_account_email(
        candidate,
        "verify_email",
        url=emails.link("accounts:verify-email", tokens.make_verification_token(candidate)),
    )
    publish(EventType.USER_REGISTERED, {"user": str(candidate.id)}, user_ids=[candidate.id])
    hooks.user_created(candidate)
    return candidate


@transaction.atomic
def user_verify_email(*, token: str) -> User:
    """Mark the address in ``token`` as verified."""
    user = tokens.read_verification_token(token)
    if user is None:
        raise BadRequestError(
            _("The verification link is invalid or has expired."), code="invalid_token"
        )
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified", "updated_at"])
    return user


def user_authenticate(*, email: str, password: str, request: HttpRequest | None = None) -> User:
    """Return the user for these credentials through Django's ``authenticate()``.

    Every login path goes through the configured backends (accounts.backends.LockoutBackend
    counts the failures), so this only tells a locked account (AccountLockedError) from wrong
    credentials (AuthenticationError) when no backend accepted them.
    """
    user = authenticate(request, email=email, password=password)
    if user is not None:
        return user
    locked = User.objects.filter(
        email__iexact=normalize_email(email),
        locked_at__gt=timezone.now() - timedelta(seconds=constants.LOCKOUT_SECONDS),
    )
    if locked.exists():
        raise AccountLockedError()
    raise AuthenticationError(BAD_CREDENTIALS)


def user_check_credentials(*, email: str, password: str) -> User:
    """Return the user for these credentials, counting failures and locking after too many.

    A locked account is refused even with the right password until the lock lifts or staff
    unlock it. Failed attempts are committed even though the call raises. Called by the
    authentication backend; everyone else calls ``authenticate()`` or user_authenticate.
    """
    user = User.objects.filter(email__iexact=normalize_email(email)).first()
    if user is None:
        make_password(password)  # same cost as a real check: no timing hint about the address
        raise AuthenticationError(BAD_CREDENTIALS)
    error = None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.locked_at is not None and not user.is_locked:
            user.locked_at = None  # the lock period has passed
            user.failed_login_attempts = 0
        if user.is_locked:
            error = AccountLockedError()
        elif not user.check_password(password) or not user.is_active:
            user.failed_login_attempts += 1
            if user.failed_login_attempts >= constants.MAX_LOGIN_ATTEMPTS:
                user.locked_at = timezone.now()
                publish(EventType.USER_LOCKED, {"user": str(user.id)}, user_ids=[user.id])
                error = AccountLockedError()
            else:
                error = AuthenticationError(BAD_CREDENTIALS)
        else:
            user.failed_login_attempts = 0
            user.last_login = timezone.now()
        user.save(update_fields=["failed_login_attempts", "locked_at", "last_login", "updated_at"])
    if error is not None:
        raise error
    return user


@transaction.atomic
def user_unlock(*, user: User, actor: User | None = None) -> User:
    """Lift a lockout and forget the failed attempts."""
    User.objects.filter(pk=user.pk).update(
        locked_at=None, failed_login_attempts=0, updated_at=timezone.now()
    )
    user.refresh_from_db()
    publish(EventType.USER_UNLOCKED, {"user": str(user.id)}, user_ids=[user.id], actor=actor)
    return user


@transaction.atomic
def user_revoke_tokens(*, user: User) -> User:
    """Make every access and refresh token ever issued to ``user`` stop working, and every
    personal access token of theirs.

    Page sessions end with them (the session hash holds the token version), and after commit
    every open socket of the user closes.
    """
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1, updated_at=now)
    PersonalAccessToken.objects.filter(owner=user, revoked_at__isnull=True).update(revoked_at=now)
    recheck_user_sockets_on_commit(user.pk)
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    user.refresh_from_db(fields=["token_version", "updated_at"])
    return user


@transaction.atomic
def user_password_change(*, user: User, old_password: str, new_password: str) -> User:
    """Change the password after checking the old one; every issued token is revoked."""
    if not user.check_password(old_password):
        raise ValidationError(details={"old_password": [str(_("The current password is wrong."))]})
    validate_new_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    return user_revoke_tokens(user=user)


def password_reset_request(*, email: str) -> None:
    """E-mail a reset link when the address has an active account; silent otherwise."""
    user = User.objects.filter(email__iexact=normalize_email(email), is_active=True).first()
    if user is None:
        return
    with transaction.atomic():
        emails.send_account_email(
            user,
            "password_reset",
            url=emails.link(
                "accounts:password-reset-confirm", tokens.make_password_reset_token(user)
            ),
        )


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str) -> User:
    """Set a new password from a reset token; the token then stops working, as do all JWTs."""
    user = tokens.read_password_reset_token(token)
    if user is None:
        raise BadRequestError(
            _("The password reset link is invalid or has expired."), code="invalid_token"
        )
    validate_new_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.locked_at = None
    user.failed_login_attempts = 0
    user.save(update_fields=["password", "locked_at", "failed_login_attempts", "updated_at"])
    return user_revoke_tokens(user=user)


@transaction.atomic
def user_update_profile(*, user: User, **fields) -> User:
    """Change the user's own profile fields (names, language, time zone, avatar colour,
    preferences)."""
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ValidationError(
            details={name: [str(_("This field cannot be changed."))] for name in unknown}
        )
    if "preferences" in fields:
        validate_preferences(fields["preferences"])
    for name, value in fields.items():
        setattr(user, name, value)
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except DjangoValidationError as exc:
        raise ValidationError(details=exc.message_dict) from exc
    user.save(update_fields=[*fields, "updated_at"])
    return user


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    role: str = Role.USER,
    language: str = Language.EN,
    email_verified: bool = False,
) -> User:
    """Create an account on behalf of staff or an operator; a taken address is a conflict."""
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ConflictError(_("A user with this e-mail address already exists."))
    user = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        language=language,
        email_verified=email_verified,
    )
    if password:
        validate_new_password(password, user)
    user.set_password(password)  # None sets an unusable password
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except DjangoValidationError as exc:
        raise ValidationError(details=exc.message_dict) from exc
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:
        raise ConflictError(_("A user with this e-mail address already exists.")) from exc
    hooks.user_created(user)
    return user


@transaction.atomic
def user_update_by_staff(*, user: User, actor: User, **fields) -> User:
    """Change a user's role, active flag or profile as staff; deactivation revokes tokens."""
    allowed = PROFILE_FIELDS | {"role", "is_active", "email_verified"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(
            details={name: [str(_("This field cannot be changed."))] for name in unknown}
        )
    if user.pk == actor.pk and (
        fields.get("role", user.role) != user.role or fields.get("is_active") is False
    ):
        raise BadRequestError(_("You cannot change your own role or deactivate yourself."))
    for name, value in fields.items():
        setattr(user, name, value)
    try:
        user.full_clean(exclude=["password"], validate_unique=False)
    except DjangoValidationError as exc:
        raise ValidationError(details=exc.message_dict) from exc
    user.save(update_fields=[*fields, "updated_at"])
    if fields.get("is_active") is False:
        user_revoke_tokens(user=user)
    return user


# --- Account settings -------------------------------------------------------------------------


@transaction.atomic
def user_notification_preferences_set(*, user: User, deliveries: dict[str, str]) -> User:
    """Store how each notification kind in ``deliveries`` reaches ``user``; other kinds and
    other preferences stay as they are."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    preferences = locked.preferences if isinstance(locked.preferences, dict) else {}
    current = preferences.get(PREFERENCES_KEY)
    chosen = {**(current if isinstance(current, dict) else {}), **deliveries}
    preferences = {**preferences, PREFERENCES_KEY: chosen}
    validate_preferences(preferences)
    user.preferences = preferences
    user.save(update_fields=["preferences", "updated_at"])
    return user


@transaction.atomic
def user_avatar_set(*, user: User, image: UploadedFile) -> User:
    """Make a checked, re-encoded copy of ``image`` the user's avatar; the old one goes."""
    content = ContentFile(avatars.avatar_png(image))
    previous = user.avatar.name
    # A random name: the address of the image tells nothing and changes with every upload.
    user.avatar.save(f"{secrets.token_hex(16)}.png", content, save=False)
    storage, saved = user.avatar.storage, user.avatar.name
    try:
        user.save(update_fields=["avatar", "updated_at"])
    except DatabaseError:
        storage.delete(saved)  # no row points at it: do not leave it behind
        raise
    if previous:
        transaction.on_commit(lambda: storage.delete(previous))
    return user


@transaction.atomic
def user_avatar_remove(*, user: User) -> User:
    """Go back to initials: the uploaded avatar image is deleted."""
    previous = user.avatar.name
    if not previous:
        return user
    storage = user.avatar.storage
    user.avatar = ""
    user.save(update_fields=["avatar", "updated_at"])
    transaction.on_commit(lambda: storage.delete(previous))
    return user


@transaction.atomic
def user_email_change_request(*, user: User, new_email: str, password: str) -> None:
    """Mail a link to ``new_email`` that moves the account there, and a notice to the old one.

    Nothing changes until the link is followed. When another account has the address, its
    owner is told instead and no link is sent, while the caller sees the same answer: this
    tells no more about which addresses have accounts than registration does.
    """
    if not user.check_password(password):
        raise ValidationError(details={"password": [str(_("The current password is wrong."))]})
    new_email = normalize_email(new_email)
    try:
        validate_email(new_email)
    except DjangoValidationError as exc:
        raise ValidationError(details={"new_email": list(exc.messages)}) from exc
    if new_email == user.email.lower():
        raise ValidationError(details={"new_email": [str(_("This is already your address."))]})
    User.objects.select_for_update().filter(pk=user.pk).first()
    user.email_change_nonce = secrets.token_hex(16)  # earlier links stop working
    user.save(update_fields=["email_change_nonce", "updated_at"])
    owner = User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).first()
    if owner is None:
        emails.send_account_email(
            user,
            "email_change_confirm",
            url=emails.link(
                "accounts:settings-email-confirm", tokens.make_email_change_token(user, new_email)
            ),
            to=new_email,
            new_email=new_email,
        )
    else:
        emails.send_account_email(
            owner, "email_change_taken", url=emails.link("accounts:password-reset")
        )
    emails.send_account_email(
        user, "email_change_notice", url=emails.link("accounts:settings"), new_email=new_email
    )


EMAIL_CHANGE_LINK_INVALID = _("The link to change your address is invalid, expired or used.")


@transaction.atomic
def user_email_change_confirm(*, token: str) -> User:
    """Move the account to the address in ``token``; the link then stops working."""
    data = tokens.read_email_change_token(token)
    user = None
    if data is not None:
        user = User.objects.select_for_update().filter(pk=data["u"], is_active=True).first()
    if user is None or not user.email_change_nonce or user.email_change_nonce != data["n"]:
        raise BadRequestError(EMAIL_CHANGE_LINK_INVALID, code="invalid_token")
    new_email = normalize_email(data["e"])
    if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
        raise ConflictError(_("Another account uses this address now."))
    user.email = new_email
    user.email_verified = True
    user.email_change_nonce = ""
    try:
        with transaction.atomic():
            user.save(update_fields=["email", "email_verified", "email_change_nonce", "updated_at"])
    except IntegrityError as exc:
        raise ConflictError(_("Another account uses this address now.")) from exc
    return user


# --- Personal access tokens -------------------------------------------------------------------

# Like GitHub's fine-grained tokens: every token expires, at most about a year after it is made.
PERSONAL_TOKEN_MAX_LIFETIME = timedelta(days=366)
PERSONAL_TOKEN_MIN_LIFETIME = timedelta(hours=1)
PERSONAL_TOKEN_NAME_TAKEN = _("You already have a token with this name.")
# Prefixes are random (36^8); a clash is rare, two in a row practically never happen.
PERSONAL_TOKEN_PREFIX_ATTEMPTS = 3
PERSONAL_TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedPersonalToken:
    """A token just made, with the only copy of its secret (show it once, keep it nowhere)."""

    token: PersonalAccessToken
    secret: str


def personal_token_clean_name(name: str) -> str:
    name = (name or "").strip()
    max_length = PersonalAccessToken._meta.get_field("name").max_length
    if not name:
        raise ValidationError(details={"name": [str(_("Give the token a name."))]})
    if len(name) > max_length:
        message = _("Use at most %(count)d characters.") % {"count": max_length}
        raise ValidationError(details={"name": [str(message)]})
    return name


def personal_token_name_taken(*, owner: User, name: str, exclude_pk=None) -> bool:
    others = PersonalAccessToken.objects.filter(owner=owner, name=name, revoked_at__isnull=True)
    return others.exclude(pk=exclude_pk).exists()


def personal_token_validate(*, scopes: list[str], expires_at: datetime, now: datetime) -> None:
    problems: dict[str, list[str]] = {}
    unknown = unknown_scopes(scopes)
    if unknown:
        message = _("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}
        problems["scopes"] = [str(message)]
    elif not scopes:
        problems["scopes"] = [str(_("Choose at least one scope."))]
    if timezone.is_naive(expires_at):
        problems["expires_at"] = [str(_("Give the expiry with a time zone."))]
    elif expires_at < now + PERSONAL_TOKEN_MIN_LIFETIME:
        problems["expires_at"] = [str(_("The expiry must be at least an hour from now."))]
    elif expires_at > now + PERSONAL_TOKEN_MAX_LIFETIME:
        message = _("The expiry must be at most %(days)d days from now.") % {
            "days": PERSONAL_TOKEN_MAX_LIFETIME.days
        }
        problems["expires_at"] = [str(message)]
    if problems:
        raise ValidationError(details=problems)


@transaction.atomic
def personal_token_create(
    *, owner: User, name: str, scopes: list[str], expires_at: datetime
) -> CreatedPersonalToken:
    """Make a personal access token for ``owner``; only its hash and prefix are stored."""
    now = timezone.now()
    name = personal_token_clean_name(name)
    personal_token_validate(scopes=scopes, expires_at=expires_at, now=now)
    if personal_token_name_taken(owner=owner, name=name):
        raise ValidationError(details={"name": [str(PERSONAL_TOKEN_NAME_TAKEN)]})
    for attempt in range(PERSONAL_TOKEN_PREFIX_ATTEMPTS):
        secret, prefix = tokens.make_personal_token()
        token = PersonalAccessToken(
            owner=owner,
            name=name,
            prefix=prefix,
            secret_hash=tokens.personal_token_hash(secret),
            scopes=normalized_scopes(scopes),
            expires_at=expires_at,
            created_at=now,
        )
        try:
            with transaction.atomic():
                token.save(force_insert=True)
        except IntegrityError as exc:
            if personal_token_name_taken(owner=owner, name=name):  # a concurrent twin
                raise ValidationError(details={"name": [str(PERSONAL_TOKEN_NAME_TAKEN)]}) from exc
            if attempt + 1 == PERSONAL_TOKEN_PREFIX_ATTEMPTS:
                raise ConflictError() from exc
            continue
        return CreatedPersonalToken(token=token, secret=secret)
    raise ConflictError()  # not reached: the loop returns or raises


@transaction.atomic
def personal_token_rename(*, token: PersonalAccessToken, name: str) -> PersonalAccessToken:
    name = personal_token_clean_name(name)
    if personal_token_name_taken(owner=token.owner, name=name, exclude_pk=token.pk):
        raise ValidationError(details={"name": [str(PERSONAL_TOKEN_NAME_TAKEN)]})
    token.name = name
    try:
        with transaction.atomic():
            token.save(update_fields=["name"])
    except IntegrityError as exc:
        raise ValidationError(details={"name": [str(PERSONAL_TOKEN_NAME_TAKEN)]}) from exc
    return token


@transaction.atomic
def personal_token_revoke(*, token: PersonalAccessToken) -> PersonalAccessToken:
    """Make ``token`` stop working for good; revoking a revoked token changes nothing."""
    now = timezone.now()
    PersonalAccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def personal_token_touch(*, token: PersonalAccessToken) -> None:
    """Record that ``token`` is used now, at most once a PERSONAL_TOKEN_LAST_USED_RESOLUTION.

    One conditional UPDATE, so concurrent calls write once; a token used all day costs one
    write a minute, not one per call.
    """
    now = timezone.now()
    cutoff = now - PERSONAL_TOKEN_LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return
    PersonalAccessToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=cutoff).update(
        last_used_at=now
    )
    token.last_used_at = now
