"""The scope check of personal access tokens, applied to every API view (REST_FRAMEWORK's
DEFAULT_PERMISSION_CLASSES, and the accounts views that set their own permission classes)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.models import PersonalAccessToken
from accounts.token_scopes import endpoint_app, required_scope, scopes_allow
from nexus_site.exceptions import AuthorizationError

TOKEN_REFUSED = _(
    "A personal access token cannot be used here; sign in with your password instead."
)
SCOPE_MISSING = _("This personal access token does not have the scope %(scope)s.")


class TokenScopePermission(BasePermission):
    """Let a request made with a personal access token through only within the token's scopes.

    A no-op for every other way in (JWT, session). Refuses with 403 ``personal_token_refused``
    where no personal token may act, and ``insufficient_scope`` (naming the scope needed)
    where the token lacks the app's read or write scope.
    """

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, PersonalAccessToken):
            return True
        app = endpoint_app(view, request)
        if app is None:
            raise AuthorizationError(TOKEN_REFUSED, code="personal_token_refused")
        scope = required_scope(app, request.method)
        if not scopes_allow(token.scopes, scope):
            raise AuthorizationError(
                SCOPE_MISSING % {"scope": scope},
                code="insufficient_scope",
                details={"required_scope": scope, "token_scopes": list(token.scopes)},
            )
        return True
