"""Input and output serializers of the files API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class FileUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text=_("The content; its type is read from the bytes.")
    )
    project = serializers.UUIDField(
        required=False, allow_null=True, help_text=_("A project you may edit.")
    )


class FileUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    project = serializers.UUIDField(allow_null=True)


class FileOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    size = serializers.IntegerField(help_text=_("In bytes."))
    mime_type = serializers.CharField(help_text=_("Detected from the content."))
    sha256 = serializers.CharField()
    is_public = serializers.BooleanField(help_text=_("True while a valid public link exists."))
    download_count = serializers.IntegerField()
    owner = serializers.UUIDField(source="owner_id")
    project = serializers.UUIDField(source="project_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class StorageUsageOutputSerializer(serializers.Serializer):
    file_count = serializers.IntegerField()
    logical_bytes = serializers.IntegerField(help_text=_("Every file counted; the quota uses it."))
    physical_bytes = serializers.IntegerField(help_text=_("Each distinct content counted once."))
    quota_bytes = serializers.IntegerField()
    available_bytes = serializers.IntegerField()


class PublicLinkInputSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    max_downloads = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2_000_000_000
    )


class PublicLinkOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    file = serializers.UUIDField(source="file_id")
    expires_at = serializers.DateTimeField(allow_null=True)
    max_downloads = serializers.IntegerField(allow_null=True)
    download_count = serializers.IntegerField()
    is_valid = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class CreatedPublicLinkOutputSerializer(PublicLinkOutputSerializer):
    token = serializers.CharField(help_text=_("Shown only now: only its hash is kept."))
    url = serializers.CharField(help_text=_("The download address, absolute."))
