"""The documents panel of "My work": documents others shared with the user, newest share first."""

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery

from nexus_site.dashboard import Panel, register_panel
from nexus_site.definitions.enums import Permission, RelationType
from relations.access import live_grants
from relations.models import Relationship
from relations.nodes import content_types_by_label
from workspace.documents.models import Document

SHOWN = 8


def shared_documents(user) -> dict | None:
    """Return the live documents shared with ``user`` through a share (a member edge to them)
    that has not expired, newest share first; None when there are none.

    The user's live grants are read once for every panel (``live_grants``); one statement reads
    the documents with the time of their share.
    """
    label = Document._meta.label_lower
    levels = {node.id: level for node, level in live_grants(user) if node.label == label}
    if not levels:
        return None
    types = content_types_by_label()
    share = Relationship.objects.filter(
        source_type=types[get_user_model()._meta.label_lower],
        source_id=user.pk,
        type=RelationType.MEMBER,
        target_type=types[label],
        target_id=OuterRef("pk"),
    )
    documents = list(
        Document.objects.filter(pk__in=list(levels), deleted_at__isnull=True)
        .exclude(owner=user)
        .annotate(shared_at=Subquery(share.values("created_at")[:1]))
        .filter(shared_at__isnull=False)
        .select_related("owner")
        .only(
            "id",
            "title",
            "doc_type",
            "owner__id",
            "owner__email",
            "owner__first_name",
            "owner__last_name",
        )
        .order_by("-shared_at", "id")[:SHOWN]
    )
    for document in documents:
        document.share_level = Permission(levels[document.pk]).label
    return {"documents": documents} if documents else None


def register() -> None:
    register_panel(
        Panel("shared_documents", "workspace/dashboard/shared_documents.html", shared_documents, 3)
    )
