from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from nexus_site.definitions.enums import Permission


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
