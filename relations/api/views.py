"""The relations API: relationships, access checks and the graph endpoints."""

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from nexus_site.api.schema import error_response_schema
from nexus_site.definitions import constants
from nexus_site.definitions.enums import RelationType
from nexus_site.exceptions import (
    AuthorizationError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from relations import selectors, services, traversal
from relations.access import explain, walk_rules
from relations.algorithms import (
    CycleError,
    Graph,
    TraversalLimitExceeded,
    find_cycles,
    topological_order,
)
from relations.api import serializers as s
from relations.api.serializers import RelationshipOutputSerializer
from relations.models import Relationship
from relations.nodes import Node, node_of, parse_node

E401 = error_response_schema("Not signed in.")
E403 = error_response_schema("Visible, but the caller may not change it.")
E404 = error_response_schema("No such relationship, or not visible to the caller.")
E409 = error_response_schema("Duplicate, or a parent edge that would close a cycle.")
E422 = error_response_schema("Bad node string, type or pair.")


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
        responses={
            201: RelationshipOutputSerializer,
            401: E401,
            403: E403,
            409: E409,
            422: E422,
        },
    )
    def post(self, request):
        data = s.RelationshipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = parse_node(data.validated_data["source"], field="source")
        target = parse_node(data.validated_data["target"], field="target")
        relationship = services.relationship_create(
            actor=request.user,
            source=source,
            target=target,
            type=data.validated_data["type"],
            metadata=data.validated_data["metadata"],
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
        services.relationship_delete(actor=request.user, relationship=relationship)
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


TYPES_HELP = _(
    "Edge type: owner, member, linked, parent or child; repeat the parameter or separate types "
    "with commas; all types when left out. child reads parent edges backwards; linked edges are "
    "followed both ways whatever the direction."
)
DEPTH_HELP = format_lazy(_("From 1 to {max}."), max=constants.GRAPH_MAX_DEPTH)
E404_NODE = error_response_schema("No such node, or not visible to the caller.")
E422_GRAPH = error_response_schema(
    "Bad node string, type, direction or depth, or the walk would visit too many nodes."
)


@contextmanager
def traversal_errors() -> Iterator[None]:
    """Answer 422 when a walk would visit too many nodes or is asked something it cannot do."""
    try:
        yield
    except TraversalLimitExceeded as exc:
        raise ValidationError(
            _(
                "The walk would visit more than %(limit)d nodes (GRAPH_MAX_VISITED); "
                "ask for a smaller depth or fewer types."
            )
            % {"limit": exc.limit}
        ) from exc
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


class NeighborsView(GenericAPIView):
    filter_backends = []

    @extend_schema(
        operation_id="relations_neighbors",
        summary=_("The nodes within a few steps of a node"),
        description=_(
            "Nodes the caller may view within depth steps of the node, nearest first. "
            "Edges are stored relationships and structural parents (a page's space). "
            "out follows edges from the node, in towards it, both either way."
        ),
        parameters=[
            OpenApiParameter("node", str, required=True, description=_("Node.")),
            OpenApiParameter("type", str, many=True, enum=s.EDGE_TYPES, description=TYPES_HELP),
            OpenApiParameter("direction", str, enum=s.DIRECTIONS, default="both"),
            OpenApiParameter("depth", int, default=1, description=DEPTH_HELP),
        ],
        responses={
            200: s.NeighborSerializer(many=True),
            401: E401,
            404: E404_NODE,
            422: E422_GRAPH,
        },
    )
    def get(self, request):
        params = s.NeighborsInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        start = parse_node(params.validated_data["node"], field="node")
        selectors.require_visible(request.user, [start])
        with traversal_errors():
            distances = traversal.neighbors(
                start,
                types=params.validated_data.get("type"),
                direction=params.validated_data["direction"],
                depth=params.validated_data["depth"],
                max_visited=constants.GRAPH_MAX_VISITED,
                **walk_rules(request.user),
            )
        ordered = sorted(distances.items(), key=lambda item: (item[1], str(item[0])))
        page = self.paginate_queryset(ordered)
        names = selectors.names_of(node for node, _depth in page)
        items = [
            {"node": str(node), "name": names.get(node, ""), "depth": depth} for node, depth in page
        ]
        return self.get_paginated_response(s.NeighborSerializer(items, many=True).data)


class PathView(APIView):
    @extend_schema(
        operation_id="relations_path",
        summary=_("A shortest path between two nodes"),
        description=_(
            "A shortest path through nodes the caller may view, following edges either way. "
            "404 with code path_not_found when there is none within max_depth steps."
        ),
        parameters=[
            OpenApiParameter("from", str, required=True, description=_("Node.")),
            OpenApiParameter("to", str, required=True, description=_("Node.")),
            OpenApiParameter(
                "max_depth",
                int,
                default=constants.GRAPH_MAX_DEPTH,
                description=DEPTH_HELP,
            ),
            OpenApiParameter("type", str, many=True, enum=s.EDGE_TYPES, description=TYPES_HELP),
        ],
        responses={
            200: s.PathSerializer,
            401: E401,
            404: error_response_schema("No such node, not visible, or no path (path_not_found)."),
            422: E422_GRAPH,
        },
    )
    def get(self, request):
        params = s.PathInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        source = parse_node(params.validated_data["from"], field="from")
        target = parse_node(params.validated_data["to"], field="to")
        selectors.require_visible(request.user, [source, target])
        types = params.validated_data.get("type")
        with traversal_errors():
            path = traversal.shortest_path(
                source,
                target,
                types=types,
                max_depth=params.validated_data["max_depth"],
                max_visited=constants.GRAPH_MAX_VISITED,
                **walk_rules(request.user),
            )
        if path is None:
            raise NotFoundError(
                _("No path within %(depth)d steps.")
                % {"depth": params.validated_data["max_depth"]},
                code="path_not_found",
            )
        names = selectors.names_of(path)
        body = {
            "path": [{"node": str(node), "name": names.get(node, "")} for node in path],
            "edges": path_edges(path, types, request.user),
            "length": len(path) - 1,
        }
        return Response(s.PathSerializer(body).data)


def path_edges(path: list[Node], types: list[str] | None, user) -> list[dict[str, str]]:
    """Return one stored-form edge joining each pair of neighbours on ``path``."""
    among = traversal.edges_among(path, types=types, allow_edge=walk_rules(user)["allow_edge"])
    steps = []
    for first, second in pairwise(path):
        edge = next((edge for edge in among if {edge[0], edge[1]} == {first, second}), None)
        if edge is None:  # deleted between the walk and this read
            raise NotFoundError(_("The path changed while it was read; ask again."))
        source, target, edge_type = edge
        steps.append({"source": str(source), "type": edge_type, "target": str(target)})
    return steps


class CyclesView(GenericAPIView):
    filter_backends = []

    @extend_schema(
        operation_id="relations_cycles",
        summary=_("Cycles among the relationships the caller may see"),
        description=_(
            "One shortest cycle per strongly connected component, each listed from its smallest "
            "node; the last node has an edge back to the first. Refused (422) when the caller "
            "sees more relationships of these types than GRAPH_MAX_VISITED."
        ),
        parameters=[
            OpenApiParameter(
                "type",
                str,
                many=True,
                enum=s.DIRECTED_TYPES,
                description=_(
                    "Directed edge type; repeat or separate with commas; parent when left out. "
                    "child means the same facts as parent."
                ),
            ),
        ],
        responses={
            200: s.CycleSerializer(many=True),
            401: E401,
            422: error_response_schema(
                "Unknown or undirected type, or more relationships than GRAPH_MAX_VISITED."
            ),
        },
    )
    def get(self, request):
        params = s.CyclesInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        types = params.validated_data["type"]
        stored = {RelationType.PARENT.value if t == RelationType.CHILD else t for t in types}
        limit = constants.GRAPH_MAX_VISITED
        rows = (
            selectors.relationships_visible_to(request.user)
            .filter(type__in=stored)
            .order_by()
            .values_list("source_type_id", "source_id", "target_type_id", "target_id", "type")
        )[: limit + 1]
        labels = {ct.pk: label for label, ct in services.content_types_by_label().items()}
        edges = [
            (Node(labels[s_ct], s_id), Node(labels[t_ct], t_id), edge_type)
            for s_ct, s_id, t_ct, t_id, edge_type in rows
        ]
        if len(edges) > limit:
            raise ValidationError(
                _("More than %(limit)d relationships to search (GRAPH_MAX_VISITED).")
                % {"limit": limit}
            )
        cycles = find_cycles(Graph.from_edges(edges), types=types)
        page = self.paginate_queryset(
            [{"nodes": [str(node) for node in cycle], "length": len(cycle)} for cycle in cycles]
        )
        return self.get_paginated_response(s.CycleSerializer(page, many=True).data)


class OrderView(APIView):
    @extend_schema(
        operation_id="relations_order",
        summary=_("An order of nodes in which each comes after what it depends on"),
        description=_(
            "The source of each edge comes first: with parent (the default) parents come before "
            "their children, structural parents included; with child, children come first. "
            "Ties keep the nodes' natural order. 409 with code cycle_detected and the cycle in "
            "details when the nodes depend on each other in a cycle."
        ),
        parameters=[
            OpenApiParameter(
                "nodes",
                str,
                required=True,
                description=format_lazy(
                    _("From 1 to {max} comma-separated nodes."), max=s.ORDER_MAX_NODES
                ),
            ),
            OpenApiParameter("type", str, enum=s.DIRECTED_TYPES, default="parent"),
        ],
        responses={
            200: s.OrderSerializer,
            401: E401,
            404: error_response_schema("A node does not exist or is not visible to the caller."),
            409: error_response_schema("The nodes depend on each other in a cycle."),
            422: error_response_schema("Bad node string or type, or too many nodes."),
        },
    )
    def get(self, request):
        params = s.OrderInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        nodes = [parse_node(text, field="nodes") for text in params.validated_data["nodes"]]
        selectors.require_visible(request.user, nodes)
        edge_type = params.validated_data["type"]
        dependencies: dict[Node, set[Node]] = {node: set() for node in nodes}
        for source, target, _type in traversal.edges_among(nodes, types=[edge_type]):
            if edge_type == RelationType.CHILD:
                dependencies[source].add(target)  # the stored parent edge, read backwards
            else:
                dependencies[target].add(source)
        try:
            order = topological_order(dependencies)
        except CycleError as exc:
            raise ConflictError(
                _("These nodes depend on each other in a cycle."),
                code="cycle_detected",
                details={"cycle": [str(node) for node in exc.cycle]},
            ) from exc
        return Response(s.OrderSerializer({"order": [str(node) for node in order]}).data)


class StatsView(APIView):
    @extend_schema(
        operation_id="relations_stats",
        summary=_("Figures of the relationships the caller may see"),
        description=_(
            "Counts by type, relationship ends by model, distinct nodes, and the degree "
            "(relationships per node) of those nodes."
        ),
        responses={200: s.StatsSerializer, 401: E401},
    )
    def get(self, request):
        visible = selectors.relationships_visible_to(request.user).order_by()
        return Response(s.StatsSerializer(selectors.relationship_figures(visible)).data)
