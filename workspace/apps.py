from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = _("Workspace")

    def ready(self) -> None:
        from relations.registry import registry
        from workspace.ai_usage.registration import register as register_ai_usage
        from workspace.documents.registration import register as register_documents
        from workspace.files.registration import register as register_files

        register_documents()
        register_files()
        register_ai_usage()
        registry.check()
