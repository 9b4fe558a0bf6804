"""Reads of the graph on behalf of a user."""

import math
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.db.models import Count, F, Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import Role
from nexus_site.exceptions import NotFoundError, ValidationError
from relations.access import reachable_containers, visible_filter, visible_nodes
from relations.algorithms import Graph
from relations.models import STORED_TYPES, Relationship
from relations.nodes import Node, content_types_by_label
from relations.registry import registry


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


def require_visible(user, nodes: Iterable[Node]) -> None:
    """Answer 404 unless every node exists and ``user`` may view it.

    One answer for both, so a node the caller may not see looks like one that does not exist.
    """
    wanted = set(nodes)
    existing = set()
    for label, ids in ids_by_label(wanted).items():
        model = registry.participants[label]
        existing |= {
            Node(label, pk) for pk in model.objects.filter(pk__in=ids).values_list("pk", flat=True)
        }
    if existing != wanted or visible_nodes(user, wanted) != wanted:
        raise NotFoundError()


def named_object(model: type[Model], object_id: Any, *, field: str, message=None):
    """Return the object of ``model`` a request body names by ``object_id`` (None for none).

    It is loaded for a service to put through the gate (relations.access.require_named: 422
    when the caller may not see it, 403 when they may not use it), so access is decided once,
    there. A malformed or unknown id is the same 422 as an unseen object.
    """
    if object_id is None:
        return None
    try:
        found = model.objects.filter(pk=object_id).first()
    except (DjangoValidationError, ValueError, TypeError):
        found = None
    if found is None:
        raise ValidationError(details={field: [str(message or _("No such object."))]})
    return found


def ids_by_label(nodes: Iterable[Node]) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for node in nodes:
        grouped.setdefault(node.label, []).append(node.id)
    return grouped


def names_of(nodes: Iterable[Node]) -> dict[Node, str]:
    """Return each node's name (``str`` of its object), one query per model."""
    names = {}
    for label, id_list in ids_by_label(nodes).items():
        ids = set(id_list)
        for obj in registry.participants[label].objects.filter(pk__in=ids):
            names[Node(label, obj.pk)] = str(obj)
        for missing in ids - {node.id for node in names if node.label == label}:
            names[Node(label, missing)] = str(Node(label, missing))  # a dangling row's end
    return names


def relationship_figures(relationships: QuerySet[Relationship]) -> dict:
    """Return counts and degree figures of ``relationships``, in two aggregate queries."""
    by_type = dict.fromkeys(STORED_TYPES, 0)
    for row in relationships.values("type").annotate(count=Count("pk")).order_by():
        by_type[row["type"]] = row["count"]
    labels = {ct.pk: label for label, ct in content_types_by_label().items()}
    by_model: dict[str, int] = {}
    histogram: dict[int, int] = {}  # degree -> how many nodes have it
    for content_type, degree, count in degree_histogram(relationships):
        label = labels.get(content_type, str(content_type))
        by_model[label] = by_model.get(label, 0) + degree * count
        histogram[degree] = histogram.get(degree, 0) + count
    nodes = sum(histogram.values())
    return {
        "relationships": sum(by_type.values()),
        "by_type": by_type,
        "by_model": dict(sorted(by_model.items())),
        "nodes": nodes,
        "degree": {
            "max": max(histogram, default=0),
            "mean": 2 * sum(by_type.values()) / nodes if nodes else 0.0,
            "p50": percentile(histogram, 0.5),
            "p90": percentile(histogram, 0.9),
        },
    }


def degree_histogram(relationships: QuerySet[Relationship]) -> list[tuple[int, int, int]]:
    """Return (content type id, degree, nodes of that model with that degree) rows.

    The ORM cannot group a union, so its SQL is wrapped; the rows are one per distinct
    degree, never one per relationship.
    """
    ends = relationships.values(ct=F("source_type_id"), node=F("source_id")).union(
        relationships.values(ct=F("target_type_id"), node=F("target_id")), all=True
    )
    sql, params = ends.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT ct, degree, COUNT(*) FROM (
                SELECT ends.ct AS ct, COUNT(*) AS degree FROM ({sql}) AS ends
                GROUP BY ends.ct, ends.node
            ) per_node GROUP BY ct, degree
            """,  # noqa: S608 - the inner SQL is the ORM's, every value a parameter
            params,
        )
        return cursor.fetchall()


def percentile(histogram: dict[int, int], fraction: float) -> int:
    """Return the nearest-rank percentile of the values counted in ``histogram``."""
    total = sum(histogram.values())
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return 0
