"""Write a backup: the database dump and the media files in one archive with a manifest."""

import os
import shutil
import subprocess
import tempfile
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from nexus_site.operations import archive
from nexus_site.operations.database import database_dump, database_vendor
from nexus_site.operations.errors import OperationRefused
from nexus_site.operations.media import media_files, media_root

DUMP_NAMES = {"postgresql": "postgresql.dump", "sqlite": "sqlite3.db"}


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    media_files: int


def nexus_version() -> dict[str, str | None]:
    """Return the version in pyproject.toml and the git commit of the code, when known."""
    version = None
    try:
        with (settings.BASE_DIR / "pyproject.toml").open("rb") as stream:
            version = tomllib.load(stream)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    commit = None
    git = shutil.which("git")
    if git and (settings.BASE_DIR / ".git").exists():
        result = subprocess.run(  # noqa: S603 - a fixed git command
            [git, "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        if result.returncode == 0:
            commit = result.stdout.strip() or None
    return {"version": version, "commit": commit}


def applied_migrations() -> dict[str, dict[str, Any]]:
    """Return, per app, its applied migrations in name order and the latest of them."""
    names: dict[str, list[str]] = defaultdict(list)
    for app_label, name in MigrationRecorder(connection).applied_migrations():
        names[app_label].append(name)
    return {
        app_label: {"latest": max(applied), "applied": sorted(applied)}
        for app_label, applied in sorted(names.items())
    }


def default_output() -> Path:
    return Path(f"nexus-backup-{timezone.now():%Y%m%dT%H%M%SZ}.tar.gz")


def backup_create(*, output: Path | None = None) -> BackupResult:
    """Write the database and the media files to a new archive at ``output``.

    The database is copied first, then the files: a file uploaded meanwhile is in the archive
    without its row (harmless); one deleted meanwhile may be missing, so back up when writes
    are quiet for an exact copy. The archive appears at ``output`` only once it is complete.
    """
    output = Path(output or default_output())
    if output.exists():
        raise OperationRefused(
            _("%(path)s already exists: choose another --output.") % {"path": output}
        )
    vendor = database_vendor()
    media = media_root()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    with tempfile.TemporaryDirectory(prefix="nexus-backup-", dir=output.parent) as scratch:
        dump_path = Path(scratch) / DUMP_NAMES[vendor]
        dump = database_dump(dump_path)
        created_at = timezone.now()
        writer = archive.ArchiveWriter(partial)
        try:
            writer.add_file(f"{archive.DATABASE_FOLDER}/{dump_path.name}", dump_path)
            dump_path.unlink()
            count = 0
            for relative, path in media_files(media):
                writer.add_file(f"{archive.MEDIA_FOLDER}/{relative}", path)
                count += 1
            writer.close(
                {
                    "format": archive.FORMAT,
                    "format_version": archive.FORMAT_VERSION,
                    "created_at": created_at.isoformat(),
                    "nexus": nexus_version(),
                    "database": {
                        "vendor": dump.vendor,
                        "server_version": dump.server_version,
                        "dump_tool_version": dump.tool_version,
                        "name": f"{archive.DATABASE_FOLDER}/{dump_path.name}",
                    },
                    "migrations": applied_migrations(),
                }
            )
        except BaseException:
            writer.abort()
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, output)
    return BackupResult(path=output, size=output.stat().st_size, media_files=count)
