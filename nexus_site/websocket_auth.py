"""WebSocket authentication: an access token in ``?token=``, else the session cookie.

A token is checked by the API's own JWT authentication class, found in REST_FRAMEWORK
settings so the core does not import the accounts app: signature, expiry, token type, active
user and, with accounts' VersionedJWTAuthentication, the token version. A socket that
presents a token is judged by it alone: a bad, expired or revoked token leaves it anonymous
even if a session cookie came along.
"""

from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings
from rest_framework_simplejwt.authentication import JWTAuthentication

TOKEN_PARAM = "token"


def token_from_scope(scope: dict) -> str | None:
    """Return the ``?token=`` query parameter of a connection, if any."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get(TOKEN_PARAM)
    return values[-1] if values else None


def jwt_authentication() -> JWTAuthentication:
    """Return the API's configured JWT authentication."""
    for authentication_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if issubclass(authentication_class, JWTAuthentication):
            return authentication_class()
    raise ImproperlyConfigured("REST_FRAMEWORK has no JWT authentication class.")


@database_sync_to_async
def user_for_token(raw_token: str) -> Any:
    """Return the user an access token stands for, or AnonymousUser when it does not hold."""
    authentication = jwt_authentication()
    try:
        validated = authentication.get_validated_token(raw_token.encode())
        return authentication.get_user(validated)
    except AuthenticationFailed:  # simplejwt's InvalidToken is one
        return AnonymousUser()


class TokenAuthMiddleware(BaseMiddleware):
    """Replace the session user with the token's user when the URL carries ``?token=``."""

    async def __call__(self, scope: dict, receive, send):
        raw_token = token_from_scope(scope)
        if raw_token is not None:
            scope = dict(scope, user=await user_for_token(raw_token))
        return await super().__call__(scope, receive, send)


def TokenOrSessionAuthMiddleware(inner):
    """Wrap ``inner`` so ``scope["user"]`` comes from ``?token=`` or else the session."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
