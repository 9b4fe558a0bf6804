"""The search request, validated the same way for the API and the page."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from search import query, registry
from search.selectors import DEFAULT_LIMIT, MAX_LIMIT

MAX_OFFSET = 10_000


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=query.MAX_QUERY_LENGTH,
        trim_whitespace=True,
        help_text=_("The words to find; the last one also matches as a prefix."),
    )
    type = serializers.ChoiceField(
        choices=[],
        required=False,
        help_text=_("Only results of this kind (the counts still cover every kind)."),
    )
    project = serializers.UUIDField(
        required=False, help_text=_("Only what belongs to this project.")
    )
    titles = serializers.BooleanField(
        default=False,
        help_text=_("Match titles only, without snippets: for search as you type."),
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = list(registry.kinds())

    def validate_q(self, value: str) -> str:
        if not query.words(value):
            raise serializers.ValidationError(_("Type at least one word."))
        return value
