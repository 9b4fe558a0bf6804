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

        admin.site.site_header = settings.ADMIN_SITE_HEADER
        admin.site.site_title = settings.ADMIN_SITE_HEADER
        register_purger("tokens", expired_tokens_purge)
