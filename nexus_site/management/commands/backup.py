"""Write the database and the media files to one archive with a manifest and checksums."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from nexus_site.operations.backup import backup_create
from nexus_site.operations.errors import OperationRefused


class Command(BaseCommand):
    help = (
        "Write the database (pg_dump or the SQLite backup API) and every file under MEDIA_ROOT "
        "to one .tar.gz archive with a manifest of checksums (docs/OPERATIONS.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            help="Where to write the archive (default: nexus-backup-<UTC time>.tar.gz here).",
        )

    def handle(self, *args, output: Path | None = None, **options) -> None:
        try:
            result = backup_create(output=output)
        except OperationRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Backup written to %(path)s (%(size)d bytes, %(files)d media files).")
                % {"path": result.path, "size": result.size, "files": result.media_files}
            )
        )
