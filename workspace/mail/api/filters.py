"""Query-string filters of the mailbox list (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from workspace.mail.models import MailboxEntry, MailFolder
from workspace.mail.selectors import search_filter


class MailboxFilter(django_filters.FilterSet):
    folder = django_filters.ChoiceFilter(
        choices=MailFolder.choices, help_text=_("Without it: every folder but the trash.")
    )
    is_read = django_filters.BooleanFilter()
    thread = django_filters.UUIDFilter(field_name="message__thread_id")
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text=_("Text in the subject, body, sender or a recipient you may see."),
    )

    class Meta:
        model = MailboxEntry
        fields = ["folder", "is_read", "thread"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(search_filter(self.request.user, value)) if value else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("folder"):
            queryset = queryset.exclude(folder=MailFolder.TRASH)
        return queryset
