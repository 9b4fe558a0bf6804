from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NexusSiteConfig(AppConfig):
    name = "nexus_site"
    verbose_name = _("Nexus")

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib import admin

        import nexus_site.api.schema
        import nexus_site.startup  # noqa: F401 - registers the deploy check for the secret key
        from nexus_site.retention import expired_tokens_purge, register_purger

        self.connect_metrics()

        admin.site.site_header = settings.ADMIN_SITE_HEADER
        admin.site.site_title = settings.ADMIN_SITE_HEADER
        register_purger("tokens", expired_tokens_purge)

    @staticmethod
    def connect_metrics() -> None:
        """Feed the metrics from committed events and Django's signals (Celery's are connected
        where they are defined, in nexus_site.metrics and nexus_site.request_id)."""
        from django.contrib.auth.signals import user_login_failed

        import nexus_site.request_id  # noqa: F401 - connects the request id's Celery signals
        from nexus_site import metrics
        from nexus_site.events.listeners import set_committed_listener

        set_committed_listener(
            "nexus_site.metrics", None, metrics.events_committed, wants=metrics.event_seen
        )
        user_login_failed.connect(metrics.login_failed, dispatch_uid="nexus_metrics_login")
