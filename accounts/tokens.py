"""Signed, expiring tokens for e-mail verification, password reset and address change, and the
format of personal access tokens."""

import hashlib
import re
import secrets
import string

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


# A personal access token reads ``nxp_<8 public characters>_<40 secret characters>``. The
# public part (with ``nxp_``) is stored as the prefix, to find the row and to show the owner
# which token is which; the whole token is stored only as a SHA-256 hash. A plain hash is right
# here (no salt or slow hash): the secret is 240 random bits, not a password someone chose.
PERSONAL_TOKEN_MARK = "nxp_"
PERSONAL_TOKEN_PUBLIC_ALPHABET = string.ascii_lowercase + string.digits
PERSONAL_TOKEN_PUBLIC_LENGTH = 8
PERSONAL_TOKEN_SECRET_BYTES = 30  # 40 characters of URL-safe base64
PERSONAL_TOKEN_FORMAT = re.compile(r"nxp_([a-z0-9]{8})_[A-Za-z0-9_-]{40}")


def make_personal_token() -> tuple[str, str]:
    """Return a new personal access token and its prefix (the part that may be shown)."""
    public = "".join(
        secrets.choice(PERSONAL_TOKEN_PUBLIC_ALPHABET) for _ in range(PERSONAL_TOKEN_PUBLIC_LENGTH)
    )
    prefix = f"{PERSONAL_TOKEN_MARK}{public}"
    return f"{prefix}_{secrets.token_urlsafe(PERSONAL_TOKEN_SECRET_BYTES)}", prefix


def personal_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_personal_token(token: str) -> bool:
    """Return whether ``token`` is meant as a personal access token (JWTs never start so)."""
    return token.startswith(PERSONAL_TOKEN_MARK)


def personal_token_prefix(token: str) -> str | None:
    """Return the prefix of a well-formed personal access token, else None."""
    match = PERSONAL_TOKEN_FORMAT.fullmatch(token)
    return f"{PERSONAL_TOKEN_MARK}{match.group(1)}" if match else None
