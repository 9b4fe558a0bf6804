from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = _("Workspace")

    def ready(self) -> None:
        from nexus_site.retention import register_purger
        from relations.registry import registry
        from workspace.ai_usage import panels as ai_usage_panels
        from workspace.ai_usage.registration import register as register_ai_usage
        from workspace.ai_usage.retention import interactions_purge
        from workspace.chat import panels as chat_panels
        from workspace.chat.registration import register as register_chat
        from workspace.documents import panels as documents_panels
        from workspace.documents.registration import register as register_documents
        from workspace.files.registration import register as register_files
        from workspace.files.retention import expired_links_purge
        from workspace.mail import panels as mail_panels
        from workspace.mail.registration import register as register_mail

        register_documents()
        register_files()
        register_ai_usage()
        register_mail()
        register_chat()
        registry.check()
        ai_usage_panels.register()
        mail_panels.register()
        chat_panels.register()
        documents_panels.register()
        register_purger("ai_interactions", interactions_purge)
        register_purger("public_links", expired_links_purge)
