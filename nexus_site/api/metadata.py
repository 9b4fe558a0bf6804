"""What an OPTIONS request answers: the view's name, description and media types."""

from rest_framework.metadata import SimpleMetadata


class ViewMetadata(SimpleMetadata):
    """Describe a view without its input fields; the OpenAPI schema documents those.

    DRF's ``SimpleMetadata`` describes POST and PUT input through ``get_serializer()`` after
    running the permission checks and ``get_object()``. Our views parse input with their own
    input serializers, so a generic view has no ``serializer_class`` (DRF then fails an
    assertion: a 500) or names its output serializer (a wrong description of the input).
    """

    def determine_actions(self, request, view) -> dict:
        return {}
