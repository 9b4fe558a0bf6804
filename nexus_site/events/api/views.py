"""The event log over HTTP: oldest first, resumable from a cursor."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from nexus_site.api.handler import drf_details
from nexus_site.api.schema import error_response_schema
from nexus_site.events.api.serializers import (
    EVENT_COLUMNS,
    EventListQuerySerializer,
    EventPageSerializer,
    event_body,
)
from nexus_site.events.selectors import event_values_visible_to
from nexus_site.exceptions import BadRequestError


class EventListView(APIView):
    """The events the caller may see after a cursor."""

    @extend_schema(
        operation_id="events_list",
        tags=["events"],
        summary=_("Read the event log"),
        description=_(
            "Events the caller may see, oldest first. Pass the returned cursor as after to "
            "resume; next links the following page while there is one."
        ),
        parameters=[EventListQuerySerializer],
        responses={
            200: EventPageSerializer,
            400: error_response_schema(_("after or limit is not a valid integer.")),
            401: error_response_schema(_("The caller is not signed in.")),
        },
    )
    def get(self, request: Request) -> Response:
        query = EventListQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise BadRequestError(details=drf_details(query.errors))
        params = query.validated_data
        after, limit = params.get("after"), params["limit"]
        rows = event_values_visible_to(
            request.user,
            fields=EVENT_COLUMNS,
            size=limit + 1,
            after=after,
            types=params.get("type"),
            pattern=params.get("pattern"),
        )
        page = [event_body(row) for row in rows]
        has_more = len(page) > limit
        page = page[:limit]
        cursor = page[-1]["id"] if page else after
        next_url = None
        if has_more:
            next_url = replace_query_param(request.build_absolute_uri(), "after", cursor)
        return Response({"results": page, "next": next_url, "cursor": cursor})
