"""A cache, broker or database pool that does not answer is a 503 ``service_unavailable``.

Redis holds the cache (throttle counters, the pattern store), the Celery broker and the
channel layer. When it is down, a request that needs it fails with the library's connection
error; the API handler and ``OutageMiddleware`` (pages) turn that error into a 503 the client
may retry. Writes that only *schedule* work after commit never reach this point: they log the
outage and leave the work for a task that catches up (``patterns.tasks.enqueue_execution``).

Overload is the same answer: a request that waited ``DATABASE_POOL_TIMEOUT`` seconds for one of
the process's pooled database connections gets psycopg_pool's ``PoolTimeout`` (which Django
wraps in its own ``OperationalError``), and answers 503 rather than 500. Every such 503 carries
``Retry-After`` (header, and ``details.retry_after_seconds`` in the API envelope). An outage
met in a middleware, before any view (a page's session user), reaches ``server_error_view``
here, Django's ``handler500``, which answers the same 503.
"""

import logging
import sys
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template import loader
from kombu.exceptions import OperationalError as BrokerError
from psycopg_pool import PoolTimeout
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from nexus_site import views
from nexus_site.api.envelope import error_response
from nexus_site.exceptions import ServiceUnavailableError

logger = logging.getLogger(__name__)

# What the cache (redis-py), the broker (kombu) and the database pool (psycopg_pool, all its
# connections busy past its timeout) raise when they cannot serve the request.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    BrokerError,
    PoolTimeout,
)
# What a 503 tells the client to wait before retrying (Retry-After).
RETRY_AFTER_SECONDS = 5


def outage_cause(exc: BaseException | None) -> BaseException | None:
    """Return the outage error behind ``exc`` (itself, or the driver error Django wrapped)."""
    while exc is not None:
        if isinstance(exc, OUTAGE_ERRORS):
            return exc
        exc = exc.__cause__
    return None


def outage_error(exc: Exception) -> ServiceUnavailableError | None:
    """Return the 503 for an outage of a backing service; None for any other exception."""
    cause = outage_cause(exc)
    if cause is None:
        return None
    logger.warning("A backing service is unavailable: %s: %s", type(cause).__name__, cause)
    return ServiceUnavailableError(details={"retry_after_seconds": RETRY_AFTER_SECONDS})


def outage_page(request: HttpRequest, error: ServiceUnavailableError) -> HttpResponse:
    """Return the 503 envelope (API) or page, with ``Retry-After``."""
    if views.wants_json(request):
        response = error_response(error)
    else:
        # Standalone, like the 500 page: no user or session, whose backing service may be the
        # one that does not answer.
        page = loader.get_template("503.html").render()
        response = HttpResponse(page, status=error.status)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error_view(request: HttpRequest) -> HttpResponse:
    """Django's handler500: an outage answers 503, anything else the 500 of ``views``."""
    error = outage_error(sys.exc_info()[1])
    if error is None:
        return views.server_error_view(request)
    return outage_page(request, error)


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
        return outage_page(request, error)
