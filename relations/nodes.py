"""Graph nodes: a registered model plus a UUID, written ``app_label.model:uuid``."""

import uuid
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

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
