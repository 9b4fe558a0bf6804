def register() -> None:
    """Register this sub-domain's models and relationship types with the relations engine."""
    from django.contrib.auth import get_user_model

    from nexus_site.definitions.enums import RelationType
    from relations.registry import registry
    from workspace.documents.models import Document

    user = get_user_model()
    # The project is the document's structural parent: project members reach its documents.
    # The key is nullable; relations.hierarchy skips a document without a project.
    registry.register_model(Document, structural_parents=("project",))
    registry.allow(RelationType.OWNER, user, Document)
    registry.allow(RelationType.MEMBER, user, Document)  # shares
