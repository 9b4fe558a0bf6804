"""API authentication: JWTs that honour revocation by token version, personal access tokens,
and the user's language for both."""

import hmac

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError as JWTExpiredTokenError
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services, tokens
from accounts.models import PersonalAccessToken
from nexus_site.context import current_language
from nexus_site.definitions.constants import TOKEN_VERSION_CLAIM
from nexus_site.exceptions import ExpiredTokenError, InvalidTokenError, RevokedTokenError
from nexus_site.middleware import activate_user_language


class VersionedRefreshToken(RefreshToken):
    """A refresh token carrying the user's token version; its access tokens inherit it."""

    @classmethod
    def for_user(cls, user):
        token = super().for_user(user)
        token[TOKEN_VERSION_CLAIM] = user.token_version
        return token


def token_version_matches(user, token) -> bool:
    return token.get(TOKEN_VERSION_CLAIM) == user.token_version


class AccessTokenExpired(InvalidToken):
    """An access token past its lifetime: the client should refresh, not sign in again."""

    default_detail = ExpiredTokenError.default_message
    default_code = ExpiredTokenError.code


def token_has_expired(raw_token: bytes) -> bool:
    """Return True when ``raw_token`` is a well-signed token of an accepted type, expired."""
    for token_class in api_settings.AUTH_TOKEN_CLASSES:
        try:
            token_class(raw_token)
        except JWTExpiredTokenError:  # raised only after the signature checked out
            return True
        except TokenError:
            continue
    return False


class VersionedJWTAuthentication(JWTAuthentication):
    """Reject tokens issued before the user's last logout-all or password change.

    An expired token answers ``token_expired`` (as the refresh endpoint does), any other bad
    token ``invalid_token``.
    """

    def get_validated_token(self, raw_token: bytes):
        try:
            return super().get_validated_token(raw_token)
        except InvalidToken:
            if token_has_expired(raw_token):  # only on the failure path: no cost otherwise
                raise AccessTokenExpired() from None
            raise

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if not token_version_matches(user, validated_token):
            # InvalidToken, like every other rejected token: its default code is what the API
            # handler reads (a ``code=`` argument only lands in the detail dict).
            raise InvalidToken(_("The token has been revoked."))
        return user

    def authenticate(self, request):
        result = super().authenticate(request)
        # DRF authenticates inside the view, after the middleware chose a language.
        if result is not None and activate_user_language(request, result[0]):
            current_language.set(translation.get_language())
        return result


# Longer than any token Nexus makes; a longer header is refused before it is parsed.
PERSONAL_TOKEN_MAX_LENGTH = 128


class PersonalTokenFailed(AuthenticationFailed):
    """A personal access token that does not hold: 401 with the API's token error codes."""

    default_code = "token_not_valid"  # rendered as invalid_token, as a bad JWT is


def personal_token_from_header(request) -> str | None:
    """Return the Bearer credential of the request if it is meant as a personal token."""
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != b"bearer":
        return None
    raw = parts[1].decode("latin-1")
    return raw if tokens.looks_like_personal_token(raw) else None


def personal_token_check(raw: str) -> PersonalAccessToken:
    """Return the live token ``raw`` stands for, with its owner; PersonalTokenFailed if none."""
    prefix = tokens.personal_token_prefix(raw) if len(raw) <= PERSONAL_TOKEN_MAX_LENGTH else None
    token = (
        PersonalAccessToken.objects.select_related("owner").filter(prefix=prefix).first()
        if prefix
        else None
    )
    if token is None or not hmac.compare_digest(token.secret_hash, tokens.personal_token_hash(raw)):
        raise PersonalTokenFailed(InvalidTokenError.default_message)
    if token.is_revoked:
        raise PersonalTokenFailed(RevokedTokenError.default_message)
    if token.is_expired():
        raise PersonalTokenFailed(ExpiredTokenError.default_message, code=ExpiredTokenError.code)
    if not token.owner.is_active:
        raise PersonalTokenFailed(InvalidTokenError.default_message, code="user_inactive")
    return token


class PersonalTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer nxp_...``: a personal access token; any other Bearer is left to
    the JWT authentication that follows. ``request.auth`` is the token, whose scopes
    accounts.permissions.TokenScopePermission enforces."""

    keyword = "Bearer"

    def authenticate(self, request):
        raw = personal_token_from_header(request)
        if raw is None:
            return None
        token = personal_token_check(raw)
        services.personal_token_touch(token=token)
        user = token.owner
        if activate_user_language(request, user):
            current_language.set(translation.get_language())
        return user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
