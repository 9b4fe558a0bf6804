"""OpenAPI pieces every app's API shares: the error envelope, the JWT security scheme, the error
answers every operation may give (a postprocessing hook) and the Swagger UI view."""

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers


class VersionedJWTScheme(SimpleJWTScheme):
    """Describe our JWT authentication in the schema as the Bearer scheme it is.

    Registered when this module is imported, from NexusSiteConfig.ready().
    """

    target_class = "accounts.authentication.VersionedJWTAuthentication"


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    message = serializers.CharField(help_text="Human-readable message in the caller's language.")
    details = serializers.DictField(
        help_text="Field name -> list of messages for validation errors; else extra facts.",
    )


class ErrorEnvelopeSerializer(serializers.Serializer):
    """The error envelope every API error is rendered in (documentation only)."""

    error = ErrorBodySerializer()


def error_response_schema(description: str) -> OpenApiResponse:
    """Return an OpenAPI response that documents an error envelope."""
    return OpenApiResponse(ErrorEnvelopeSerializer, description=description)


class SwaggerDocsView(SpectacularSwaggerSplitView):
    """Swagger UI; OPTIONS answers with the allowed methods only.

    The split view serves its start-up script from ``?script`` instead of inline, so Swagger UI
    runs under the Content-Security-Policy without 'unsafe-inline' for scripts.

    The view renders HTML from a template, which has nothing to render DRF's OPTIONS
    metadata with.
    """

    def options(self, request, *args, **kwargs) -> HttpResponse:
        response = HttpResponse()
        response["Allow"] = ", ".join(self.allowed_methods)
        return response


# --- error answers every operation may give ---------------------------------------------------

UNSAFE_METHODS = frozenset({"post", "put", "patch", "delete"})
ERROR_DESCRIPTIONS = {
    "400": _("Malformed request: an unknown X-Source header, malformed JSON, or a business rule."),
    "401": _("Not signed in, or the token is invalid, expired or revoked."),
    "403": _("Signed in, but not allowed to do this (or the CSRF check of a session failed)."),
    "404": _("No such object, or not visible to the caller."),
    "409": _("Conflicts with the current state or with a concurrent change."),
    "415": _("The body's media type is missing or not one the endpoint reads."),
    "422": _("Invalid data or query parameters; field messages in details."),
    "429": _("Too many requests; details.retry_after_seconds says when to try again."),
    "503": _("A backing service (cache or broker) is unavailable; try again later."),
}


def error_codes_of(path: str, method: str, operation: dict, view_class: type | None) -> set[str]:
    """Return the error statuses the operation may answer, from what it takes and who may call."""
    codes = {"400"}  # the X-Source header is checked on every request
    signed_in = {} not in (operation.get("security") or [{}])
    if signed_in:
        codes.add("401")
    if method in UNSAFE_METHODS:
        codes |= {"403", "409"}
    if "{" in path:
        codes.add("404")
    takes_query = any(
        parameter.get("in") == "query" for parameter in operation.get("parameters", [])
    )
    if "requestBody" in operation or takes_query:
        codes.add("422")
    if "requestBody" in operation:
        codes.add("415")  # DRF refuses a body whose Content-Type no parser reads, or none
    if getattr(view_class, "throttle_classes", None):
        codes |= {"429", "503"}
    return codes


def declare_error_responses(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: declare the error envelope for every error an operation may give.

    Operations that describe an error answer themselves keep their description.
    """
    views = {
        (path, method.lower()): getattr(callback, "cls", None)
        for path, _regex, method, callback in generator.endpoints or []
    }
    envelope = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in sorted(error_codes_of(path, method, operation, views.get((path, method)))):
                responses.setdefault(
                    code, {"description": str(ERROR_DESCRIPTIONS[code]), "content": envelope}
                )
    return result


# The answers of an endpoint that streams a stored file (workspace.files.responses).
FILE_DOWNLOAD_RESPONSES = {
    (200, "*/*"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description=_(
            "The file's bytes as an attachment, with the Content-Type detected when it was "
            "uploaded (any type), its size and an ETag."
        ),
    ),
    304: OpenApiResponse(
        description=_("If-None-Match holds the file's ETag: nothing is sent or counted."),
    ),
    410: error_response_schema(_("The stored content of this file is missing.")),
}
