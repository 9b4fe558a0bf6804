"""Reads of the graph on behalf of a user."""

from django.db.models import Q, QuerySet

from nexus_site.definitions.enums import Role
from nexus_site.exceptions import NotFoundError
from relations.models import Relationship
from relations.services import content_types_by_label


def relationships_visible_to(user) -> QuerySet[Relationship]:
    """Return the relationships ``user`` may see: all for admins, else those touching them.

    Deliberately narrow until the visible-objects filter lands: a relationship between two
    objects the user reaches through a parent is not listed yet, and nothing leaks.
    """
    queryset = Relationship.objects.select_related("source_type", "target_type", "created_by")
    if user.role == Role.ADMIN:
        return queryset
    user_type = content_types_by_label()[user._meta.label_lower]
    return queryset.filter(
        Q(source_type=user_type, source_id=user.pk)
        | Q(target_type=user_type, target_id=user.pk)
        | Q(created_by=user)
    )


def relationship_get(user, relationship_id) -> Relationship:
    """Return one relationship the user may see, or raise 404."""
    relationship = relationships_visible_to(user).filter(pk=relationship_id).first()
    if relationship is None:
        raise NotFoundError()
    return relationship
