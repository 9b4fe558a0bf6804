"""Pagination every list uses: ``?limit=&offset=`` -> ``{count, next, previous, results}``."""

from rest_framework import pagination

from nexus_site.definitions import constants


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = constants.DEFAULT_PAGE_SIZE
    max_limit = constants.MAX_PAGE_SIZE
