"""Every read of documents on behalf of a user: access filtering and the joins callers need.

A trashed document is invisible to the normal reads (404) and only listed by the trash ones.
"""

from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import NotFoundError
from nexus_site.queries import first_or_none
from projects.models import Project
from relations.access import (
    permission_on,
    reachable_containers,
    sees_everything,
    visible_filter,
)
from relations.models import Relationship
from relations.nodes import Node, node_of
from workspace.documents.models import Document, DocumentAttachment, DocumentVersion
from workspace.documents.services import share_edges


def documents_visible_to(
    user, *, deleted: bool = False, reached: set[Node] | None = None
) -> QuerySet[Document]:
    """Return the documents ``user`` may see: live ones, or with ``deleted`` the trash.

    ``reached``: the containers ``user`` reaches (``containers_reached``), when the caller
    filters other models for the same request too.
    """
    return Document.objects.filter(
        visible_filter(user, Document, reached=reached), deleted_at__isnull=not deleted
    ).select_related("owner", "project")


def containers_reached(user) -> set[Node] | None:
    """Return what ``user`` reaches, for several filters in one request to share (None: the
    filters need no graph for this user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if sees_everything(user):
        return None
    return reachable_containers(user)


def project_choices(user, *, reached: set[Node] | None = None) -> QuerySet[Project]:
    """Return the projects ``user`` may see, by name, with only what a choice shows."""
    projects = Project.objects.filter(visible_filter(user, Project, reached=reached))
    return projects.only("id", "name").order_by("name", "id")


def document_get(user, document_id: UUID | str, *, deleted: bool = False) -> Document:
    """Return one document ``user`` may see (live, or trashed with ``deleted``); else 404.

    Access is decided once, on the document's node (not by loading everything the user sees):
    the document carries ``permission``, what ``user`` may do on it, and the services acting
    for the same user take that decision instead of asking again (``document_permission``).
    """
    documents = Document.objects.filter(deleted_at__isnull=not deleted)
    document = first_or_none(documents.select_related("owner", "project"), document_id)
    if document is None:
        raise NotFoundError()
    permission = decide(user, document)
    if permission is None:
        raise NotFoundError()
    return document


def decide(user, document: Document) -> str | None:
    """Return ``user``'s level on ``document`` and keep it on the document for this request."""
    document.permission = permission_on(user, node_of(document))
    document.permission_user_id = getattr(user, "pk", None)
    return document.permission


def document_permission(user, document: Document) -> str | None:
    """Return the strongest permission ``user`` holds on ``document`` (None: not even view);
    the decision ``document_get`` made for the same user when there is one."""
    decided_for = getattr(document, "permission_user_id", None)
    if decided_for is not None and decided_for == getattr(user, "pk", None):
        return document.permission
    return decide(user, document)


def document_versions(document: Document) -> QuerySet[DocumentVersion]:
    """Return the history of ``document``, newest first, with the authors loaded."""
    return (
        DocumentVersion.objects.filter(document=document)
        .select_related("author")
        .order_by("-number")
    )


def document_version_get(document: Document, number: Any) -> DocumentVersion:
    """Return version ``number`` of ``document``, or NotFoundError."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFoundError() from None
    version = document_versions(document).filter(number=number).first()
    if version is None:
        raise NotFoundError(_("This document has no such version."))
    return version


def document_shares(document: Document) -> QuerySet[Relationship]:
    """Return the shares of ``document`` (member edges), oldest first."""
    return share_edges(document).order_by("created_at", "id")


def users_by_id(ids) -> dict:
    """Return the users with these ids, by id, in one query."""
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=list(ids))}


def user_by_id(user_id: UUID | str, *, active_only: bool = True):
    users = get_user_model().objects.all()
    if active_only:
        users = users.filter(is_active=True)
    return first_or_none(users, user_id)


def document_attachments(document: Document) -> QuerySet[DocumentAttachment]:
    """Return ``document``'s attachments, oldest first, with their files."""
    return DocumentAttachment.objects.filter(document=document).select_related("file")


def document_attachment_get(document: Document, file_id: UUID | str) -> DocumentAttachment:
    """Return the attachment of ``file_id`` to ``document``, else NotFoundError."""
    attachment = document_attachments(document).filter(file_id=file_id).first()
    if attachment is None:
        raise NotFoundError()
    return attachment
