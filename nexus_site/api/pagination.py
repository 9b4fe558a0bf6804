"""Pagination: ``?limit=&offset=`` -> ``{count, next, previous, results}`` for every list, and a
newest-first cursor for the feeds (notifications, webhook deliveries)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound

from nexus_site.definitions import constants
from nexus_site.exceptions import BadRequestError


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = constants.DEFAULT_PAGE_SIZE
    max_limit = constants.MAX_PAGE_SIZE


class NewestFirstCursorPagination(pagination.CursorPagination):
    """Newest first by (created_at, id), 50 a page (``limit`` up to 200); follow ``next`` for
    older ones. A cursor the client made up is a bad request (400), not a missing page."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise BadRequestError(
                _("The cursor is not valid."), details={"cursor": [str(exc.detail)]}
            ) from exc
