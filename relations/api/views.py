"""The relations API: access checks (and, as the issue proceeds, the graph endpoints)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.schema import error_response_schema
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from relations.access import explain
from relations.api import serializers as s
from relations.nodes import node_of, parse_node


class CheckView(APIView):
    @extend_schema(
        operation_id="relations_check",
        summary=_("May this subject do this to this object, and why"),
        parameters=[
            OpenApiParameter("subject", str, description=_("Node; defaults to the caller.")),
            OpenApiParameter("permission", str, enum=["view", "comment", "edit", "manage"]),
            OpenApiParameter("object", str, required=True, description=_("Node.")),
        ],
        responses={
            200: s.CheckOutputSerializer,
            401: error_response_schema("Not signed in."),
            403: error_response_schema("Only staff may ask about another subject."),
            422: error_response_schema("Bad node string or permission."),
        },
    )
    def get(self, request):
        params = s.CheckInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        caller = node_of(request.user)
        subject = parse_node(params.validated_data.get("subject", str(caller)), field="subject")
        target = parse_node(params.validated_data["object"], field="object")
        decision = explain(
            self.subject_user(request, subject, caller), params.validated_data["permission"], target
        )
        return Response(
            s.CheckOutputSerializer(
                {"allowed": decision.allowed, "reason": decision.reason, "path": decision.path}
            ).data
        )

    @staticmethod
    def subject_user(request, subject, caller):
        """Return the user whose access is checked: the caller, or anyone for staff."""
        if subject == caller:
            return request.user
        if not request.user.is_staff:
            raise AuthorizationError(_("You may only check your own access."))
        if subject.label != caller.label:
            raise ValidationError(details={"subject": [str(_("The subject must be a user."))]})
        user = subject.model.objects.filter(pk=subject.id).first()
        if user is None:
            raise NotFoundError()
        return user
