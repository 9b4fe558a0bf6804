"""Request context is readable from services through contextvars."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from nexus_site.context import get_language, get_source
from nexus_site.middleware import RequestContextMiddleware


def capture_view(seen: dict):
    def view(request):
        seen["source"] = get_source()
        seen["language"] = get_language()
        return HttpResponse("ok")

    return view


@pytest.mark.parametrize(
    ("header", "expected"), [(None, "customer"), ("admin", "admin"), ("Customer", "customer")]
)
def test_source_header_is_visible_to_code_below_the_view(header, expected):
    seen: dict = {}
    middleware = RequestContextMiddleware(capture_view(seen))
    extra = {"HTTP_X_SOURCE": header} if header else {}
    request = RequestFactory().get("/", **extra)

    response = middleware(request)

    assert response.status_code == 200
    assert seen["source"] == expected


def test_context_is_reset_after_the_request():
    middleware = RequestContextMiddleware(capture_view({}))

    middleware(RequestFactory().get("/", HTTP_X_SOURCE="admin"))

    assert get_source() == "customer"
