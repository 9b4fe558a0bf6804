from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatternsConfig(AppConfig):
    name = "patterns"
    verbose_name = _("Patterns")

    def ready(self) -> None:
        from accounts import hooks
        from nexus_site.events.listeners import set_committed_listener
        from nexus_site.events.retention import register_retention_floor
        from nexus_site.retention import register_purger
        from patterns import panels, steps
        from patterns import tasks as _registered  # noqa: F401 - tasks are sent by name
        from patterns.retention import executions_purge
        from patterns.system import onboarding_start
        from patterns.triggers import firing

        steps.load_builtin()
        hooks.on_user_created(onboarding_start)
        panels.register()
        # Any event type may start a run: the listener asks which ones triggers listen to.
        set_committed_listener(
            "patterns.triggers", None, firing.fire_after_commit, wants=firing.wants
        )
        # The outbox keeps every event the triggers' sweep has not read yet.
        register_retention_floor("patterns.triggers", firing.cursor_floor)
        # Finished runs past their keep time go, their statistics kept in rollups.
        register_purger("pattern_executions", executions_purge)
