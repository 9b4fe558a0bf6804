"""Signed, expiring tokens for e-mail verification, password reset and address change."""

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


EMAIL_CHANGE_SALT = "accounts.email-change"
# How long a link to confirm a new e-mail address works (read when a link is checked).
EMAIL_CHANGE_TOKEN_SECONDS = 24 * 60 * 60


def make_email_change_token(user: User, new_email: str) -> str:
    """Sign the move of ``user`` to ``new_email``; only the user's current nonce makes it work."""
    payload = {"u": str(user.id), "e": new_email, "n": user.email_change_nonce}
    return signing.dumps(payload, salt=EMAIL_CHANGE_SALT, compress=True)


def read_email_change_token(token: str) -> dict | None:
    """Return the payload of a well-signed, unexpired address change token, else None.

    The caller still compares its nonce ``n`` with the user's (under a row lock): that is
    what makes a link work once, and only the newest link of a user work at all.
    """
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_TOKEN_SECONDS)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(key), str) for key in "uen"):
        return None
    return data
