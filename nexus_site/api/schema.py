"""OpenAPI pieces every app's API shares: the error envelope and the JWT security scheme."""

from django.http import HttpResponse
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.views import SpectacularSwaggerView
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


class SwaggerDocsView(SpectacularSwaggerView):
    """Swagger UI; OPTIONS answers with the allowed methods only.

    The view renders HTML from a template, which has nothing to render DRF's OPTIONS
    metadata with.
    """

    def options(self, request, *args, **kwargs) -> HttpResponse:
        response = HttpResponse()
        response["Allow"] = ", ".join(self.allowed_methods)
        return response
