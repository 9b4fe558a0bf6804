"""The site's URLs plus the bare view bench/http.py measures everything against.

Used as ``ROOT_URLCONF`` only when ``NEXUS_BENCH_VIEWS`` is on (the bench's server); production
never routes to it.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from nexus_site.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def bare_view(request: HttpRequest) -> JsonResponse:
    """Return a small JSON object: Django's request cycle and middleware, and nothing else."""
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/bare/", bare_view, name="bench-bare"), *urlpatterns]
