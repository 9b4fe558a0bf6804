"""WebSocket authentication: an access token in ``?token=``, else the session cookie.

A token is checked by the API's own JWT authentication class, found in REST_FRAMEWORK
settings so the core does not import the accounts app: signature, expiry, token type, active
user and, with accounts' VersionedJWTAuthentication, the token version. A socket that
presents a token is judged by it alone: a bad, expired or revoked token leaves it anonymous
even if a session cookie came along.

Sockets follow revocation. Each authenticated socket joins its user's group
(``user_sockets_group``); whoever revokes a user's credentials (logout-all, a new password,
deactivation) calls ``recheck_user_sockets_on_commit`` and every socket of that user, in
whichever process, re-reads the user and closes with 4401 when they no longer hold. A socket
also re-reads its user before every frame it accepts from the client (``current_user``), so
a lost group message never lets a revoked user write.
"""

import logging
from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.crypto import constant_time_compare
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.settings import api_settings
from rest_framework_simplejwt.authentication import JWTAuthentication

from nexus_site.events.services import run_async

logger = logging.getLogger(__name__)

TOKEN_PARAM = "token"
# The close code of a socket whose user's credentials were revoked (as for an anonymous one).
CLOSE_REVOKED = 4401
RECHECK_MESSAGE = "user.recheck"


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


def user_sockets_group(user_id) -> str:
    """Return the channel-layer group every socket of ``user_id`` joins."""
    return f"user.{user_id}.sockets"


def recheck_user_sockets_on_commit(user_id) -> None:
    """After commit, make every open socket of ``user_id`` check the user's credentials again.

    Outside a transaction the message goes at once. A failure to send is logged, never raised:
    the sockets still re-read the user before each frame they accept.
    """
    group = user_sockets_group(user_id)

    def send() -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            return
        try:
            run_async(layer.group_send(group, {"type": RECHECK_MESSAGE}))
        except Exception:  # a broadcast failure must never undo a committed revocation
            logger.exception("Could not tell the sockets of %s to check again", group)

    transaction.on_commit(send, robust=True)


def credentials_fingerprint(user: Any) -> str:
    """Return what must stay the same for a signed-in socket to stay signed in.

    The session hash: accounts mixes the token version into it, so logout-all and a new
    password change it, as they end page sessions.
    """
    return user.get_session_auth_hash()


@database_sync_to_async
def current_user(user: Any) -> Any | None:
    """Return ``user`` read again, or None when the account is gone, inactive or revoked."""
    fresh = get_user_model()._default_manager.filter(pk=user.pk, is_active=True).first()
    if fresh is None or not constant_time_compare(
        credentials_fingerprint(fresh), credentials_fingerprint(user)
    ):
        return None
    return fresh


class RevocableSocketMixin:
    """For a consumer with a signed-in ``self.user``: follow the revocation of its credentials.

    Call ``follow_revocation()`` once the socket is accepted and signed in; call
    ``signed_in_user()`` before acting on a client frame.
    """

    async def follow_revocation(self) -> None:
        self.user_group = user_sockets_group(self.user.pk)
        await self.channel_layer.group_add(self.user_group, self.channel_name)

    async def stop_following_revocation(self) -> None:
        group = getattr(self, "user_group", None)
        if group is not None:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.user_group = None

    async def signed_in_user(self) -> Any | None:
        """Return the socket's user read again, or close the socket (4401) and return None."""
        fresh = await current_user(self.user)
        if fresh is None:
            await self.close_revoked()
            return None
        self.user = fresh
        return fresh

    async def close_revoked(self) -> None:
        """Leave every group and close with CLOSE_REVOKED (consumers extend the leaving)."""
        await self.stop_following_revocation()
        await self.close(code=CLOSE_REVOKED)

    async def user_recheck(self, message: dict) -> None:
        """The user's credentials may have been revoked: close when they no longer hold."""
        await self.signed_in_user()
