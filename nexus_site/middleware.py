"""Request context: the X-Source platform and the language, kept in contextvars."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from nexus_site.api.envelope import error_response
from nexus_site.context import current_language, current_source
from nexus_site.definitions.enums import Source
from nexus_site.exceptions import BadRequestError

SOURCE_HEADER = "HTTP_X_SOURCE"


def user_language_applies(request: HttpRequest) -> bool:
    """Return whether the saved user language should win over the request's own choice."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return False
    return not (request.path.startswith("/api/") and request.META.get("HTTP_ACCEPT_LANGUAGE"))


def activate_user_language(request: HttpRequest, user) -> bool:
    """Use the user's saved language for this request unless the request chose one itself."""
    language = getattr(user, "language", "")
    if not language or not user_language_applies(request):
        return False
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return True


class RequestContextMiddleware:
    """Validate ``X-Source`` and record it and the active language for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get(SOURCE_HEADER, "").strip().lower() or Source.CUSTOMER
        if raw not in Source.values:
            return error_response(
                BadRequestError(
                    _("Unknown X-Source header."),
                    details={
                        "X-Source": [
                            _("Must be one of: %(values)s.") % {"values": ", ".join(Source.values)}
                        ]
                    },
                )
            )
        request.source = raw
        source_token = current_source.set(raw)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_user_language(request, user)
        language_token = current_language.set(translation.get_language() or "en")
        try:
            return self.get_response(request)
        finally:
            current_source.reset(source_token)
            current_language.reset(language_token)
