"""GET /api/v1/search/: what the caller may see that matches the words, best first."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from nexus_site.api.schema import error_response_schema
from search import selectors
from search.api import serializers as s
from search.forms import SearchQuerySerializer

E401 = error_response_schema(_("Not signed in."))
E422 = error_response_schema(_("Invalid query; field messages in details."))


def page_link(request, offset: int | None) -> str | None:
    if offset is None:
        return None
    url = request.build_absolute_uri()
    if offset == 0:
        return remove_query_param(url, "offset")
    return replace_query_param(url, "offset", offset)


class SearchView(APIView):
    @extend_schema(
        operation_id="search",
        tags=["search"],
        summary=_("Search everything the caller may see"),
        description=_(
            "Projects, tasks, documents (with their text), files, mail, chat messages and "
            "comments, ranked, with highlighted snippets and counts per kind."
        ),
        parameters=[SearchQuerySerializer],
        responses={200: s.SearchOutputSerializer, 401: E401, 422: E422},
    )
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        limit, offset = data["limit"], data["offset"]
        results = selectors.search(
            request.user,
            data["q"],
            type=data.get("type"),
            project=data.get("project"),
            limit=limit,
            offset=offset,
            titles=data["titles"],
        )
        following = offset + limit if results.more_after(offset, limit) else None
        preceding = max(offset - limit, 0) if offset > 0 else None
        body = {
            "count": results.total,
            "next": page_link(request, following),
            "previous": page_link(request, preceding),
            "counts": results.counts,
            "fuzzy": results.fuzzy,
            "capped": results.capped,
            "results": results.hits,
        }
        return Response(s.SearchOutputSerializer(body).data)
