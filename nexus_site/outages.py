"""A cache or broker that does not answer is a 503 ``service_unavailable``, never a 500.

Redis holds the cache (throttle counters, the pattern store), the Celery broker and the
channel layer. When it is down, a request that needs it fails with the library's connection
error; the API handler and ``OutageMiddleware`` (pages) turn that error into a 503 the client
may retry. Writes that only *schedule* work after commit never reach this point: they log the
outage and leave the work for a task that catches up (``patterns.tasks.enqueue_execution``).
"""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from nexus_site.exceptions import ServiceUnavailableError
from nexus_site.views import error_page

logger = logging.getLogger(__name__)

# What the cache (redis-py) and the broker (kombu) raise when their server does not answer.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, BrokerError)


def outage_error(exc: Exception) -> ServiceUnavailableError | None:
    """Return the 503 for an outage of a backing service; None for any other exception."""
    if not isinstance(exc, OUTAGE_ERRORS):
        return None
    logger.warning("A backing service is unavailable: %s: %s", type(exc).__name__, exc)
    return ServiceUnavailableError()


class OutageMiddleware:
    """Answer a page whose cache or broker is down with a 503 page instead of a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        error = outage_error(exception)
        if error is None:
            return None
        return error_page(request, error.status, error.code, error.message, "error.html")
