from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

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
