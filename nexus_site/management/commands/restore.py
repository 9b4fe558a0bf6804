"""Restore a backup archive into an empty instance, then migrate it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from nexus_site.operations.errors import OperationRefused
from nexus_site.operations.restore import backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive written by `backup` into an empty instance (no accounts, no media "
        "files): checksums, database vendor and migrations are checked before anything changes; "
        "migrations newer than the archive are applied afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The archive written by `manage.py backup`.")

    def handle(self, *args, path: Path, **options) -> None:
        try:
            result = backup_restore(path=path)
        except OperationRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Restored the backup of %(created_at)s: the database, %(files)d media files "
                    "and %(migrations)d newer migrations. Run manage.py verify_setup next."
                )
                % {
                    "created_at": result.created_at,
                    "files": result.media_files,
                    "migrations": result.migrations_applied,
                }
            )
        )
