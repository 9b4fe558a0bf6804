"""The AI usage API: record and list interactions, read one, usage statistics, budgets.

Thin views: parse with an input serializer, read through workspace.ai_usage.selectors (which
answer 404 for what the caller may not see), write through workspace.ai_usage.services.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.schema import error_response_schema
from projects.selectors import named_project
from workspace.ai_usage import selectors, services, stats
from workspace.ai_usage.api import serializers as s
from workspace.ai_usage.models import AIInteraction, AIModule, InteractionStatus

E400 = error_response_schema(_("Malformed JSON."))
E401 = error_response_schema(_("Not signed in."))
E404 = error_response_schema(_("No such object, or not visible to the caller."))
E422 = error_response_schema(_("Invalid data; field messages in details."))

RANGE_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.STR,
        description=_("Start (inclusive): an ISO 8601 date-time, or a date (UTC midnight)."),
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.STR,
        description=_("End (exclusive): an ISO 8601 date-time, or a date (that whole UTC day)."),
    ),
]


class InteractionFilter(django_filters.FilterSet):
    module = django_filters.ChoiceFilter(choices=AIModule.choices)
    model = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=InteractionStatus.choices)
    project = django_filters.UUIDFilter(field_name="project_id")
    user = django_filters.UUIDFilter(field_name="user_id")

    class Meta:
        model = AIInteraction
        fields = ["module", "model", "status", "project", "user"]


class InteractionListView(GenericAPIView):
    queryset = AIInteraction.objects.none()  # for the schema; requests use the selector
    serializer_class = s.InteractionOutputSerializer
    filterset_class = InteractionFilter
    search_fields = ["model"]
    ordering_fields = ["occurred_at", "created_at", "cost", "latency_ms", "model", "module"]

    @extend_schema(
        operation_id="ai_interactions_list",
        tags=["ai"],
        summary=_("The AI interactions the caller may see, newest first"),
        parameters=RANGE_PARAMETERS,
        responses={200: s.InteractionOutputSerializer(many=True), 401: E401, 422: E422},
    )
    def get(self, request):
        time_range = selectors.time_range(request.query_params)
        interactions = time_range.apply(selectors.interactions_visible_to(request.user))
        page = self.paginate_queryset(self.filter_queryset(interactions))
        return self.get_paginated_response(s.InteractionOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="ai_interactions_create",
        tags=["ai"],
        summary=_("Record an AI call made by the caller"),
        request=s.InteractionInputSerializer,
        responses={201: s.InteractionOutputSerializer, 400: E400, 401: E401, 422: E422},
    )
    def post(self, request):
        serializer = s.InteractionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["project"] = named_project(data.get("project"))
        interaction = services.interaction_record(user=request.user, **data)
        interaction = selectors.interaction_get(request.user, interaction.pk)
        return Response(s.InteractionOutputSerializer(interaction).data, status=201)


class InteractionDetailView(APIView):
    @extend_schema(
        operation_id="ai_interactions_retrieve",
        tags=["ai"],
        responses={200: s.InteractionOutputSerializer, 401: E401, 404: E404},
    )
    def get(self, request, interaction_id):
        interaction = selectors.interaction_get(request.user, interaction_id)
        return Response(s.InteractionOutputSerializer(interaction).data)


class StatsView(APIView):
    @extend_schema(
        operation_id="ai_stats",
        tags=["ai"],
        summary=_("Calls, tokens, cost, latency percentiles and error rate per group"),
        parameters=[
            OpenApiParameter(
                "group_by",
                OpenApiTypes.STR,
                enum=list(stats.GROUPS),
                required=True,
                description=_("Group by model, module, user, day (UTC) or project."),
            ),
            *RANGE_PARAMETERS,
        ],
        responses={200: s.StatsOutputSerializer, 401: E401, 422: E422},
    )
    def get(self, request):
        query = s.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        figures = stats.interaction_stats(
            request.user,
            group_by=query.validated_data["group_by"],
            time_range=selectors.time_range(request.query_params),
        )
        return Response(s.StatsOutputSerializer(figures).data)


class BudgetListView(GenericAPIView):
    filter_backends = []
    serializer_class = s.BudgetOutputSerializer

    @extend_schema(
        operation_id="ai_budgets_list",
        tags=["ai"],
        summary=_("The caller's budgets and those of projects they manage, with this month's use"),
        responses={200: s.BudgetOutputSerializer(many=True), 401: E401},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.budget_statuses(request.user))
        return self.get_paginated_response(s.BudgetOutputSerializer(page, many=True).data)
