from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from nexus_site.events.listeners import set_committed_listener
        from notifications.derivation import DERIVED_TYPES, worth_deriving
        from notifications.tasks import derive_after_commit

        set_committed_listener(
            "notifications", DERIVED_TYPES, derive_after_commit, wants=worth_deriving
        )
