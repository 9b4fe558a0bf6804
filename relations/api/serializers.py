from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from nexus_site.definitions import constants
from nexus_site.definitions.enums import Permission, RelationType


class NodeField(serializers.CharField):
    """A graph node written ``app_label.model:uuid``; parsed by the view through relations.nodes."""


class CheckInputSerializer(serializers.Serializer):
    subject = NodeField(required=False, help_text=_("Who asks; the caller when left out."))
    permission = serializers.ChoiceField(choices=Permission.choices)
    object = NodeField()


class StepSerializer(serializers.Serializer):
    source = serializers.CharField()
    type = serializers.CharField()
    target = serializers.CharField()


class CheckOutputSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reason = serializers.CharField()
    path = StepSerializer(many=True)


class RelationshipInputSerializer(serializers.Serializer):
    source = NodeField()
    target = NodeField()
    type = serializers.ChoiceField(choices=RelationType.choices)
    metadata = serializers.DictField(required=False, default=dict)


class RelationshipOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    source = serializers.CharField(source="source_node")
    target = serializers.CharField(source="target_node")
    type = serializers.CharField()
    metadata = serializers.DictField()
    created_by = serializers.UUIDField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()


EDGE_TYPES = list(RelationType.values)
DIRECTED_TYPES = [edge_type for edge_type in EDGE_TYPES if edge_type != RelationType.LINKED]
DIRECTIONS = ["out", "in", "both"]
ORDER_MAX_NODES = 500


class EdgeTypesField(serializers.ListField):
    """Edge types, repeated (``type=a&type=b``) or comma separated (``type=a,b``)."""

    def to_internal_value(self, data):
        items = [data] if isinstance(data, str) else data
        if isinstance(items, list | tuple):
            items = [part.strip() for item in items for part in str(item).split(",")]
            items = [part for part in items if part]
        return super().to_internal_value(items)


class NodeListField(serializers.CharField):
    """Comma-separated node strings; each is parsed by the view through relations.nodes."""

    def to_internal_value(self, data) -> list[str]:
        text = super().to_internal_value(data)
        nodes = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
        if not 1 <= len(nodes) <= ORDER_MAX_NODES:
            raise serializers.ValidationError(
                _("Give between 1 and %(max)d nodes.") % {"max": ORDER_MAX_NODES}
            )
        return nodes


def edge_types_field(choices: list[str], **kwargs) -> EdgeTypesField:
    return EdgeTypesField(
        child=serializers.ChoiceField(choices=choices), allow_empty=False, **kwargs
    )


class NeighborsInputSerializer(serializers.Serializer):
    node = NodeField()
    type = edge_types_field(EDGE_TYPES, required=False)
    direction = serializers.ChoiceField(choices=DIRECTIONS, default="both")
    depth = serializers.IntegerField(min_value=1, max_value=constants.GRAPH_MAX_DEPTH, default=1)


class PathInputSerializer(serializers.Serializer):
    to = NodeField()
    max_depth = serializers.IntegerField(
        min_value=1, max_value=constants.GRAPH_MAX_DEPTH, default=constants.GRAPH_MAX_DEPTH
    )
    type = edge_types_field(EDGE_TYPES, required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = NodeField()  # a Python keyword, so it cannot be declared as above
        return fields


class CyclesInputSerializer(serializers.Serializer):
    type = edge_types_field(DIRECTED_TYPES, default=[RelationType.PARENT.value])


class OrderInputSerializer(serializers.Serializer):
    nodes = NodeListField()
    type = serializers.ChoiceField(choices=DIRECTED_TYPES, default=RelationType.PARENT.value)


class NeighborSerializer(serializers.Serializer):
    node = serializers.CharField()
    name = serializers.CharField()
    depth = serializers.IntegerField()


class NamedNodeSerializer(serializers.Serializer):
    node = serializers.CharField()
    name = serializers.CharField()


class PathSerializer(serializers.Serializer):
    path = NamedNodeSerializer(many=True)
    edges = StepSerializer(many=True)
    length = serializers.IntegerField()


class CycleSerializer(serializers.Serializer):
    nodes = serializers.ListField(child=serializers.CharField())
    length = serializers.IntegerField()


class OrderSerializer(serializers.Serializer):
    order = serializers.ListField(child=serializers.CharField())


class DegreeSerializer(serializers.Serializer):
    max = serializers.IntegerField()
    mean = serializers.FloatField()
    p50 = serializers.IntegerField()
    p90 = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    relationships = serializers.IntegerField()
    by_type = serializers.DictField(child=serializers.IntegerField())
    by_model = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Relationship ends on each model.")
    )
    nodes = serializers.IntegerField(help_text=_("Distinct nodes at either end."))
    degree = DegreeSerializer(help_text=_("Relationships per node."))
