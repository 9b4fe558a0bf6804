"""Query-string filters of the file list (django-filter)."""

import django_filters

from workspace.files.models import File


class FileFilter(django_filters.FilterSet):
    project = django_filters.UUIDFilter(field_name="project_id")
    mime_type = django_filters.CharFilter(field_name="mime_type", max_length=255)

    class Meta:
        model = File
        fields = ["project", "mime_type"]
