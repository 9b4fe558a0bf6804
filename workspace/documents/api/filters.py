"""Query-string filters of the document list (django-filter)."""

import django_filters

from workspace.documents.models import Document, DocumentType


class DocumentFilter(django_filters.FilterSet):
    doc_type = django_filters.ChoiceFilter(choices=DocumentType.choices)
    project = django_filters.UUIDFilter(field_name="project_id")
    owner = django_filters.UUIDFilter(field_name="owner_id")

    class Meta:
        model = Document
        fields = ["doc_type", "project", "owner"]
