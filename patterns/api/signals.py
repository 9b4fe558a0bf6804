"""``POST executions/{id}/signals/{name}/``: answer a run's waiting ``signal.wait`` or
``approval.request`` step (name ``approval``, payload ``{"decision", "comment"}``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.parsers import parsed
from patterns import signals
from patterns.api.views import E401, E403, E404, E409, E422, EXECUTION_TAGS


class SignalInputSerializer(serializers.Serializer):
    payload = serializers.JSONField(
        required=False,
        default=dict,
        help_text=_(
            'A JSON object; for approvals {"decision": "approve" or "reject", "comment": text}.'
        ),
    )


class SignalOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    execution = serializers.UUIDField(source="execution_id")
    step = serializers.CharField(source="step_id")
    name = serializers.CharField()
    payload = serializers.JSONField()
    sent_by = serializers.UUIDField(source="sent_by_id")
    created_at = serializers.DateTimeField()


class ExecutionSignalView(APIView):
    @extend_schema(
        operation_id="executions_signal",
        tags=EXECUTION_TAGS,
        summary=_("Send a signal to the run's step that waits for it"),
        description=_(
            "202: the answer is recorded and the run resumes. 403 for someone the waiting step "
            "does not take signals from (the run's own user included, for someone else's "
            "approval); 404 for a run the caller can neither see nor answer; 409 when nothing "
            "waits for this signal or the step was already answered."
        ),
        request=SignalInputSerializer,
        responses={
            202: SignalOutputSerializer,
            401: E401,
            403: E403,
            404: E404,
            409: E409,
            422: E422,
        },
    )
    def post(self, request, execution_id, name):
        data = parsed(SignalInputSerializer, request)
        signal = signals.execution_signal(
            actor=request.user, execution_id=execution_id, name=name, payload=data["payload"]
        )
        return Response(SignalOutputSerializer(signal).data, status=202)
