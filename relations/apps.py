from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationsConfig(AppConfig):
    name = "relations"
    verbose_name = _("Relations")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from nexus_site.dashboard import set_panels_scope
        from nexus_site.definitions.enums import RelationType
        from nexus_site.events.visibility import set_node_visibility
        from relations.access import sharing_reach, visible_node_strings
        from relations.registry import registry

        # Users sit below relations in the layers, so relations declares them itself.
        user = get_user_model()
        registry.register_model(user)
        registry.allow(RelationType.LINKED, user, user)
        registry.check()
        set_node_visibility(visible_node_strings)
        set_panels_scope(sharing_reach)
        connect_reach_invalidation()


def connect_reach_invalidation() -> None:
    """Raise the access version (relations.reach) on every write that can change a reach: a
    relationship saved or deleted, or a container that sits below another by a foreign key
    (its parent may have changed). A signal rather than a call in each service: it also sees
    the admin, the pattern steps and every other path to these rows."""
    from django.db.models.signals import post_delete, post_save

    from relations.reach import reach_written

    for signal in (post_save, post_delete):
        # Every model's: the apps register their containers after this one is ready.
        signal.connect(reach_written, dispatch_uid="relations-reach-written")
