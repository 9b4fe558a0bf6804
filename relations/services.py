"""Every write on the graph: create and delete relationships, with validation and cycle refusal."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType, RelationType
from nexus_site.events.services import publish
from nexus_site.exceptions import ConflictError, ValidationError
from relations.algorithms import TraversalLimitExceeded
from relations.hierarchy import ancestry
from relations.models import Relationship
from relations.nodes import Node
from relations.registry import registry

# One PostgreSQL advisory lock serialises parent edge writes, so two concurrent writers can
# never each add half of a cycle. (SQLite already serialises writers: IMMEDIATE transactions.)
PARENT_EDGE_LOCK = 7_318_204_001
GRANT_TYPES = (RelationType.OWNER.value, RelationType.MEMBER.value)


def normalize(source: Node, target: Node, type: str) -> tuple[Node, Node, str]:
    """Return the stored form of a fact: child becomes parent; linked, smaller node first."""
    if type == RelationType.CHILD:
        return target, source, RelationType.PARENT.value
    if type == RelationType.LINKED and str(target) < str(source):
        return target, source, type
    return source, target, type


def content_type_for(node: Node) -> ContentType:
    return ContentType.objects.get_for_model(registry.participants[node.label])


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


def content_types_by_label() -> dict[str, ContentType]:
    models = list(registry.participants.values())
    by_model = ContentType.objects.get_for_models(*models)
    return {model._meta.label_lower: ct for model, ct in by_model.items()}


def nodes_filter(end: str, nodes: Iterable[Node], types: dict[str, ContentType]) -> Q:
    """Return a filter for relationships whose ``end`` (source or target) is in ``nodes``."""
    by_label: dict[str, list] = {}
    for node in nodes:
        by_label.setdefault(node.label, []).append(node.id)
    condition = Q(pk__in=[])
    for label, ids in by_label.items():
        condition |= Q(**{f"{end}_type": types[label], f"{end}_id__in": ids})
    return condition


def ensure_exists(node: Node, field: str) -> None:
    if not registry.participants[node.label].objects.filter(pk=node.id).exists():
        raise ValidationError(details={field: [str(_("No such object."))]})


@transaction.atomic
def relationship_create(
    *,
    source: Node,
    target: Node,
    type: str,
    metadata: dict[str, Any] | None = None,
    created_by=None,
) -> Relationship:
    """Record that ``source`` is ``type`` of ``target``; refuse bad pairs, duplicates and cycles."""
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


@transaction.atomic
def relationships_grant(
    *,
    pairs: Iterable[tuple[Node, Node]],
    metadata: dict[str, Any] | None = None,
    created_by=None,
) -> list[Relationship]:
    """Record many ``member`` grants at once (one per source-target pair) and announce each.

    For fan-outs such as giving every recipient of a message view on its attachments. The
    checks of relationship_create are made once per model pair, the callers' objects are
    trusted to exist (they hold them), and pairs that already have an owner or member edge are
    skipped, also when a concurrent writer adds one (the unique constraint decides).
    """
    pairs = list(dict.fromkeys(pairs))
    type = RelationType.MEMBER.value
    for label_pair in {(source.label, target.label) for source, target in pairs}:
        if not registry.is_allowed(type, *label_pair):
            raise ValidationError(
                _("%(source)s cannot be %(type)s of %(target)s.")
                % {"source": label_pair[0], "type": type, "target": label_pair[1]}
            )
    if any(source == target for source, target in pairs):
        raise ValidationError(_("An object cannot relate to itself."))
    types = content_types_by_label()
    rows = [
        Relationship(
            source_type=types[source.label],
            source_id=source.id,
            target_type=types[target.label],
            target_id=target.id,
            type=type,
            metadata=metadata or {},
            created_by=created_by,
        )
        for source, target in pairs
    ]
    held = set(existing_pairs(pairs, GRANT_TYPES, types))
    fresh = [(row, pair) for row, pair in zip(rows, pairs, strict=True) if pair not in held]
    Relationship.objects.bulk_create([row for row, _pair in fresh], ignore_conflicts=True)
    # A row a concurrent writer beat us to was not inserted: keep the ones that were.
    inserted = set(
        Relationship.objects.filter(pk__in=[row.pk for row, _pair in fresh]).values_list(
            "pk", flat=True
        )
    )
    made = [(row, pair) for row, pair in fresh if row.pk in inserted]
    for row, (source, target) in made:
        announce(EventType.RELATIONSHIP_CREATED, row, source, target, actor=created_by)
    return [row for row, _pair in made]


def existing_pairs(
    pairs: list[tuple[Node, Node]], edge_types: Iterable[str], types: dict[str, ContentType]
) -> Iterable[tuple[Node, Node]]:
    """Yield the pairs among ``pairs`` that already have an edge of ``edge_types`` (one query)."""
    if not pairs:
        return
    sources = nodes_filter("source", {source for source, _target in pairs}, types)
    targets = nodes_filter("target", {target for _source, target in pairs}, types)
    labels = {ct.pk: label for label, ct in types.items()}
    found = Relationship.objects.filter(sources, targets, type__in=list(edge_types)).values_list(
        "source_type_id", "source_id", "target_type_id", "target_id"
    )
    for source_type, source_id, target_type, target_id in found:
        yield Node(labels[source_type], source_id), Node(labels[target_type], target_id)


@transaction.atomic
def relationship_delete(*, relationship: Relationship, actor=None) -> None:
    """Delete a relationship and announce it."""
    labels = {ct.pk: label for label, ct in content_types_by_label().items()}
    source = Node(labels[relationship.source_type_id], relationship.source_id)
    target = Node(labels[relationship.target_type_id], relationship.target_id)
    announce(EventType.RELATIONSHIP_DELETED, relationship, source, target, actor=actor)
    relationship.delete()


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
