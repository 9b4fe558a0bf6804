"""Every write on files: upload, rename/move, delete and public links.

Blobs are content-addressed and reference-counted. Writes that touch a blob take a lock on
its SHA-256 first (a PostgreSQL advisory lock held to the end of the transaction; SQLite
already serialises writers), so an upload and a delete of the same content never interleave:

- upload: under the lock, bump the blob's ``refcount`` or write the bytes and create the row;
- delete: under the lock, drop the file and decrement; at 0 delete the row, and once that
  commits delete the bytes, again under the lock and only if no row came back meanwhile.

Quota checks lock the uploader's user row, so two uploads of one user cannot both pass.
"""

import base64
import datetime
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import File as DjangoFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType, Permission, RelationType
from nexus_site.events.services import publish
from nexus_site.exceptions import (
    GoneError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationError,
)
from nexus_site.ids import uuid7
from projects.models import Project
from relations import services as relations
from relations.access import require, require_named, require_placement
from relations.nodes import node_of
from search import index as search_index
from workspace.files import content
from workspace.files.models import Blob, File, PublicLink, valid_links_filter
from workspace.files.selectors import logical_usage
from workspace.files.uploads import too_large

UPDATABLE_FIELDS = frozenset({"name", "project"})
NO_SUCH_PROJECT = _("No such project.")


# --- blobs ------------------------------------------------------------------------------------


def lock_content(sha256: str) -> None:
    """Hold a lock on one content until the transaction ends (PostgreSQL; no-op on SQLite)."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(bytes.fromhex(sha256[:16]), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def blob_acquire(*, sha256: str, size: int, source: DjangoFile) -> Blob:
    """Return the blob for this content with one more reference, storing the bytes if new.

    Runs inside the caller's transaction, which must hold ``lock_content(sha256)``.
    """
    if Blob.objects.filter(sha256=sha256).update(refcount=F("refcount") + 1):
        return Blob.objects.get(sha256=sha256)
    name = content.blob_storage_name(sha256)
    if default_storage.exists(name):  # left by a transaction that rolled back: same bytes
        default_storage.delete(name)
    source.seek(0)
    stored = default_storage.save(name, source)
    return Blob.objects.create(sha256=sha256, size=size, refcount=1, storage_name=stored)


def blob_release(*, blob_id: Any) -> None:
    """Drop one reference to a blob; the last one deletes its row, and its bytes on commit.

    Runs inside the caller's transaction, which must hold ``lock_content`` for the blob.
    """
    Blob.objects.filter(pk=blob_id).update(refcount=F("refcount") - 1)
    blob = Blob.objects.get(pk=blob_id)
    if blob.refcount > 0:
        return
    sha256, name = blob.sha256, blob.storage_name
    blob.delete()
    transaction.on_commit(lambda: blob_bytes_purge(sha256=sha256, name=name))


def blob_bytes_purge(*, sha256: str, name: str) -> None:
    """Delete a released blob's bytes, unless an upload brought the content back meanwhile."""
    with transaction.atomic():
        lock_content(sha256)
        if not Blob.objects.filter(sha256=sha256).exists():
            default_storage.delete(name)


# --- files ------------------------------------------------------------------------------------


def quota_exceeded(*, used: int, adding: int, quota: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        _("This upload would pass your storage quota."),
        code="quota_exceeded",
        details={"used_bytes": used, "upload_bytes": adding, "quota_bytes": quota},
    )


def file_upload(
    *,
    actor,
    upload: DjangoFile,
    name: str | None = None,
    project: Project | None = None,
) -> File:
    """Store an uploaded file for ``actor``; identical content shares one blob.

    Refuse with 413 ``file_too_large`` past FILE_UPLOAD_MAX_BYTES and ``quota_exceeded``
    when the owner's files would pass FILE_USER_QUOTA_BYTES; nothing is kept then.
    """
    if not getattr(actor, "is_authenticated", False):
        raise NotFoundError()
    limit = settings.FILE_UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise too_large(limit)
    if project is not None:
        require_named(actor, Permission.EDIT, project, field="project", message=NO_SUCH_PROJECT)
    upload.seek(0)
    try:
        inspected = content.inspect_chunks(upload.chunks(), max_bytes=limit)
    except content.TooLarge as exc:
        raise too_large(limit) from exc
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
        _count, used = logical_usage(actor)
        quota = settings.FILE_USER_QUOTA_BYTES
        if used + inspected.size > quota:
            raise quota_exceeded(used=used, adding=inspected.size, quota=quota)
        lock_content(inspected.sha256)
        blob = blob_acquire(sha256=inspected.sha256, size=inspected.size, source=upload)
        file = File.objects.create(
            owner=actor,
            blob=blob,
            name=content.safe_name(name if name is not None else upload.name),
            size=inspected.size,
            mime_type=inspected.mime_type,
            sha256=inspected.sha256,
            project=project,
        )
        relations.relationship_record(
            source=node_of(actor), target=node_of(file), type=RelationType.OWNER, created_by=actor
        )
        search_index.entry_update(file)
        publish(
            EventType.FILE_UPLOADED,
            {"file": str(file.pk), "name": file.name, "size": file.size, "sha256": file.sha256},
            user_ids=[actor.pk],
            node=str(node_of(file)),
            actor=actor,
        )
    return file


