"""Restore a backup into an empty instance: check everything first, then load and migrate."""

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nexus_site.operations import archive
from nexus_site.operations.cache import cache_empty
from nexus_site.operations.database import database_contents, database_load, database_vendor
from nexus_site.operations.errors import OperationRefused
from nexus_site.operations.media import media_files, media_is_empty, media_root


@dataclass(frozen=True)
class RestoreResult:
    created_at: str
    media_files: int
    migrations_applied: int


def known_migrations() -> set[tuple[str, str]]:
    """Return every migration this code has, with those its squashed migrations replace."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)
    return known


def archived_dump_name(path: Path, manifest: dict[str, Any]) -> str:
    name = manifest.get("database", {}).get("name")
    listed = {entry["path"] for entry in manifest["files"]}
    if name not in listed or PurePosixPath(name).parts[0] != archive.DATABASE_FOLDER:
        raise archive.damaged(path, _("its manifest names no database dump"))
    return name


def refuse_incompatible(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse an archive of another database vendor, or one from a newer Nexus."""
    vendor = database_vendor()
    archived = manifest["database"].get("vendor")
    if archived != vendor:
        raise OperationRefused(
            _(
                "%(path)s holds a %(archived)s database but this instance uses %(vendor)s: "
                "restore it into an instance on %(archived)s (DATABASE_URL). Nothing was changed."
            )
            % {"path": path, "archived": archived, "vendor": vendor}
        )
    known = known_migrations()
    unknown = sorted(
        f"{app_label}.{name}"
        for app_label, entry in manifest.get("migrations", {}).items()
        for name in entry.get("applied", [])
        if (app_label, name) not in known
    )
    if unknown:
        raise OperationRefused(
            _(
                "%(path)s comes from a newer Nexus (this code lacks the migrations %(names)s): "
                "upgrade Nexus first. Nothing was changed."
            )
            % {"path": path, "names": ", ".join(unknown[:10])}
        )


def refuse_non_empty(media: Path) -> None:
    """Refuse an instance with accounts or media files; a database that is only migrated is
    empty (restore replaces its tables)."""
    contents = database_contents()
    if contents.tables and contents.accounts is None:
        raise OperationRefused(
            _(
                "The database %(name)s holds tables but no Nexus accounts table: restore into "
                "a new, empty database. Nothing was changed."
            )
            % {"name": connection.settings_dict["NAME"]}
        )
    if contents.accounts:
        raise OperationRefused(
            ngettext(
                "This instance is not empty (%(count)d account): restore only into a new, "
                "empty database. Nothing was changed.",
                "This instance is not empty (%(count)d accounts): restore only into a new, "
                "empty database. Nothing was changed.",
                contents.accounts,
            )
            % {"count": contents.accounts}
        )
    if not media_is_empty(media):
        raise OperationRefused(
            _(
                "MEDIA_ROOT (%(path)s) is not empty: restore only into an empty media folder. "
                "Nothing was changed."
            )
            % {"path": media}
        )


def pending_migrations() -> int:
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def backup_restore(*, path: Path) -> RestoreResult:
    """Restore the archive at ``path`` into this empty instance, then migrate it.

    Everything that can refuse does so before anything changes: the checksums of every member,
    the database vendor, migrations newer than this code, and an instance that is not empty.
    """
    path = Path(path)
    manifest = archive.verify(path)
    dump_name = archived_dump_name(path, manifest)
    refuse_incompatible(path, manifest)
    media = media_root()
    refuse_non_empty(media)
    media.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".nexus-restore-", dir=media.parent) as staging:
        staged = Path(staging)
        archive.extract(path, manifest, staged)
        database_load(
            staged.joinpath(*PurePosixPath(dump_name).parts),
            dump_tool_version=manifest["database"].get("dump_tool_version"),
        )
        count = 0
        for relative, file in media_files(staged / archive.MEDIA_FOLDER):
            destination = media.joinpath(*PurePosixPath(relative).parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(file, destination)
            count += 1
    applied = pending_migrations()
    call_command("migrate", interactive=False, verbosity=0)
    cache_empty()
    return RestoreResult(
        created_at=str(manifest.get("created_at")), media_files=count, migrations_applied=applied
    )
