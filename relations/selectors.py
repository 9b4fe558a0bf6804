"""Reads of the graph on behalf of a user."""

from django.db.models import Q, QuerySet

from nexus_site.definitions.enums import Role
from nexus_site.exceptions import NotFoundError
from relations.algorithms import Graph
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


def whole_graph(*, types: list[str] | None = None, batch_size: int = 5_000) -> Graph:
    """Return the whole stored graph (operators' commands and the bench, never a request).

    Streams the rows, so memory holds the graph, not the query results.
    """
    types_by_pk = {ct.pk: label for label, ct in content_types_by_label().items()}
    rows = Relationship.objects.order_by()
    if types:
        rows = rows.filter(type__in=types)
    edges = (
        (f"{types_by_pk[s_ct]}:{s_id}", f"{types_by_pk[t_ct]}:{t_id}", edge_type)
        for s_ct, s_id, t_ct, t_id, edge_type in rows.values_list(
            "source_type_id", "source_id", "target_type_id", "target_id", "type"
        ).iterator(chunk_size=batch_size)
    )
    return Graph.from_edges(edges)
