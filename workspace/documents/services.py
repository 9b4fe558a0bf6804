"""Every write on documents: create, update, versions, trash, shares, import and purge.

Each function is one transaction, takes keyword arguments and raises only BaseAppException
subclasses. Access comes from relations.access for the acting user: a document the actor may
not see answers NotFoundError (404), a visible one the actor may not change AuthorizationError
(403). Reading needs ``view``; changing content or restoring a version ``edit``; sharing,
deleting and restoring from the trash ``manage`` (the owner, an administrator or a manage
share). Every content or title change writes a new immutable DocumentVersion. Events go out
through the outbox (nexus_site.events) with the document as their node, so its viewers get them.
"""

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus_site.definitions.enums import EventType, Permission, RelationType, Role
from nexus_site.events.services import publish
from nexus_site.exceptions import (
    AuthorizationError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    ValidationError,
)
from projects.models import Project
from relations import services as relations
from relations.access import refusal_at, require, require_named
from relations.models import Relationship
from relations.nodes import node_of
from search import index as search_index
from workspace.documents.content import empty_content, validate_content
from workspace.documents.models import Document, DocumentAttachment, DocumentType, DocumentVersion
from workspace.documents.office import import_office
from workspace.files.models import File
from workspace.files.selectors import files_for_attachment

MAX_TITLE_LENGTH = 200


# --- access and helpers ------------------------------------------------------------------


def clean_title(title: Any) -> str:
    title = str(title or "").strip()
    if not title:
        raise ValidationError(details={"title": [str(_("A document needs a title."))]})
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError(
            details={
                "title": [
                    str(
                        _("A title has at most %(limit)d characters.") % {"limit": MAX_TITLE_LENGTH}
                    )
                ]
            }
        )
    return title


def clean_doc_type(doc_type: Any) -> str:
    if doc_type not in DocumentType.values:
        raise ValidationError(details={"doc_type": [str(_("Choose word, excel or powerpoint."))]})
    return str(doc_type)


def event_payload(document: Document, **extra: Any) -> dict[str, Any]:
    return {
        "document": str(document.pk),
        "title": document.title,
        "doc_type": document.doc_type,
        "version": document.version,
        **extra,
    }


def announce(type: str, document: Document, *, actor, user_ids=(), **extra: Any) -> None:
    publish(
        type,
        event_payload(document, **extra),
        user_ids=[document.owner_id, *user_ids],
        node=str(node_of(document)),
        actor=actor,
    )


def require_document(actor, action: str, document: Document) -> None:
    """Refuse unless ``actor`` may do ``action`` on ``document`` (404 unseen, 403 seen).

    A document loaded by ``selectors.document_get`` for the same actor carries the level decided
    then (``permission`` for ``permission_user_id``): that decision is taken, not asked again.
    """
    decided_for = getattr(document, "permission_user_id", None)
    if decided_for is None or decided_for != getattr(actor, "pk", None):
        require(actor, action, document)
        return
    error = refusal_at(document.permission, action)
    if error is not None:
        raise error()


def locked(document: Document) -> Document:
    """Return ``document`` re-read under a row lock (serialises concurrent writers).

    What the caller already loaded and a write cannot change is kept rather than read again:
    the owner and project rows, and the actor's decided level (``require_document``).
    """
    current = Document.objects.select_for_update().get(pk=document.pk)
    for relation in (Document.owner, Document.project):
        name = relation.field.name
        if relation.is_cached(document) and getattr(document, relation.field.attname) == getattr(
            current, relation.field.attname
        ):
            setattr(current, name, getattr(document, name))
    if hasattr(document, "permission_user_id"):
        current.permission, current.permission_user_id = (
            document.permission,
            document.permission_user_id,
        )
    return current


def write_version(document: Document, *, author) -> DocumentVersion:
    try:
        with transaction.atomic():
            return DocumentVersion.objects.create(
                document=document,
                number=document.version,
                title=document.title,
                content=document.content,
                author=author,
            )
    except IntegrityError as exc:  # another writer took this number first
        raise ConflictError(
            _("The document was changed meanwhile; reload it and try again.")
        ) from exc


# --- documents ---------------------------------------------------------------------------


