"""OpenAPI pieces every app's API shares: the error envelope and the JWT security scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiResponse
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
