"""Every write on the graph: create and delete relationships, with validation and cycle refusal."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType, RelationType
from nexus_site.events.services import publish
from nexus_site.exceptions import ConflictError, ValidationError
from relations.access import require_relationship, require_unlink
from relations.algorithms import TraversalLimitExceeded
from relations.hierarchy import ancestry
from relations.models import Relationship
from relations.nodes import Node, content_type_for, content_types_by_label, normalize
from relations.registry import registry

# One PostgreSQL advisory lock serialises parent edge writes, so two concurrent writers can
# never each add half of a cycle. (SQLite already serialises writers: IMMEDIATE transactions.)
PARENT_EDGE_LOCK = 7_318_204_001


def lock_parent_edges() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARENT_EDGE_LOCK])


def parent_path(start: Node, goal: Node) -> list[Node] | None:
    """Return a shortest parent path from ``start`` down to ``goal``, or None if there is none.

    Reads the hierarchy above ``goal`` (edges and structural foreign keys) in a few queries.
    """
    try:
        below = ancestry([goal]).upward_paths(goal)
    except TraversalLimitExceeded as exc:
        raise ValidationError(
            _("The hierarchy is too large to check (more than %(limit)d nodes).")
            % {"limit": exc.limit}
        ) from exc
    if start not in below:
        return None
    path, node = [], start
    while node is not None:
        path.append(node)
        node = below[node]
    return path


def ensure_exists(node: Node, field: str) -> None:
    if not registry.participants[node.label].objects.filter(pk=node.id).exists():
        raise ValidationError(details={field: [str(_("No such object."))]})


def ensure_valid(source: Node, target: Node, type: str) -> None:
    """Refuse an unknown type, a self-loop, a pair the registry does not allow, a missing end."""
    if type not in RelationType.values:
        raise ValidationError(details={"type": [str(_("Unknown relationship type."))]})
    if source == target:
        raise ValidationError(details={"target": [str(_("An object cannot relate to itself."))]})
    if not registry.is_allowed(type, source.label, target.label):
        raise ValidationError(
            details={
                "type": [
                    str(
                        _("%(source)s cannot be %(type)s of %(target)s.")
                        % {"source": source.label, "type": type, "target": target.label}
                    )
                ]
            }
        )
    ensure_exists(source, "source")
    ensure_exists(target, "target")


@transaction.atomic
def relationship_create(
    *,
    actor,
    source: Node,
    target: Node,
    type: str,
    metadata: dict[str, Any] | None = None,
) -> Relationship:
    """Record, as ``actor``, that ``source`` is ``type`` of ``target``.

    For every caller acting for a person (the API, the admin, pattern steps): the fact passes
    the gate (relations.access.require_relationship) in its stored form.
    """
    ensure_valid(source, target, type)
    source, target, type = require_relationship(actor, source, target, type)
    return relationship_record(
        source=source, target=target, type=type, metadata=metadata, created_by=actor
    )


@transaction.atomic
def relationship_record(
    *,
    source: Node,
    target: Node,
    type: str,
    metadata: dict[str, Any] | None = None,
    created_by=None,
) -> Relationship:
    """Record that ``source`` is ``type`` of ``target``; refuse bad pairs, duplicates and cycles.

    No access check: for services that asked the gate for their own rule first (a new object's
    owner edge, a membership, a share) and for operators' imports.
    """
    ensure_valid(source, target, type)
    source, target, type = normalize(source, target, type)
    if type == RelationType.PARENT:
        lock_parent_edges()
        back = parent_path(target, source)
        if back is not None:
            raise ConflictError(
                _("This relationship would close a cycle."),
                code="cycle_detected",
                details={"cycle": [str(node) for node in [source, *back]]},
            )
    relationship = Relationship(
        source_type=content_type_for(source),
        source_id=source.id,
        target_type=content_type_for(target),
        target_id=target.id,
        type=type,
        metadata=metadata or {},
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            relationship.save(force_insert=True)
    except IntegrityError as exc:
        raise ConflictError(_("This relationship already exists.")) from exc
    announce(EventType.RELATIONSHIP_CREATED, relationship, source, target, actor=created_by)
    return relationship


def ends_of(relationship: Relationship) -> tuple[Node, Node]:
    labels = {ct.pk: label for label, ct in content_types_by_label().items()}
    return (
        Node(labels[relationship.source_type_id], relationship.source_id),
        Node(labels[relationship.target_type_id], relationship.target_id),
    )


@transaction.atomic
def relationship_delete(*, actor, relationship: Relationship) -> None:
    """Delete a relationship as ``actor``: whoever recorded it, or manages the end it gives
    away (relations.access.require_unlink)."""
    source, target = ends_of(relationship)
    require_unlink(
        actor,
        source=source,
        target=target,
        type=relationship.type,
        created_by_id=relationship.created_by_id,
    )
    relationship_erase(relationship=relationship, actor=actor)


@transaction.atomic
def relationship_erase(*, relationship: Relationship, actor=None) -> None:
    """Delete a relationship and announce it; no access check (services that decided)."""
    source, target = ends_of(relationship)
    announce(EventType.RELATIONSHIP_DELETED, relationship, source, target, actor=actor)
    relationship.delete()


def node_detach(node: Node, *, actor=None) -> None:
    """Delete every relationship that names ``node`` (relations does not cascade), announced
    like any other deletion; for the services that delete the object itself."""
    types = content_types_by_label()
    rows = Relationship.objects.filter(
        source_type=types[node.label], source_id=node.id
    ) | Relationship.objects.filter(target_type=types[node.label], target_id=node.id)
    for edge in rows:
        relationship_erase(relationship=edge, actor=actor)


def announce(type: str, relationship: Relationship, source: Node, target: Node, *, actor) -> None:
    """Publish a relationship event to those who may know of it.

    Its actor and any user at either end hear of it. Besides them, the viewers of the end that
    is not a user: a user node is visible to every colleague (the directory), so announcing a
    share or a membership to a user node's viewers would tell everyone who may see what.
    """
    user_label = get_user_model()._meta.label_lower
    user_ids = [actor.pk] if actor else []
    user_ids += [end.id for end in (source, target) if end.label == user_label]
    if source.label != user_label:
        node = str(source)
    elif target.label != user_label:
        node = str(target)
    else:
        node = ""  # between two users: only the two of them (and the actor)
    publish(
        type,
        event_payload(relationship, source, target),
        user_ids=user_ids,
        node=node,
        actor=actor,
    )


def event_payload(relationship: Relationship, source: Node, target: Node) -> dict[str, str]:
    return {
        "id": str(relationship.pk),
        "source": str(source),
        "target": str(target),
        "type": relationship.type,
    }
