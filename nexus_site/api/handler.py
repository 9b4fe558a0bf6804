"""Render every API error, ours, DRF's and Django's, in the one envelope of API.md.

``{"error": {"code": "...", "message": "<translated>", "details": {...}}}``
"""

import logging
from typing import Any

from django.core import exceptions as django_exceptions
from django.db import IntegrityError
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from nexus_site import exceptions as app
from nexus_site.api.envelope import envelope
from nexus_site.outages import outage_error

logger = logging.getLogger(__name__)

# DRF's own exceptions whose status and code we keep, with our code names.
DRF_CODES: dict[type[drf.APIException], str] = {
    drf.ParseError: "bad_request",
    drf.NotAuthenticated: "authentication",
    drf.PermissionDenied: "authorization",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "rate_limited",
}


def drf_details(detail: Any) -> dict:
    """Return DRF error detail as a dict of field -> list of messages."""
    if isinstance(detail, dict):
        return {key: drf_details_value(value) for key, value in detail.items()}
    return {"non_field_errors": drf_details_value(detail)}


def drf_details_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: drf_details_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [drf_details_value(item) for item in value]
    return force_str(value)


def to_app_exception(exc: Exception) -> app.BaseAppException | None:
    """Translate Django's and DRF's exceptions into ours; None for unknown exceptions."""
    if isinstance(exc, app.BaseAppException):
        return exc
    if isinstance(exc, Http404):
        return app.NotFoundError()
    if isinstance(exc, django_exceptions.PermissionDenied):
        return app.AuthorizationError()
    if isinstance(exc, django_exceptions.ValidationError):
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return app.ValidationError(details=details)
    if isinstance(exc, drf.ValidationError):
        return app.ValidationError(details=drf_details(exc.detail))
    if isinstance(exc, drf.AuthenticationFailed):
        code = "authentication"
        detail_code = exc.get_codes()
        if isinstance(detail_code, dict):
            detail_code = detail_code.get("code")
        if detail_code in {"token_not_valid", "user_inactive", "user_not_found"}:
            code = "invalid_token"
        elif detail_code == app.ExpiredTokenError.code:  # an expired access token
            code = app.ExpiredTokenError.code
        error = app.AuthenticationError(_detail_message(exc.detail), code=code)
        return error
    outage = outage_error(exc)
    if outage is not None:
        return outage
    if isinstance(exc, drf.APIException):
        code = next((name for cls, name in DRF_CODES.items() if isinstance(exc, cls)), None)
        error = app.BaseAppException(_detail_message(exc.detail), code=code or exc.default_code)
        error.status = exc.status_code
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            error.details = {"retry_after_seconds": int(exc.wait + 0.999)}
        return error
    if isinstance(exc, IntegrityError):
        logger.warning("Integrity error reached the API handler: %s", exc)
        return app.ConflictError(_("The data conflicts with existing records."))
    return None


def _detail_message(detail: Any) -> Any:
    if isinstance(detail, dict) and "detail" in detail:
        return detail["detail"]
    if isinstance(detail, list | tuple) and detail:
        return detail[0]
    return detail


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF exception handler: every known error becomes the envelope; unknown ones propagate."""
    error = to_app_exception(exc)
    if error is None:
        return None
    headers = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(int(wait + 0.999))
    if isinstance(error, app.ServiceUnavailableError) and "retry_after_seconds" in error.details:
        headers["Retry-After"] = str(error.details["retry_after_seconds"])  # an outage
    set_rollback()
    status = error.status
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed) and not auth_header:
        status = 403  # DRF's rule: no WWW-Authenticate scheme means 403
    return Response(
        envelope(error.code, error.message, error.details), status=status, headers=headers
    )
