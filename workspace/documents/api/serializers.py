"""Input and output serializers of the documents API.

Input serializers only parse shapes; the services decide the rules (content against the type's
schema, who may share) and the views turn ids into objects through the selectors.
"""

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from nexus_site.api.fields import JSONDataField
from nexus_site.definitions.enums import Permission
from workspace.documents.models import DocumentType
from workspace.documents.services import MAX_TITLE_LENGTH


class ContentField(JSONDataField):
    """The document's content: JSON checked against its type's schema by the services."""


# --- documents ---------------------------------------------------------------------------


class DocumentCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_TITLE_LENGTH)
    doc_type = serializers.ChoiceField(choices=DocumentType.choices)
    content = ContentField(required=False, help_text=_("Omitted: an empty document of the type."))
    project = serializers.UUIDField(required=False, allow_null=True)


class DocumentUpdateInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text=_("The version the change was made from; a stale one is a 409.")
    )
    title = serializers.CharField(max_length=MAX_TITLE_LENGTH, required=False)
    content = ContentField(required=False)


class DocumentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    doc_type = serializers.CharField()
    content = serializers.JSONField()
    project = serializers.UUIDField(source="project_id", allow_null=True)
    owner = serializers.UUIDField(source="owner_id")
    owner_name = serializers.CharField(source="owner.full_name")
    version = serializers.IntegerField()
    deleted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class DocumentDetailOutputSerializer(DocumentOutputSerializer):
    permission = serializers.CharField(
        help_text=_("What the caller may do: view, comment, edit or manage.")
    )


class DocumentImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A .docx, .xlsx or .pptx file."))
    title = serializers.CharField(max_length=MAX_TITLE_LENGTH, required=False)
    project = serializers.UUIDField(required=False, allow_null=True)


# --- versions ----------------------------------------------------------------------------


class VersionOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    author = serializers.UUIDField(source="author_id", allow_null=True)
    author_name = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_author_name(self, version) -> str:
        return version.author.full_name if version.author is not None else ""


class VersionDetailOutputSerializer(VersionOutputSerializer):
    content = serializers.JSONField()


class DiffOutputSerializer(serializers.Serializer):
    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    title = serializers.DictField(
        allow_null=True, help_text=_("{old, new} when the title changed, else null.")
    )
    diff = serializers.DictField(help_text=_("Structured diff of the content (documents.diff)."))


# --- shares ------------------------------------------------------------------------------


class ShareInputSerializer(serializers.Serializer):
    user = serializers.UUIDField(help_text=_("The id of the user to share with."))
    permission = serializers.ChoiceField(choices=Permission.choices)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ShareOutputSerializer(serializers.Serializer):
    user = serializers.UUIDField(source="source_id")
    email = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    permission = serializers.SerializerMethodField()
    expires_at = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField(
        help_text=_("False once expires_at has passed: the share grants nothing any more.")
    )
    created_at = serializers.DateTimeField()

    def user_of(self, edge):
        return self.context["users"].get(edge.source_id)

    @extend_schema_field(OpenApiTypes.EMAIL)
    def get_email(self, edge) -> str:
        user = self.user_of(edge)
        return user.email if user else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, edge) -> str:
        user = self.user_of(edge)
        return user.full_name if user else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_permission(self, edge) -> str:
        return (edge.metadata or {}).get("permission", Permission.EDIT.value)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_expires_at(self, edge) -> str | None:
        return (edge.metadata or {}).get("expires_at")

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_active(self, edge) -> bool:
        expires_at = (edge.metadata or {}).get("expires_at")
        if not expires_at:
            return True
        expiry = parse_datetime(str(expires_at))
        return expiry is not None and expiry > timezone.now()


class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.UUIDField(help_text=_("A file the caller may see."))


class AttachmentOutputSerializer(serializers.Serializer):
    file = serializers.UUIDField(source="file_id")
    name = serializers.CharField(source="file.name")
    size = serializers.IntegerField(source="file.size")
    mime_type = serializers.CharField(source="file.mime_type")
    sha256 = serializers.CharField(source="file.sha256")
    attached_by = serializers.UUIDField(source="attached_by_id", allow_null=True)
    attached_at = serializers.DateTimeField()
