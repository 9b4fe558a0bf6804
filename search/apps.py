from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from search import index, registrations, registry

        registrations.register_known()
        # Every object deleted, in a cascade too, takes its entry with it (index.entry_deleted).
        for kind in registry.kinds().values():
            post_delete.connect(
                index.entry_deleted, sender=kind.model, dispatch_uid=f"search-{kind.name}"
            )
