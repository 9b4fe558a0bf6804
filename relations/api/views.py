"""The relations API: access checks (and, as the issue proceeds, the graph endpoints)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.schema import error_response_schema
from nexus_site.definitions.enums import Permission
from nexus_site.exceptions import AuthorizationError, NotFoundError, ValidationError
from relations import selectors, services
from relations.access import can, explain
from relations.api import serializers as s
from relations.api.serializers import RelationshipOutputSerializer
from relations.models import Relationship
from relations.nodes import Node, node_of, parse_node

E401 = error_response_schema("Not signed in.")
E403 = error_response_schema("Visible, but the caller may not change it.")
E404 = error_response_schema("No such relationship, or not visible to the caller.")
E409 = error_response_schema("Duplicate, or a parent edge that would close a cycle.")
E422 = error_response_schema("Bad node string, type or pair.")


def require(user, action: str, node: Node, *, field: str) -> None:
    """Refuse with 422 naming ``field`` unless ``user`` may do ``action`` on ``node``.

    422 rather than 404: the node was named in the body, and the answer must not tell a node
    the caller may not see from one that does not exist.
    """
    if not can(user, action, node):
        raise ValidationError(details={field: [str(_("No such object, or not yours to link."))]})


class RelationshipListView(GenericAPIView):
    serializer_class = RelationshipOutputSerializer
    filterset_fields = ["type"]
    ordering_fields = ["created_at", "type"]

    queryset = Relationship.objects.none()  # for the schema; requests use get_queryset()

    def get_queryset(self):
        return selectors.relationships_visible_to(self.request.user)

    @extend_schema(
        operation_id="relations_list",
        responses={200: RelationshipOutputSerializer(many=True), 401: E401},
    )
    def get(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(RelationshipOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="relations_create",
        request=s.RelationshipInputSerializer,
        responses={201: RelationshipOutputSerializer, 401: E401, 409: E409, 422: E422},
    )
    def post(self, request):
        data = s.RelationshipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = parse_node(data.validated_data["source"], field="source")
        target = parse_node(data.validated_data["target"], field="target")
        require(request.user, Permission.VIEW, source, field="source")
        require(request.user, Permission.MANAGE, target, field="target")
        relationship = services.relationship_create(
            source=source,
            target=target,
            type=data.validated_data["type"],
            metadata=data.validated_data["metadata"],
            created_by=request.user,
        )
        relationship = selectors.relationship_get(request.user, relationship.pk)
        return Response(RelationshipOutputSerializer(relationship).data, status=201)


class RelationshipDetailView(APIView):
    @extend_schema(
        operation_id="relations_retrieve",
        responses={200: RelationshipOutputSerializer, 401: E401, 404: E404},
    )
    def get(self, request, relationship_id):
        relationship = selectors.relationship_get(request.user, relationship_id)
        return Response(RelationshipOutputSerializer(relationship).data)

    @extend_schema(
        operation_id="relations_destroy", responses={204: None, 401: E401, 403: E403, 404: E404}
    )
    def delete(self, request, relationship_id):
        relationship = selectors.relationship_get(request.user, relationship_id)
        target = parse_node(relationship.target_node, field="id")
        if relationship.created_by_id != request.user.pk and not can(
            request.user, Permission.MANAGE, target
        ):
            raise AuthorizationError()
        services.relationship_delete(relationship=relationship, actor=request.user)
        return Response(status=204)


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
