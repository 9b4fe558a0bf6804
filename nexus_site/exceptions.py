"""The one error hierarchy. Services raise these; the API handler renders them.

Each class carries a stable machine-readable ``code``, the HTTP ``status`` it maps to and a
lazily translated default message, so the same error reads in the caller's language.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _


class BaseAppException(Exception):
    code = "error"
    status = 500
    default_message = _("Something went wrong.")

    def __init__(
        self, message: Any = None, *, details: dict | None = None, code: str | None = None
    ):
        self.message = message if message is not None else self.default_message
        self.details = details or {}
        if code is not None:
            self.code = code
        super().__init__(str(self.message))


class BadRequestError(BaseAppException):
    code = "bad_request"
    status = 400
    default_message = _("The request is malformed.")


class BusinessRuleError(BaseAppException):
    code = "business_rule"
    status = 400
    default_message = _("This action breaks a business rule.")


class AuthenticationError(BaseAppException):
    code = "authentication"
    status = 401
    default_message = _("Authentication credentials were missing or wrong.")


class InvalidTokenError(AuthenticationError):
    code = "invalid_token"
    default_message = _("The token is invalid.")


class ExpiredTokenError(InvalidTokenError):
    code = "token_expired"
    default_message = _("The token has expired.")


class RevokedTokenError(InvalidTokenError):
    code = "token_revoked"
    default_message = _("The token has been revoked.")


class AuthorizationError(BaseAppException):
    code = "authorization"
    status = 403
    default_message = _("You do not have permission to perform this action.")


class AccountLockedError(AuthorizationError):
    code = "account_locked"
    default_message = _(
        "This account is locked after too many failed logins. "
        "Try again later or ask staff to unlock it."
    )


class NotFoundError(BaseAppException):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class ConflictError(BaseAppException):
    code = "conflict"
    status = 409
    default_message = _("The request conflicts with the current state.")


class GoneError(BaseAppException):
    code = "gone"
    status = 410
    default_message = _("This resource is no longer available.")


class PayloadTooLargeError(BaseAppException):
    code = "payload_too_large"
    status = 413
    default_message = _("The upload is larger than allowed.")


class ValidationError(BaseAppException):
    code = "validation"
    status = 422
    default_message = _("The data is invalid.")


class RateLimitError(BaseAppException):
    code = "rate_limited"
    status = 429
    default_message = _("Too many requests. Try again later.")


class ServiceUnavailableError(BaseAppException):
    code = "service_unavailable"
    status = 503
    default_message = _("The service is unavailable. Try again later.")


def error_text(exc: BaseAppException) -> str:
    """Return the error's message followed by up to five of its details, each said once: a
    detail the message already says (a refused import repeats its message) is left out."""
    message = str(exc.message)
    problems: list[str] = []
    for value in exc.details.values():
        for problem in map(str, value if isinstance(value, list) else [value]):
            if problem and problem not in message and problem not in problems:
                problems.append(problem)
    return " ".join([message, *problems[:5]])
