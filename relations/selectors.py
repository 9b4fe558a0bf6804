"""Reads of the graph on behalf of a user."""

from django.db.models import Q, QuerySet

from nexus_site.definitions.enums import Role
from nexus_site.exceptions import NotFoundError
from relations.access import reachable_containers, visible_filter
from relations.algorithms import Graph
from relations.models import Relationship
from relations.registry import registry
from relations.services import content_types_by_label


def relationships_visible_to(user) -> QuerySet[Relationship]:
    """Return the relationships ``user`` may see: all for admins; else their own, and those
    whose both ends they may view.

    Users see each other (the directory), but a relationship between two other users is
    theirs: it is listed only to its ends.
    """
    queryset = Relationship.objects.select_related("source_type", "target_type", "created_by")
    if user.role == Role.ADMIN:
        return queryset
    types = content_types_by_label()
    user_label = user._meta.label_lower
    user_type = types[user_label]
    reached = reachable_containers(user)

    def end_visible(end: str) -> Q:
        condition = Q(**{f"{end}_type": user_type})
        for label, model in registry.participants.items():
            if label != user_label:
                ids = model.objects.filter(visible_filter(user, model, reached=reached))
                condition |= Q(**{f"{end}_type": types[label], f"{end}_id__in": ids.values("pk")})
        return condition

    mine = Q(source_type=user_type, source_id=user.pk) | Q(target_type=user_type, target_id=user.pk)
    between_users = Q(source_type=user_type, target_type=user_type)
    return queryset.filter(mine | (end_visible("source") & end_visible("target") & ~between_users))


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
