"""Empty a demo instance (database, media files, cache) and load the demo data again."""

from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from nexus_site.operations.cache import cache_empty
from nexus_site.operations.environment import InstanceKind, current_instance_kind
from nexus_site.operations.errors import OperationRefused
from nexus_site.operations.media import media_empty, media_root


def refuse_production() -> None:
    """Refuse a production instance; there is no override."""
    if current_instance_kind() == InstanceKind.PRODUCTION:
        raise OperationRefused(
            _(
                "This is a production instance (DJANGO_DEBUG is off and the database is not "
                "SQLite): reset_demo deletes everything, so it runs only on a development "
                "instance (DJANGO_DEBUG=true) or the embedded default. Nothing was changed."
            )
        )


def demo_reset(*, stdout: OutputWrapper) -> None:
    """Delete every row, media file and cache entry, then install the system patterns (as the
    migrations do) and seed the demo data: the instance is as a fresh ``make run`` leaves it."""
    refuse_production()
    media = media_root()
    # flush keeps the migration history and recreates content types and permissions.
    call_command("flush", interactive=False, verbosity=0)
    media_empty(media)
    cache_empty()
    call_command("install_system_patterns", stdout=stdout)
    call_command("seed_demo", force=True, stdout=stdout)
