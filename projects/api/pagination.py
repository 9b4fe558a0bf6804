"""Pagination for lists whose page and count come from one read (the site's envelope)."""

from collections.abc import Callable

from nexus_site.api.pagination import LimitOffsetPagination


class CountedPagination(LimitOffsetPagination):
    """The site's ``?limit=&offset=`` pagination, for a read that returns a page and the
    count of everything matching together (``projects.selectors.task_page``)."""

    def paginate_counted(self, read: Callable[[int, int], tuple[list, int]], request) -> list:
        """Return the page that ``read(offset, limit)`` gives and keep its count for the
        envelope, as ``paginate_queryset`` would for the same rows."""
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        page, self.count = read(self.offset, self.limit)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        return page
