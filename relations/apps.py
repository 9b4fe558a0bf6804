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
