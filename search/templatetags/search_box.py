from django import template

from search import registry

register = template.Library()


@register.simple_tag
def search_kind_labels() -> dict[str, str]:
    """Return each searchable kind's name in the current language, for the header's
    suggestions."""
    return {name: str(kind.label) for name, kind in registry.kinds().items()}
