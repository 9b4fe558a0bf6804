"""HTTP side of the metrics: the request middleware and the ``/metrics`` endpoint."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from contextlib import ExitStack

from django.conf import settings
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import empty
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from nexus_site import metrics
from nexus_site.request_id import get_request_id

logger = logging.getLogger("nexus.requests")

UNMATCHED_ROUTE = "<unmatched>"


def route_of(request: HttpRequest) -> str:
    """Return the URL pattern that served ``request`` (``/api/v1/tasks/<uuid:task_id>/``)."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.route is None:
        return UNMATCHED_ROUTE
    return "/" + match.route


def signed_in_user_id(request: HttpRequest) -> str | None:
    """Return the id of the request's user when it was loaded and signed in, without a query."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None  # the request never looked at its user: do not load it now
    if not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


class QueryCounter:
    """An ``execute_wrapper`` counting the statements run through it."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class RequestMetricsMiddleware:
    """Count and time each request by route template, method and status; count its queries;
    log one line per request (route, status, duration, user id, request id)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = QueryCounter()
        started = time.perf_counter()
        status = 500
        try:
            with ExitStack() as stack:
                for alias in settings.DATABASES:
                    stack.enter_context(connections[alias].execute_wrapper(counter))
                response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            duration = time.perf_counter() - started
            route = route_of(request)
            method = request.method if request.method in KNOWN_METHODS else "other"
            metrics.http_requests.labels(route, method, str(status)).inc()
            metrics.http_request_duration.labels(route, method).observe(duration)
            metrics.http_request_queries.labels(route).observe(counter.count)
            logger.info(
                "%s %s %s %.1f ms",
                method,
                route,
                status,
                duration * 1000,
                extra={
                    "route": route,
                    "method": method,
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                    "db_queries": counter.count,
                    "user_id": signed_in_user_id(request),
                    "request_id": get_request_id(),
                },
            )


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


def token_matches(request: HttpRequest, token: str) -> bool:
    """Return whether the request carries ``Authorization: Bearer <token>``."""
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Serve the Prometheus exposition to a scraper holding ``METRICS_TOKEN``.

    Without a configured token the endpoint does not exist (404). A missing and a wrong token
    get the same empty 401.
    """
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    if not token_matches(request, token):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
