from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "nexus_site.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from nexus_site.events.retention import events_purge
        from nexus_site.retention import register_purger

        register_purger("events", events_purge)