@transaction.atomic
def document_create(
    *,
    actor,
    title: str,
    doc_type: str,
    content: dict[str, Any] | None = None,
    project: Project | None = None,
) -> Document:
    """Create a document owned by ``actor`` as version 1 and record the owner edge.

    Guests (the global role) cannot create documents; a project needs ``edit`` on it.
    """
    if not getattr(actor, "is_authenticated", False) or actor.role == Role.GUEST:
        raise AuthorizationError(_("Guests cannot create documents."))
    title = clean_title(title)
    doc_type = clean_doc_type(doc_type)
    if content is None:
        content = empty_content(doc_type)
    validate_content(doc_type, content)
    if project is not None:
        require_named(
            actor, Permission.EDIT, project, field="project", message=_("No such project.")
        )
    document = Document(
        title=title, doc_type=doc_type, content=content, owner=actor, project=project, version=1
    )
    document.save(force_insert=True)
    write_version(document, author=actor)
    search_index.entry_update(document)
    relations.relationship_record(
        source=node_of(actor), target=node_of(document), type=RelationType.OWNER, created_by=actor
    )
    announce(EventType.DOCUMENT_CREATED, document, actor=actor)
    return document


@transaction.atomic
def document_update(
    *,
    actor,
    document: Document,
    version: int,
    title: str | None = None,
    content: dict[str, Any] | None = None,
) -> Document:
    """Change the title and/or content of the copy at ``version``; a stale copy is a 409.

    The row is locked while the version is compared and bumped, so of two writers holding the
    same version exactly one wins; the other gets the conflict and nothing is lost.
    """
    require_document(actor, Permission.EDIT, document)
    current = locked(document)
    if current.is_deleted:
        raise NotFoundError()
    if version != current.version:
        raise ConflictError(
            _("This document was changed since you loaded it (version %(yours)d, now %(now)d).")
            % {"yours": version, "now": current.version},
            details={"current_version": current.version, "your_version": version},
        )
    changes = {}
    if title is not None:
        title = clean_title(title)
        if title != current.title:
            changes["title"] = title
    if content is not None:
        validate_content(current.doc_type, content)
        if content != current.content:
            changes["content"] = content
    if not changes:
        return current
    for name, value in changes.items():
        setattr(current, name, value)
    current.version += 1
    current.save(update_fields=[*changes, "version", "updated_at"])
    write_version(current, author=actor)
    search_index.entry_update(current)
    announce(EventType.DOCUMENT_UPDATED, current, actor=actor, changed=sorted(changes))
    return current


@transaction.atomic
def document_version_restore(*, actor, document: Document, number: int) -> Document:
    """Make a new version holding the title and content of version ``number``."""
    require_document(actor, Permission.EDIT, document)
    current = locked(document)
    if current.is_deleted:
        raise NotFoundError()
    old = DocumentVersion.objects.filter(document=current, number=number).first()
    if old is None:
        raise NotFoundError(_("This document has no such version."))
    current.title, current.content = old.title, old.content
    current.version += 1
    current.save(update_fields=["title", "content", "version", "updated_at"])
    write_version(current, author=actor)
    search_index.entry_update(current)
    announce(EventType.DOCUMENT_UPDATED, current, actor=actor, restored_from=number)
    return current


@transaction.atomic
def document_delete(*, actor, document: Document) -> Document:
    """Move ``document`` to the trash (a soft delete; the purge task removes it later)."""
    require_document(actor, Permission.MANAGE, document)
    current = locked(document)
    if current.is_deleted:
        raise NotFoundError()
    current.deleted_at = timezone.now()
    current.save(update_fields=["deleted_at", "updated_at"])
    search_index.entry_update(current)
    announce(EventType.DOCUMENT_DELETED, current, actor=actor)
    return current


@transaction.atomic
def document_restore(*, actor, document: Document) -> Document:
    """Take ``document`` back out of the trash."""
    require_document(actor, Permission.MANAGE, document)
    current = locked(document)
    if not current.is_deleted:
        raise ConflictError(_("This document is not in the trash."))
    current.deleted_at = None
    current.save(update_fields=["deleted_at", "updated_at"])
    search_index.entry_update(current)
    announce(EventType.DOCUMENT_RESTORED, current, actor=actor)
    return current


@transaction.atomic
def document_purge(*, actor, document: Document) -> None:
    """Delete ``document`` for good (live or in the trash) with its versions, attachments and
    relationships; undoes a creation, where the trash would keep what never should have been."""
    require_document(actor, Permission.MANAGE, document)
    current = locked(document)
    announce(EventType.DOCUMENT_DELETED, current, actor=actor, purged=True)
    relations.node_detach(node_of(current))
    search_index.entry_delete(current)
    current.delete()


def ensure_import_size(size: int) -> None:
    """Refuse (413) an upload larger than DOCUMENT_IMPORT_MAX_BYTES before reading it."""
    limit = settings.DOCUMENT_IMPORT_MAX_BYTES
    if size > limit:
        message = _("The file is %(size)s bytes; the limit is %(limit)s bytes.") % {
            "size": size,
            "limit": limit,
        }
        raise PayloadTooLargeError(message, details={"file": [message]}, code="file_too_large")


