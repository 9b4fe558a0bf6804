from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import RelationType
from nexus_site.ids import uuid7

# Child is stored as the parent fact read backwards, so one fact is one row.
STORED_TYPES = [choice for choice in RelationType.values if choice != RelationType.CHILD]


class Relationship(models.Model):
    """``source`` is ``type`` of ``target``: owner, member, linked or parent.

    ``child`` edges are stored as the equivalent parent edge; ``linked`` edges are stored with
    the smaller node first. Either way a fact has exactly one row.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    source_type = models.ForeignKey(
        ContentType, verbose_name=_("source model"), on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.UUIDField(_("source id"))
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("target model"), on_delete=models.PROTECT, related_name="+"
    )
    target_id = models.UUIDField(_("target id"))
    type = models.CharField(_("type"), max_length=16, choices=RelationType.choices)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "type", "target_type", "target_id"],
                name="relations_relationship_unique_fact",
            ),
            models.CheckConstraint(
                condition=~(Q(source_type=F("target_type")) & Q(source_id=F("target_id"))),
                name="relations_relationship_not_self",
            ),
            models.CheckConstraint(
                condition=Q(type__in=STORED_TYPES), name="relations_relationship_stored_type"
            ),
        ]
        indexes = [
            models.Index(fields=["target_type", "target_id", "type"], name="relations_target_idx"),
            models.Index(fields=["type", "created_at"], name="relations_type_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source_node} {self.type} {self.target_node}"

    @property
    def source_node(self) -> str:
        return f"{self.source_type.app_label}.{self.source_type.model}:{self.source_id}"

    @property
    def target_node(self) -> str:
        return f"{self.target_type.app_label}.{self.target_type.model}:{self.target_id}"
