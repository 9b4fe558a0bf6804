"""The triggers API: ``patterns/triggers/`` and ``patterns/triggers/{id}/`` (and the runs a
trigger started, ``patterns/triggers/{id}/runs/``). A trigger is its owner's: others get 404."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import parsed
from nexus_site.exceptions import NotFoundError, ValidationError
from patterns.api.views import E400, E401, E403, E404, E422, READ_ERRORS, pattern_or_404
from patterns.models import PatternTrigger, TriggerFiring, TriggerOutcome
from patterns.triggers import selectors, services

TRIGGER_TAGS = ["triggers"]
RECENT_RUNS = 20


class ScopeSerializer(serializers.Serializer):
    node = serializers.CharField(
        allow_blank=True,
        max_length=128,
        help_text=_("app_label.model:uuid; empty: any event the owner may see."),
    )
    with_descendants = serializers.BooleanField(
        default=True, help_text=_("Also everything under the node in the parent hierarchy.")
    )


class TriggerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    pattern = serializers.CharField(max_length=64, help_text=_("The pattern's key."))
    version = serializers.IntegerField(
        min_value=1, allow_null=True, required=False, help_text=_("Empty: the newest version.")
    )
    event_type = serializers.CharField(max_length=64)
    scope = ScopeSerializer(required=False)
    filter = serializers.JSONField(
        required=False,
        help_text=_(
            'Conditions that must all hold: {"path": "payload.status", "equals": "done"} or '
            '{"path": "payload.status", "in": ["done", "review"]}.'
        ),
    )
    input_map = serializers.JSONField(
        required=False, help_text=_("The run's input; {{ event.payload.x }} reads the event.")
    )
    rate_per_minute = serializers.IntegerField(min_value=1, allow_null=True, required=False)
    is_active = serializers.BooleanField(required=False)


class FiringOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.IntegerField(source="event_id")
    outcome = serializers.ChoiceField(choices=TriggerOutcome.choices)
    execution = serializers.UUIDField(source="execution_id", allow_null=True)
    execution_status = serializers.CharField(source="execution.status", allow_null=True)
    detail = serializers.JSONField()
    created_at = serializers.DateTimeField()


class TriggerOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    pattern = serializers.CharField(source="pattern.key")
    version = serializers.IntegerField(allow_null=True)
    event_type = serializers.CharField()
    scope = serializers.SerializerMethodField()
    filter = serializers.JSONField()
    input_map = serializers.JSONField()
    rate_per_minute = serializers.IntegerField(allow_null=True)
    is_active = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    owner = serializers.UUIDField(source="owner_id")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(ScopeSerializer)
    def get_scope(self, trigger: PatternTrigger) -> dict:
        return {"node": trigger.scope_node, "with_descendants": trigger.with_descendants}


class TriggerDetailOutputSerializer(TriggerOutputSerializer):
    recent_runs = serializers.SerializerMethodField()

    @extend_schema_field(FiringOutputSerializer(many=True))
    def get_recent_runs(self, trigger: PatternTrigger) -> list:
        firings = selectors.firings_of(trigger)[:RECENT_RUNS]
        return FiringOutputSerializer(firings, many=True).data


def trigger_or_404(user, trigger_id) -> PatternTrigger:
    trigger = selectors.trigger_visible(user, trigger_id)
    if trigger is None:
        raise NotFoundError()
    return trigger


def values_of(user, data: dict) -> dict:
    """The services' arguments from a parsed body (the pattern resolved as the caller sees it)."""
    values = dict(data)
    if "pattern" in values:
        try:
            values["pattern"] = pattern_or_404(user, values["pattern"])
        except NotFoundError:
            raise ValidationError(
                details={"pattern": [str(_("There is no such pattern."))]}
            ) from None
    scope = values.pop("scope", None)
    if scope is not None:
        values["scope_node"] = scope.get("node", "")
        values["with_descendants"] = scope.get("with_descendants", True)
    return values


class TriggerListView(GenericAPIView):
    queryset = PatternTrigger.objects.none()
    serializer_class = TriggerOutputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="triggers_list",
        tags=TRIGGER_TAGS,
        summary=_("The caller's triggers, newest first (staff: every trigger)"),
        responses={200: TriggerOutputSerializer(many=True), 401: E401},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.triggers_visible_to(request.user))
        return self.get_paginated_response(TriggerOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="triggers_create",
        tags=TRIGGER_TAGS,
        summary=_("Start a pattern on matching events, as the caller"),
        description=_(
            "The caller must be able to run the pattern and see the scope. Each matching "
            "event starts exactly one run; runs started by runs stop at the chain depth "
            "limit, and the rate per minute caps how many runs the trigger starts."
        ),
        request=TriggerInputSerializer,
        responses={201: TriggerDetailOutputSerializer, 400: E400, 401: E401, 403: E403, 422: E422},
    )
    def post(self, request):
        values = values_of(request.user, parsed(TriggerInputSerializer, request))
        trigger = services.trigger_create(actor=request.user, **values)
        trigger = trigger_or_404(request.user, trigger.pk)
        return Response(TriggerDetailOutputSerializer(trigger).data, status=201)


class TriggerDetailView(APIView):
    @extend_schema(
        operation_id="triggers_retrieve",
        tags=TRIGGER_TAGS,
        summary=_("One trigger with the runs it started most recently"),
        responses={200: TriggerDetailOutputSerializer, **READ_ERRORS},
    )
    def get(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        return Response(TriggerDetailOutputSerializer(trigger).data)

    @extend_schema(
        operation_id="triggers_partial_update",
        tags=TRIGGER_TAGS,
        summary=_("Change a trigger; switching it on again clears why it was disabled"),
        request=TriggerInputSerializer(partial=True),
        responses={
            200: TriggerDetailOutputSerializer,
            400: E400,
            401: E401,
            403: E403,
            404: E404,
            422: E422,
        },
    )
    def patch(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        values = values_of(request.user, parsed(TriggerInputSerializer, request, partial=True))
        services.trigger_update(actor=request.user, trigger=trigger, **values)
        trigger = trigger_or_404(request.user, trigger_id)
        return Response(TriggerDetailOutputSerializer(trigger).data)

    @extend_schema(
        operation_id="triggers_destroy",
        tags=TRIGGER_TAGS,
        summary=_("Delete a trigger; the runs it started stay"),
        responses={204: None, 401: E401, 404: E404},
    )
    def delete(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        services.trigger_delete(actor=request.user, trigger=trigger)
        return Response(status=204)


class TriggerRunListView(GenericAPIView):
    queryset = TriggerFiring.objects.none()
    serializer_class = FiringOutputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="triggers_runs",
        tags=TRIGGER_TAGS,
        summary=_("What the trigger did with each matching event, newest first"),
        description=_(
            "outcome is started (with the execution), rate_limited, depth_limited or refused "
            "(detail.error says why: the input did not fit the pattern, the pattern is off)."
        ),
        responses={200: FiringOutputSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request, trigger_id):
        trigger = trigger_or_404(request.user, trigger_id)
        page = self.paginate_queryset(selectors.firings_of(trigger))
        return self.get_paginated_response(FiringOutputSerializer(page, many=True).data)
