"""Query-string filters of the pattern and execution lists (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from patterns.models import Execution, ExecutionStatus, Pattern, PatternKind


class PatternFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=PatternKind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Pattern
        fields = ["kind", "is_active"]


class ExecutionFilter(django_filters.FilterSet):
    pattern = django_filters.CharFilter(
        field_name="pattern__key", max_length=64, help_text=_("The runs of this pattern key.")
    )
    status = django_filters.ChoiceFilter(choices=ExecutionStatus.choices)

    class Meta:
        model = Execution
        fields = ["pattern", "status"]
