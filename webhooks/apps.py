from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from nexus_site.events.listeners import set_committed_listener
        from webhooks import tasks  # noqa: F401 - registers the tasks sent by name
        from webhooks.enqueue import fan_out_after_commit
        from webhooks.matching import SUBSCRIBABLE_TYPES, worth_fanning_out

        set_committed_listener(
            "webhooks", SUBSCRIBABLE_TYPES, fan_out_after_commit, wants=worth_fanning_out
        )
