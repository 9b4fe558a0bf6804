"""Query-string filters of the project and task lists (django-filter)."""

import django_filters
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from projects.models import Priority, Project, ProjectStatus, Task, TaskStatus
from projects.tags import MAX_TAG_LENGTH


class FilterSet(django_filters.FilterSet):
    """A FilterSet whose form class is built once per language and process.

    django-filter builds it on every request, with a form field and a translated label per
    filter: about a sixth of the task list's time (docs/PERFORMANCE.md). Django copies a form
    class's fields into each form, so sharing the class is safe.
    """

    form_classes: dict = {}  # one cache for every subclass, keyed by class and language

    def get_form_class(self):
        key = (type(self), get_language())
        form_class = self.form_classes.get(key)
        if form_class is None:
            form_class = self.form_classes[key] = super().get_form_class()
        return form_class


class ProjectFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    owner = django_filters.UUIDFilter(field_name="owner_id")

    class Meta:
        model = Project
        fields = ["status", "priority", "owner"]


class TaskFilter(FilterSet):
    project = django_filters.UUIDFilter(field_name="project_id")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    assignee = django_filters.UUIDFilter(field_name="assignee_id")
    tag = django_filters.CharFilter(
        method="filter_tag", max_length=MAX_TAG_LENGTH, help_text=_("Tasks carrying this tag.")
    )
    due_before = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", help_text=_("Due on or before this date.")
    )
    due_after = django_filters.DateFilter(
        field_name="due_date", lookup_expr="gte", help_text=_("Due on or after this date.")
    )

    class Meta:
        model = Task
        fields = ["project", "status", "priority", "assignee", "tag", "due_before", "due_after"]

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tags__contains=[value.strip()])
