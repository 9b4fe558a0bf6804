"""Graph nodes: a registered model plus a UUID, written ``app_label.model:uuid``."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import RelationType
from nexus_site.exceptions import ValidationError
from relations.registry import registry


@dataclass(frozen=True, order=True)
class Node:
    label: str
    id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.label}:{self.id}"

    @property
    def model(self) -> type[models.Model]:
        return registry.participants[self.label]

    @property
    def content_type(self) -> ContentType:
        return ContentType.objects.get_for_model(self.model)


def parse_node(value: object, *, field: str = "node") -> Node:
    """Return the node written in ``value``, or raise a 422 naming ``field``."""
    text = value if isinstance(value, str) else ""
    label, _sep, raw_id = text.partition(":")
    try:
        node_id = uuid.UUID(raw_id)
    except ValueError:
        raise ValidationError(
            details={field: [str(_("Write a node as app_label.model:uuid."))]}
        ) from None
    if label not in registry.participants:
        raise ValidationError(
            details={
                field: [str(_("%(label)s cannot take part in relationships.") % {"label": label})]
            }
        )
    return Node(label, node_id)


def node_of(obj: models.Model) -> Node:
    """Return the node of a model instance."""
    return Node(obj._meta.label_lower, obj.pk)  # _meta, not type(): works through lazy wrappers


def normalize(source: Node, target: Node, type: str) -> tuple[Node, Node, str]:
    """Return the stored form of a fact: child becomes parent; linked, smaller node first."""
    if type == RelationType.CHILD:
        return target, source, RelationType.PARENT.value
    if type == RelationType.LINKED and str(target) < str(source):
        return target, source, type
    return source, target, type


def content_type_for(node: Node) -> ContentType:
    return ContentType.objects.get_for_model(registry.participants[node.label])


def content_types_by_label() -> dict[str, ContentType]:
    by_model = ContentType.objects.get_for_models(*registry.participants.values())
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
