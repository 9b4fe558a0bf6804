def register() -> None:
    """Register this sub-domain's models and relationship types with the relations engine."""
    from django.contrib.auth import get_user_model

    from nexus_site.definitions.enums import RelationType
    from relations.registry import registry
    from workspace.chat.models import Room

    user = get_user_model()
    # A room's project is its structural parent: the project's members see its rooms.
    registry.register_model(Room, structural_parents=("project",))
    # The creator's owner edge and members' member edges, each with {"role": "admin"|"member"}.
    registry.allow(RelationType.OWNER, user, Room)
    registry.allow(RelationType.MEMBER, user, Room)
