"""How the OpenAPI schema describes personal access tokens (registered by AccountsConfig)."""

import re

from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts.token_scopes import API_NAMESPACE_APPS, UNPLACED

PATH_PARAMETER = re.compile(r"\{[^}]+\}")
# Matches both a UUID and a slug converter.
PARAMETER_STAND_IN = "00000000-0000-0000-0000-000000000000"


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """The Bearer scheme of ``nxp_`` tokens, offered only on operations they may call."""

    target_class = "accounts.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": str(
                _(
                    "A personal access token (nxp_...), made under /api/v1/auth/tokens/. It "
                    "reaches an app's endpoints with the app's read scope (GET) or write "
                    "scope (other methods); elsewhere it answers 403 insufficient_scope."
                )
            ),
        }

    def get_security_requirement(self, auto_schema):
        view = auto_schema.view
        declared = getattr(view, "personal_token_scope", UNPLACED)
        if declared is None:
            return None
        if declared is UNPLACED and not self.placed_by_namespace(auto_schema):
            return None
        return {self.name: []}

    @staticmethod
    def placed_by_namespace(auto_schema) -> bool:
        """Return whether the operation's URL namespace is one personal tokens may reach."""
        # Schema generation has no resolved request: resolve the path, its parameters filled.
        path = PATH_PARAMETER.sub(PARAMETER_STAND_IN, auto_schema.path)
        try:
            namespace = resolve(path).namespace
        except Resolver404:
            return True  # cannot tell: offer it rather than hide a way in
        return namespace in API_NAMESPACE_APPS
