def register() -> None:
    """Register this sub-domain's models and relationship types with the relations engine."""
    from django.contrib.auth import get_user_model

    from nexus_site.definitions.enums import RelationType
    from relations.registry import registry
    from workspace.files.models import File

    user = get_user_model()
    # A file's project is its structural parent: the project's members see its files.
    registry.register_model(File, structural_parents=("project",))
    registry.allow(RelationType.OWNER, user, File)
    # View grants (mail recipients, shares) are member edges carrying a permission.
    registry.allow(RelationType.MEMBER, user, File)
