"""Show pages in the signed-in user's time zone."""

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import DEFAULT_TIME_ZONE


def user_zone(name: str) -> ZoneInfo:
    """Return the zone called ``name``, or UTC for a name this system no longer knows."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


class UserTimeZoneMiddleware:
    """Activate the signed-in user's time zone for the pages (``|date``, ``localtime``).

    The API keeps answering in UTC (ISO 8601 with its offset) whoever calls it, so a client
    reads the same times through a token and through a session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            timezone.activate(user_zone(user.time_zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
