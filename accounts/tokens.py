"""Signed, expiring tokens for e-mail verification and password reset."""

from django.contrib.auth.tokens import default_token_generator
from django.core import signing

from accounts.models import User
from nexus_site.definitions import constants

VERIFY_SALT = "accounts.verify-email"
RESET_SALT = "accounts.password-reset"


def make_verification_token(user: User) -> str:
    return signing.dumps({"u": str(user.id), "e": user.email}, salt=VERIFY_SALT, compress=True)


def read_verification_token(token: str) -> User | None:
    """Return the user the token verifies, or None when it is bad, expired or outdated."""
    try:
        data = signing.loads(
            token, salt=VERIFY_SALT, max_age=constants.EMAIL_VERIFICATION_TOKEN_SECONDS
        )
    except (signing.BadSignature, TypeError, ValueError):
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.email != data.get("e"):
        return None
    return user


def make_password_reset_token(user: User) -> str:
    # Django's token generator hashes the password and last login, so a token dies once used.
    payload = {"u": str(user.id), "t": default_token_generator.make_token(user)}
    return signing.dumps(payload, salt=RESET_SALT, compress=True)


def read_password_reset_token(token: str) -> User | None:
    try:
        data = signing.loads(token, salt=RESET_SALT, max_age=constants.PASSWORD_RESET_TOKEN_SECONDS)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    try:
        user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    except (ValueError, signing.BadSignature):
        return None
    if user is None or not default_token_generator.check_token(user, data.get("t", "")):
        return None
    return user
