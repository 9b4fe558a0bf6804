"""Uploaded files, the content-addressed blobs that hold their bytes, and public links.

A ``Blob`` is one distinct content (by SHA-256), stored once in Django's default storage and
counted by the files that use it; a ``File`` is one upload of it by one user. A
``PublicLink`` lets anyone with its token download a file without signing in while it is valid.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.ids import uuid7

__all__ = ["Blob", "File", "PublicLink"]

SHA256_LENGTH = 64
NAME_MAX_LENGTH = 255


class Blob(models.Model):
    """One distinct content; ``refcount`` is the number of files that use it."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=SHA256_LENGTH, unique=True, editable=False)
    size = models.PositiveBigIntegerField(_("size in bytes"), editable=False)
    refcount = models.PositiveIntegerField(_("files using it"), default=0)
    storage_name = models.CharField(_("storage name"), max_length=300, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("blob")
        verbose_name_plural = _("blobs")
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refcount__gte=0), name="files_blob_refcount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.sha256


class File(models.Model):
    """One upload by one user: a name, the detected type and the blob holding the bytes."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # Mirrors the owner relationship (the graph decides access); services keep both in step.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="files",
    )
    # PROTECT: a blob row can never go while a file still points at it.
    blob = models.ForeignKey(
        Blob, verbose_name=_("blob"), on_delete=models.PROTECT, related_name="files"
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    size = models.PositiveBigIntegerField(_("size in bytes"), editable=False)
    mime_type = models.CharField(_("MIME type"), max_length=255, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=SHA256_LENGTH, editable=False)
    download_count = models.PositiveIntegerField(_("downloads"), default=0, editable=False)
    # A file in a project stays its uploader's when the project goes.
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="files",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("file")
        verbose_name_plural = _("files")
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="files_file_name_not_empty"),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="files_owner_created_idx"),
            models.Index(fields=["project", "-created_at"], name="files_project_created_idx"),
            models.Index(fields=["mime_type"], name="files_mime_type_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class PublicLink(models.Model):
    """A download link that needs no login, valid until revoked, expired or used up.

    Only the SHA-256 of the token is kept: whoever reads the database cannot download.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    file = models.ForeignKey(
        File, verbose_name=_("file"), on_delete=models.CASCADE, related_name="public_links"
    )
    token_hash = models.CharField(
        _("token hash"), max_length=SHA256_LENGTH, unique=True, editable=False
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    max_downloads = models.PositiveIntegerField(_("download limit"), null=True, blank=True)
    download_count = models.PositiveIntegerField(_("downloads"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("public link")
        verbose_name_plural = _("public links")
        ordering = ["-created_at", "id"]
        constraints = [
            # A file has at most one current link; creating another revokes the old one.
            models.UniqueConstraint(
                fields=["file"],
                condition=Q(revoked_at__isnull=True),
                name="files_one_current_link_per_file",
            ),
            models.CheckConstraint(
                condition=Q(max_downloads__isnull=True) | Q(max_downloads__gte=1),
                name="files_link_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_downloads__isnull=True) | Q(download_count__lte=F("max_downloads")),
                name="files_link_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} ({self.created_at:%Y-%m-%d})"

    def is_valid_at(self, now) -> bool:
        """Return whether the link still lets a download through at ``now``."""
        if self.revoked_at is not None:
            return False
        if self.expires_at is not None and self.expires_at <= now:
            return False
        return self.max_downloads is None or self.download_count < self.max_downloads

    @property
    def is_valid(self) -> bool:
        return self.is_valid_at(timezone.now())


def valid_links_filter(now, prefix: str = "") -> Q:
    """Return the condition a link row meets while it lets a download through at ``now``."""
    return (
        Q(**{f"{prefix}revoked_at__isnull": True})
        & (Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now}))
        & (
            Q(**{f"{prefix}max_downloads__isnull": True})
            | Q(**{f"{prefix}download_count__lt": F(f"{prefix}max_downloads")})
        )
    )
