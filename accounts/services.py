"""Every write on accounts: registration, verification, login with lockout, passwords, tokens.

Each function is one transaction, takes keyword arguments and raises only BaseAppException
subclasses. E-mails and events go out after commit.
"""

from datetime import timedelta

from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import emails, hooks, tokens
from accounts.models import User
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
PROFILE_FIELDS = frozenset({"first_name", "last_name", "language", "preferences"})


def normalize_email(email: str) -> str:
    return User.objects.normalize_email((email or "").strip()).lower()


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
    """Make every access and refresh token ever issued to ``user`` stop working.

    Page sessions end with them (the session hash holds the token version), and after commit
    every open socket of the user closes.
    """
    User.objects.filter(pk=user.pk).update(
        token_version=F("token_version") + 1, updated_at=timezone.now()
    )
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
    """Change the user's own profile fields (names, language, preferences)."""
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ValidationError(
            details={name: [str(_("This field cannot be changed."))] for name in unknown}
        )
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
