"""Request parsers every endpoint uses."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class DepthSafeJSONParser(JSONParser):
    """DRF's JSON parser, answering 400 instead of 500 for absurdly deeply nested JSON.

    Python's json module raises RecursionError there, which DRF's parser does not catch.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error - too deeply nested.")) from exc


def parsed(serializer_class, request, **kwargs) -> dict:
    """Return the request body validated by ``serializer_class`` (422 with field messages)."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