@transaction.atomic
def document_import(
    *,
    actor,
    data: bytes,
    filename: str,
    title: str | None = None,
    project: Project | None = None,
) -> Document:
    """Create a document from an uploaded .docx / .xlsx / .pptx (413 too large, 422 unreadable)."""
    doc_type, file_title, content = import_office(
        data, filename, max_bytes=settings.DOCUMENT_IMPORT_MAX_BYTES
    )
    return document_create(
        actor=actor,
        title=title or file_title,
        doc_type=doc_type,
        content=content,
        project=project,
    )


# --- shares ------------------------------------------------------------------------------


def share_edges(document: Document) -> QuerySet[Relationship]:
    """Return the member (share) relationships from users to ``document``."""
    types = relations.content_types_by_label()
    return Relationship.objects.filter(
        source_type=types[get_user_model()._meta.label_lower],
        target_type=types[Document._meta.label_lower],
        target_id=document.pk,
        type=RelationType.MEMBER,
    )


@transaction.atomic
def document_share(
    *,
    actor,
    document: Document,
    user,
    permission: str,
    expires_at: datetime.datetime | None = None,
) -> Relationship:
    """Give ``user`` ``permission`` on ``document`` until ``expires_at`` (a member edge).

    Sharing again with the same user replaces the earlier share.
    """
    require_document(actor, Permission.MANAGE, document)
    if permission not in Permission.values:
        raise ValidationError(
            details={"permission": [str(_("Choose view, comment, edit or manage."))]}
        )
    if user.pk == document.owner_id:
        raise ValidationError(details={"user": [str(_("The owner already has every right."))]})
    if not user.is_active:
        raise ValidationError(details={"user": [str(_("This user is not active."))]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(details={"expires_at": [str(_("Choose a time in the future."))]})
    for edge in share_edges(document).filter(source_id=user.pk):
        relations.relationship_erase(relationship=edge, actor=actor)
    metadata: dict[str, Any] = {"permission": permission}
    if expires_at is not None:
        metadata["expires_at"] = expires_at.isoformat()
    edge = relations.relationship_record(
        source=node_of(user),
        target=node_of(document),
        type=RelationType.MEMBER,
        metadata=metadata,
        created_by=actor,
    )
    announce(
        EventType.DOCUMENT_SHARED,
        document,
        actor=actor,
        user_ids=[user.pk],
        user=str(user.pk),
        permission=permission,
        expires_at=metadata.get("expires_at"),
    )
    return edge


@transaction.atomic
def document_unshare(*, actor, document: Document, user) -> None:
    """Stop sharing ``document`` with ``user``."""
    require_document(actor, Permission.MANAGE, document)
    edges = list(share_edges(document).filter(source_id=user.pk))
    if not edges:
        raise NotFoundError(_("This document is not shared with that user."))
    for edge in edges:
        relations.relationship_erase(relationship=edge, actor=actor)


# --- purge -------------------------------------------------------------------------------


def document_trash_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete for good the documents trashed longer than DOCUMENT_TRASH_RETENTION_DAYS.

    Each document goes in its own transaction with its versions and relationships; running it
    again finds nothing more to do. Return how many were purged.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.DOCUMENT_TRASH_RETENTION_DAYS)
    purged = 0
    ids = list(Document.objects.filter(deleted_at__lte=cutoff).values_list("pk", flat=True))
    for document_id in ids:
        with transaction.atomic():
            document = (
                Document.objects.select_for_update()
                .filter(pk=document_id, deleted_at__lte=cutoff)
                .first()
            )
            if document is None:  # restored or purged meanwhile
                continue
            relations.node_detach(node_of(document))
            document.delete()
            purged += 1
    return purged


# --- attachments -------------------------------------------------------------------------


@transaction.atomic
def document_attach(*, actor, document: Document, file_id: Any) -> DocumentAttachment:
    """Attach a file ``actor`` may see to a document ``actor`` may edit; attaching twice is
    one attachment."""
    require_document(actor, Permission.EDIT, document)
    (file,) = files_for_attachment(actor, [file_id])
    attachment, created = DocumentAttachment.objects.get_or_create(
        document=document, file=file, defaults={"attached_by": actor}
    )
    if created:
        announce(EventType.DOCUMENT_UPDATED, document, actor=actor, attached=str(file.pk))
    return attachment


@transaction.atomic
def document_detach(*, actor, document: Document, file: File) -> None:
    """Remove ``file`` from ``document``'s attachments (the file itself stays)."""
    require_document(actor, Permission.EDIT, document)
    deleted, _rows = DocumentAttachment.objects.filter(document=document, file=file).delete()
    if not deleted:
        raise NotFoundError()
    announce(EventType.DOCUMENT_UPDATED, document, actor=actor, detached=str(file.pk))
