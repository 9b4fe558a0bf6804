"""JWT authentication that honours revocation by token version and the user's language."""

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError as JWTExpiredTokenError
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from nexus_site.context import current_language
from nexus_site.definitions.constants import TOKEN_VERSION_CLAIM
from nexus_site.exceptions import ExpiredTokenError
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
