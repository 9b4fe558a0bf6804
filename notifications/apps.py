from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from nexus_site.events.listeners import set_committed_listener
        from nexus_site.events.retention import after_cursor, register_retention_floor
        from notifications.derivation import DERIVED_TYPES, worth_deriving
        from notifications.models import DerivationCursor
        from notifications.tasks import derive_after_commit

        set_committed_listener(
            "notifications", DERIVED_TYPES, derive_after_commit, wants=worth_deriving
        )
        register_retention_floor(
            "notifications", after_cursor(DerivationCursor.objects, "last_event_id")
        )
