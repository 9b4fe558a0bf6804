from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class HitOutputSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text=_("project, task, document, file, mail, message or comment")
    )
    id = serializers.UUIDField()
    title = serializers.CharField()
    snippet = serializers.CharField(
        help_text=_("HTML: the matching text, escaped, with the found words in <mark> elements.")
    )
    rank = serializers.FloatField(help_text=_("Higher is a better match."))
    url = serializers.CharField(source="path", help_text=_("The page that shows the object."))


class SearchOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Results of the kind asked for (or of all)."))
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Results per kind, for facets.")
    )
    fuzzy = serializers.BooleanField(
        help_text=_("True when no word matched and titles close to the words are shown.")
    )
    capped = serializers.BooleanField(
        help_text=_(
            "True when more matched than are counted: count and counts are those of the first "
            "matches found (lower bounds), and the results are the best of those."
        )
    )
    results = HitOutputSerializer(many=True)
