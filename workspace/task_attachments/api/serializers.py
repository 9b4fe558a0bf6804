"""Input and output of the task attachments API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class TaskAttachmentInputSerializer(serializers.Serializer):
    file = serializers.UUIDField(help_text=_("A file the caller may see."))


class TaskAttachmentOutputSerializer(serializers.Serializer):
    file = serializers.UUIDField(source="file_id")
    name = serializers.CharField(source="file.name")
    size = serializers.IntegerField(source="file.size")
    mime_type = serializers.CharField(source="file.mime_type")
    sha256 = serializers.CharField(source="file.sha256")
    attached_by = serializers.UUIDField(source="attached_by_id", allow_null=True)
    attached_at = serializers.DateTimeField()
