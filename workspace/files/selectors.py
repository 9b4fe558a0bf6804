"""Every read of files on behalf of a user: access filtering, the derived ``is_public`` flag,
storage usage and the attachment check later sub-domains (documents, mail, chat) rely on.

``is_public`` is derived, not stored: a file is public exactly while one of its links is valid
(not revoked, not expired, downloads left). Expiry is a matter of time, so a stored flag would
be wrong between the moment a link expires and the moment something rewrites it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import NotFoundError, ValidationError
from nexus_site.queries import first_or_none
from relations.access import visible_filter
from workspace.files.models import Blob, File, PublicLink, valid_links_filter


def with_public_flag(files: QuerySet[File]) -> QuerySet[File]:
    """Annotate ``is_public``: whether the file has a valid public link now."""
    valid = PublicLink.objects.filter(valid_links_filter(timezone.now()), file=OuterRef("pk"))
    return files.annotate(is_public=Exists(valid))


def files_visible_to(user) -> QuerySet[File]:
    """Return the files ``user`` may see (own, shared, or in a visible project)."""
    return with_public_flag(
        File.objects.filter(visible_filter(user, File)).select_related("owner", "project")
    )


def file_get(user, file_id: UUID | str) -> File:
    """Return one file ``user`` may see; NotFoundError otherwise."""
    file = first_or_none(files_visible_to(user), file_id)
    if file is None:
        raise NotFoundError()
    return file


def files_for_attachment(user, file_ids: Iterable[UUID | str]) -> list[File]:
    """Return the files named by ``file_ids`` in that order (repeats once), all visible to
    ``user``; otherwise ValidationError naming every id that cannot be attached.

    A file that exists but is hidden from ``user`` is reported like one that does not exist.
    """
    wanted: list[str] = []
    bad: list[str] = []
    for raw in file_ids:
        try:
            key = str(UUID(str(raw)))
        except (ValueError, TypeError, AttributeError):
            bad.append(str(raw))
            continue
        if key not in wanted:
            wanted.append(key)
    found = {str(file.pk): file for file in files_visible_to(user).filter(pk__in=wanted)}
    bad += [key for key in wanted if key not in found]
    if bad:
        raise ValidationError(
            _("These files cannot be attached: they do not exist or you may not see them."),
            details={"file_ids": bad},
        )
    return [found[key] for key in wanted]


@dataclass(frozen=True)
class Usage:
    """A user's storage: ``logical`` counts every file, ``physical`` each distinct blob once."""

    file_count: int
    logical_bytes: int
    physical_bytes: int
    quota_bytes: int

    @property
    def available_bytes(self) -> int:
        return max(self.quota_bytes - self.logical_bytes, 0)

    @property
    def logical_percent(self) -> int:
        return min(100, self.logical_bytes * 100 // self.quota_bytes) if self.quota_bytes else 100

    @property
    def physical_percent(self) -> int:
        return min(100, self.physical_bytes * 100 // self.quota_bytes) if self.quota_bytes else 100


def logical_usage(user) -> tuple[int, int]:
    """Return how many files ``user`` owns and their total size."""
    totals = File.objects.filter(owner=user).aggregate(
        count=Count("pk"), total=Coalesce(Sum("size"), 0)
    )
    return totals["count"], totals["total"]


def usage_of(user) -> Usage:
    """Return ``user``'s storage usage against the quota (two queries)."""
    count, logical = logical_usage(user)
    physical = Blob.objects.filter(
        pk__in=File.objects.filter(owner=user).values("blob_id")
    ).aggregate(total=Coalesce(Sum("size"), 0))["total"]
    return Usage(
        file_count=count,
        logical_bytes=logical,
        physical_bytes=physical,
        quota_bytes=settings.FILE_USER_QUOTA_BYTES,
    )


def current_link(file: File) -> PublicLink | None:
    """Return the file's current (not revoked) public link, valid or not, or None."""
    return PublicLink.objects.filter(file=file, revoked_at__isnull=True).first()


def blobs_with_usage() -> QuerySet[Blob]:
    """Return blobs annotated with how many files use them (for staff screens)."""
    return Blob.objects.annotate(file_count=Count("files"))


def public_links_of(file: File, *, limit: int) -> list[PublicLink]:
    """Return the latest ``limit`` public links of ``file``, current and past, newest first
    (for a page the caller has already let see the file and manage its links)."""
    return list(PublicLink.objects.filter(file=file).order_by("-created_at", "-id")[:limit])
