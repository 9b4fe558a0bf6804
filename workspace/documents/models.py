"""Documents (Word-, Excel- and PowerPoint-like content kept as validated JSON) and their
immutable version history.

Who may see or change a document is not stored here: it lives in the relations graph (the
owner edge, share edges from users, and the optional project as structural parent).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.ids import uuid7

__all__ = ["Document", "DocumentAttachment", "DocumentType", "DocumentVersion"]


class DocumentType(models.TextChoices):
    WORD = "word", _("Word document")
    EXCEL = "excel", _("Excel workbook")
    POWERPOINT = "powerpoint", _("PowerPoint presentation")


class Document(models.Model):
    """A document of one type whose content follows that type's schema (documents.content).

    ``version`` is the number of its latest DocumentVersion; a soft-deleted document has
    ``deleted_at`` set and sits in the trash until restored or purged.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    title = models.CharField(_("title"), max_length=200)
    doc_type = models.CharField(_("type"), max_length=16, choices=DocumentType.choices)
    content = models.JSONField(_("content"), default=dict)
    # Mirrors the owner relationship (the graph decides access); services keep both in step.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_documents",
    )
    # Members of the project reach the document (a structural parent in the registry). A
    # deleted project leaves its documents to their owners rather than orphaning graph rows.
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-updated_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(doc_type__in=DocumentType.values),
                name="workspace_document_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="workspace_document_version_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="workspace_doc_owner_idx"),
            models.Index(fields=["project", "-updated_at"], name="workspace_doc_project_idx"),
            models.Index(
                fields=["deleted_at"],
                name="workspace_doc_trash_idx",
                condition=Q(deleted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class DocumentVersion(models.Model):
    """One saved state of a document: written once, never changed."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    content = models.JSONField(_("content"), default=dict)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "-number"]
        constraints = [
            # Also the index that serves a document's history.
            models.UniqueConstraint(
                fields=["document", "number"], name="workspace_docversion_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="workspace_docversion_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"


class DocumentAttachment(models.Model):
    """A file attached to a document. Whoever may view the document may download it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.ForeignKey(
        "workspace.File",
        verbose_name=_("file"),
        on_delete=models.CASCADE,
        related_name="document_attachments",
    )
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attached by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attached_at = models.DateTimeField(_("attached at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("document attachment")
        verbose_name_plural = _("document attachments")
        ordering = ["document", "attached_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "file"], name="workspace_docattachment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} + {self.file_id}"
