"""Check that this installation is ready to serve: one line per check, non-zero exit on failure."""

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nexus_site import beat, health


class SetupProblem(Exception):
    """A check found the installation not ready; the message says why."""


def check_migrations() -> str:
    """Fail when any migration is not applied to the database."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _back in plan)
        raise SetupProblem(
            ngettext(
                "%(count)d unapplied migration: %(names)s",
                "%(count)d unapplied migrations: %(names)s",
                len(plan),
            )
            % {"count": len(plan), "names": names}
        )
    return "ok"


def check_catalogues() -> str:
    """Fail when a language other than English has no compiled catalogue (django.mo)."""
    missing = [
        code
        for code, _name in settings.LANGUAGES
        if code != "en"
        and not any(
            (Path(base) / code / "LC_MESSAGES" / "django.mo").is_file()
            for base in settings.LOCALE_PATHS
        )
    ]
    if missing:
        raise SetupProblem(
            _("no compiled catalogue (run compilemessages) for: %(codes)s")
            % {"codes": ", ".join(missing)}
        )
    return "ok"


def check_beat() -> str:
    """Fail when no beat process has ticked lately (not needed when tasks run eagerly)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    seconds = beat.seconds_since_last_tick()
    if seconds is None:
        raise SetupProblem(
            _("no beat has ever ticked: run exactly one beat process (celery -A nexus_site beat)")
        )
    if seconds > beat.LATE_AFTER_SECONDS:
        raise SetupProblem(
            _(
                "beat last ticked %(seconds)d seconds ago: run exactly one beat process "
                "(celery -A nexus_site beat)"
            )
            % {"seconds": seconds}
        )
    return "ok"


def setup_checks() -> dict[str, Callable[[], str]]:
    """Return every check by name, in the order they run: the readiness probes first."""
    return {
        "database": health.check_database,
        "migrations": check_migrations,
        "cache": health.check_cache,
        "broker": health.check_broker,
        "beat": check_beat,
        "catalogues": check_catalogues,
    }


class Command(BaseCommand):
    help = (
        "Check the database, migrations, cache, broker, beat and compiled translations; "
        "print one line per check and exit non-zero when one fails."
    )
    requires_system_checks = []

    def handle(self, *args, **options) -> None:
        failed = []
        for name, check in setup_checks().items():
            try:
                result = check()
            except Exception as exc:  # report every problem, then fail once at the end
                failed.append(name)
                reason = " ".join(str(exc).split()) or type(exc).__name__
                self.stdout.write(self.style.ERROR(f"{name}: FAIL: {reason}"))
            else:
                self.stdout.write(self.style.SUCCESS(f"{name}: {result}"))
        if failed:
            raise CommandError(
                _("Setup is not ready: %(checks)s failed.") % {"checks": ", ".join(failed)},
                returncode=1,
            )
