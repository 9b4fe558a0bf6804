from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from nexus_site.events.listeners import set_committed_listener
        from nexus_site.events.retention import after_cursor, register_retention_floor
        from webhooks import tasks  # noqa: F401 - registers the tasks sent by name
        from webhooks.enqueue import fan_out_after_commit
        from webhooks.matching import SUBSCRIBABLE_TYPES, worth_fanning_out
        from webhooks.models import DeliveryCursor

        set_committed_listener(
            "webhooks", SUBSCRIBABLE_TYPES, fan_out_after_commit, wants=worth_fanning_out
        )
        # The outbox keeps every event the catch-up sweep (webhooks.sweep) has not read yet.
        register_retention_floor("webhooks", after_cursor(DeliveryCursor.objects, "last_event_id"))
