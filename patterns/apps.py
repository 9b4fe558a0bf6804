from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatternsConfig(AppConfig):
    name = "patterns"
    verbose_name = _("Patterns")

    def ready(self) -> None:
        from accounts import hooks
        from patterns import panels, steps
        from patterns.system import onboarding_start

        steps.load_builtin()
        hooks.on_user_created(onboarding_start)
        panels.register()