@transaction.atomic
def file_update(*, actor, file: File, **fields: Any) -> File:
    """Rename a file (edit) or move it into (or out of, with None) a project.

    Moving changes who reaches the file, so it needs manage on the file and edit on the new
    project: an editor cannot take a file into a project of their own.
    """
    unknown = sorted(set(fields) - UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError(
            details={name: [str(_("This field cannot be changed."))] for name in unknown}
        )
    require(actor, Permission.EDIT, file)
    file = File.objects.select_for_update().get(pk=file.pk)
    changed = []
    if "name" in fields:
        name = content.safe_name(fields["name"])
        if name != file.name:
            file.name = name
            changed.append("name")
    if "project" in fields:
        project = fields["project"]
        if (project.pk if project else None) != file.project_id:
            require_placement(actor, file, project, field="project", message=NO_SUCH_PROJECT)
            file.project = project
            changed.append("project")
    if changed:
        file.save(update_fields=[*changed, "updated_at"])
        search_index.entry_update(file)
    return file


@transaction.atomic
def file_delete(*, actor, file: File) -> None:
    """Delete a file and its graph rows; its blob goes with the last file that uses it."""
    require(actor, Permission.MANAGE, file)
    lock_content(file.sha256)
    file = File.objects.select_for_update().filter(pk=file.pk).first()
    if file is None:
        raise NotFoundError()
    node = str(node_of(file))
    payload = {"file": str(file.pk), "name": file.name, "sha256": file.sha256}
    relations.node_detach(node_of(file), actor=actor)
    blob_id, owner_id = file.blob_id, file.owner_id
    search_index.entry_delete(file)
    file.delete()
    blob_release(blob_id=blob_id)
    publish(EventType.FILE_DELETED, payload, user_ids=[actor.pk, owner_id], node=node, actor=actor)


def file_download_count(*, file: File) -> None:
    """Count one download of ``file`` (atomic in SQL, so concurrent downloads all count)."""
    File.objects.filter(pk=file.pk).update(download_count=F("download_count") + 1)


# --- public links -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedLink:
    """A link just created, with its token."""

    link: PublicLink
    token: str


TOKEN_SALT = "workspace.files.PublicLink"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_token(link_id) -> str:
    """Return the token of the link ``link_id``: an HMAC of its id under the site's secret key.

    The database keeps only the token's SHA-256, so whoever reads the database alone still cannot
    download; those who manage the file can be shown the address again at any time.
    """
    digest = salted_hmac(TOKEN_SALT, str(link_id), algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_link_token(link: PublicLink) -> str | None:
    """Return ``link``'s token, or None when it cannot be worked out again (a link made before
    tokens were derived, or under a secret key since replaced)."""
    token = link_token(link.pk)
    return token if hmac.compare_digest(token_hash(token), link.token_hash) else None


@transaction.atomic
def public_link_create(
    *,
    actor,
    file: File,
    expires_at: datetime.datetime | None = None,
    max_downloads: int | None = None,
) -> CreatedLink:
    """Give ``file`` a new public link, revoking the current one."""
    require(actor, Permission.MANAGE, file)
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError(details={"expires_at": [str(_("Choose a time in the future."))]})
    if max_downloads is not None and max_downloads < 1:
        raise ValidationError(details={"max_downloads": [str(_("Allow at least one download."))]})
    File.objects.select_for_update().filter(pk=file.pk).first()
    PublicLink.objects.filter(file=file, revoked_at__isnull=True).update(revoked_at=now)
    link_id = uuid7()
    token = link_token(link_id)
    link = PublicLink.objects.create(
        id=link_id,
        file=file,
        token_hash=token_hash(token),
        expires_at=expires_at,
        max_downloads=max_downloads,
        created_by=actor,
    )
    return CreatedLink(link=link, token=token)


@transaction.atomic
def public_link_revoke(*, actor, file: File) -> PublicLink:
    """Revoke ``file``'s current public link; NotFoundError when it has none."""
    require(actor, Permission.MANAGE, file)
    link = PublicLink.objects.select_for_update().filter(file=file, revoked_at__isnull=True).first()
    if link is None:
        raise NotFoundError(_("This file has no public link."))
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    return link


@transaction.atomic
def public_link_download(*, token: str) -> File:
    """Count one download through a public link and return its file.

    NotFoundError for a token nobody issued; GoneError once the link is revoked, expired or
    used up. The limit is enforced by a conditional UPDATE, so racing downloads never pass it.
    """
    link = PublicLink.objects.filter(token_hash=token_hash(token)).first()
    if link is None:
        raise NotFoundError()
    now = timezone.now()
    counted = PublicLink.objects.filter(valid_links_filter(now), pk=link.pk).update(
        download_count=F("download_count") + 1
    )
    if not counted:
        raise GoneError(_("This link has expired or been revoked."))
    file = File.objects.get(pk=link.file_id)
    file_download_count(file=file)
    return file
