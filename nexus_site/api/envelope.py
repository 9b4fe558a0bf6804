"""The error envelope of API.md, usable without importing DRF."""

from typing import Any

from django.http import JsonResponse
from django.utils.encoding import force_str

from nexus_site.exceptions import BaseAppException


def envelope(code: str, message: Any, details: Any = None) -> dict:
    """Return ``{"error": {"code", "message", "details"}}`` with the message as text."""
    return {"error": {"code": code, "message": force_str(message), "details": details or {}}}


def error_response(exc: BaseAppException) -> JsonResponse:
    """Return a plain Django JSON response for an app error (middleware, Django views)."""
    return JsonResponse(envelope(exc.code, exc.message, exc.details), status=exc.status)
