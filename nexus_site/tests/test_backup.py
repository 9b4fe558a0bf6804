"""manage.py backup / restore: a seeded instance round-trips into an empty one (rows per table,
media hashes, verify_setup); a damaged, foreign, newer or misdirected archive is refused before
anything changes.

Restores that must really load run `manage.py` in a child process pointed at a scratch
instance (its own SQLite file, or a scratch PostgreSQL database) and an empty media folder, so
the test database is never replaced.
"""

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from accounts.models import User
from accounts.tests.factories import UserFactory
from nexus_site.operations import restore
from nexus_site.tests.instance_state import media_hashes, row_counts
from workspace.tests.files.factories import upload_file

# Most tests need any archive and refuse it before loading. SQLite's backup API cannot read the
# database inside a test's open transaction, so those run transactional; on PostgreSQL the test's
# transaction is enough (pg_dump reads committed rows only, which only the round trip needs).
pytestmark = pytest.mark.django_db(transaction=connection.vendor == "sqlite")

OTHER_VENDOR = {"postgresql": "sqlite", "sqlite": "postgresql"}


@pytest.fixture(autouse=True)
def no_load_over_the_test_database(monkeypatch):
    """An in-process restore here must refuse: should one go on, it fails instead of loading
    an archive over the test database (child processes restore into their own instance)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a restore in the test process reached the database load")

    monkeypatch.setattr(restore, "database_load", refuse)


@dataclass
class Instance:
    """An empty instance a child `manage.py` runs against."""

    env: dict[str, str]
    media: Path
    counts: Callable[[], dict[str, int]]

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment without its services: eager tasks and a local cache, so the
    child never touches the test run's Redis."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    return {**env, **extra}


def postgres_admin() -> psycopg.Connection:
    params = connection.settings_dict
    return psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def empty_instance(tmp_path):
    """An instance with an empty database of this test's vendor and an empty media folder."""
    media = tmp_path / "restored-media"
    if connection.vendor == "sqlite":
        var = tmp_path / "restored-var"
        database = var / "nexus.sqlite3"

        def counts() -> dict[str, int]:
            if not database.exists():
                return {}
            with sqlite3.connect(database) as restored:
                return row_counts(restored.cursor(), "sqlite")

        yield Instance(child_env(NEXUS_VAR_DIR=str(var), MEDIA_ROOT=str(media)), media, counts)
        return
    params = connection.settings_dict
    scratch = f"{params['NAME']}_restore"
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{scratch}"')
    credentials = params["USER"] + (f":{params['PASSWORD']}" if params["PASSWORD"] else "")
    url = f"postgres://{credentials}@{params['HOST']}:{params['PORT']}/{scratch}"

    def counts() -> dict[str, int]:
        with psycopg.connect(url) as restored:
            return row_counts(restored.cursor(), "postgresql")

    try:
        yield Instance(child_env(DATABASE_URL=url, MEDIA_ROOT=str(media)), media, counts)
    finally:
        with postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def backup(path: Path) -> Path:
    call_command("backup", "--output", str(path), stdout=StringIO())
    return path


def source_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return row_counts(cursor, connection.vendor)


def rewrite(
    source: Path,
    target: Path,
    *,
    manifest: Callable[[dict], dict] | None = None,
    member: Callable[[str, bytes], bytes] | None = None,
) -> Path:
    """Copy an archive, changing its manifest or its members' bytes on the way."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for info in old:
            data = old.extractfile(info).read()
            if info.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif info.name != "manifest.json" and member:
                data = member(info.name, data)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return target


def restore_error(path: Path) -> str:
    with pytest.raises(CommandError) as error:
        call_command("restore", str(path), stdout=StringIO())
    return str(error.value)


# --- round trip ----------------------------------------------------------------------------


# Transactional: pg_dump reads committed rows only.
@pytest.mark.django_db(transaction=True)
def test_a_seeded_instance_round_trips_into_an_empty_one(empty_instance, tmp_path):
    call_command("install_system_patterns", stdout=StringIO())
    call_command("seed_demo", "--force", stdout=StringIO())
    expected_rows = source_counts()
    expected_files = media_hashes(Path(settings.MEDIA_ROOT))
    assert expected_rows["accounts_user"] > 0
    assert expected_files  # the demo uploads files

    archive = backup(tmp_path / "nexus.tar.gz")
    restored = empty_instance.manage("restore", str(archive))

    assert restored.returncode == 0, restored.stderr
    assert empty_instance.counts() == expected_rows
    assert media_hashes(empty_instance.media) == expected_files
    verified = empty_instance.manage("verify_setup")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "migrations: ok" in verified.stdout.splitlines()


def test_the_manifest_lists_migrations_and_each_member_with_its_checksum(tmp_path):
    user = UserFactory()
    upload_file(user, b"quarterly numbers\n", "numbers.txt")
    [(relative, sha256)] = media_hashes(Path(settings.MEDIA_ROOT)).items()

    archive = backup(tmp_path / "nexus.tar.gz")

    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[-1] == "manifest.json"
    assert manifest["format"] == "nexus-backup"
    assert manifest["format_version"] == 1
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["nexus"]["version"]
    files = {entry["path"]: entry for entry in manifest["files"]}
    assert files[f"media/{relative}"]["sha256"] == sha256
    assert manifest["database"]["name"] in files
    assert sorted(files) == sorted(name for name in names if name != "manifest.json")
    applied = MigrationRecorder.Migration.objects.filter(app="accounts").values_list(
        "name", flat=True
    )
    assert manifest["migrations"]["accounts"]["applied"] == sorted(applied)
    assert manifest["migrations"]["accounts"]["latest"] == max(applied)


def test_backup_does_not_overwrite_a_file(tmp_path):
    existing = tmp_path / "nexus.tar.gz"
    existing.write_bytes(b"keep me")

    with pytest.raises(CommandError, match="already exists"):
        backup(existing)

    assert existing.read_bytes() == b"keep me"


# --- refusals --------------------------------------------------------------------------------


def flip_first_media_byte(name: str, data: bytes) -> bytes:
    if name.startswith("media/"):
        return bytes([data[0] ^ 0xFF]) + data[1:]
    return data


def test_an_altered_archive_is_refused_and_nothing_changes(empty_instance, tmp_path):
    upload_file(UserFactory(), b"quarterly numbers\n", "numbers.txt")
    archive = backup(tmp_path / "nexus.tar.gz")
    altered = rewrite(archive, tmp_path / "altered.tar.gz", member=flip_first_media_byte)

    restored = empty_instance.manage("restore", str(altered))

    assert restored.returncode != 0
    assert "checksums or sizes do not match for: media/blobs/" in restored.stderr
    assert "nothing was changed" in restored.stderr
    assert empty_instance.counts() == {}
    assert media_hashes(empty_instance.media) == {}


def test_a_truncated_archive_is_refused(tmp_path):
    archive = backup(tmp_path / "nexus.tar.gz")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    message = restore_error(truncated)

    assert "is not a usable Nexus backup (nothing was changed)" in message


def test_restore_refuses_an_instance_with_accounts(tmp_path):
    archive = backup(tmp_path / "nexus.tar.gz")
    UserFactory()
    before = source_counts()

    message = restore_error(archive)

    assert "not empty (1 account)" in message
    assert source_counts() == before


def test_restore_refuses_a_media_folder_with_files(tmp_path):
    archive = backup(tmp_path / "nexus.tar.gz")
    stray = Path(settings.MEDIA_ROOT) / "avatars" / "left-over.png"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"png")
    assert not User.objects.exists()
    before = source_counts()

    message = restore_error(archive)

    assert "is not empty" in message
    assert stray.read_bytes() == b"png"
    assert source_counts() == before


def test_restore_refuses_an_archive_of_another_database_vendor(tmp_path):
    other = OTHER_VENDOR[connection.vendor]
    archive = rewrite(
        backup(tmp_path / "nexus.tar.gz"),
        tmp_path / "other.tar.gz",
        manifest=lambda manifest: {
            **manifest,
            "database": {**manifest["database"], "vendor": other},
        },
    )
    UserFactory()
    before = source_counts()

    message = restore_error(archive)

    assert f"holds a {other} database but this instance uses {connection.vendor}" in message
    assert source_counts() == before


def test_restore_refuses_an_archive_from_a_newer_nexus(tmp_path):
    def from_the_future(manifest: dict) -> dict:
        migrations = manifest["migrations"]
        accounts = migrations["accounts"]
        accounts["applied"] = [*accounts["applied"], "9999_from_the_future"]
        return manifest

    archive = rewrite(
        backup(tmp_path / "nexus.tar.gz"), tmp_path / "newer.tar.gz", manifest=from_the_future
    )

    message = restore_error(archive)

    assert "comes from a newer Nexus" in message
    assert "accounts.9999_from_the_future" in message


def test_restore_refuses_a_member_the_manifest_does_not_list(tmp_path):
    source = backup(tmp_path / "nexus.tar.gz")
    extra = tmp_path / "extra.tar.gz"
    with tarfile.open(source, "r:gz") as old, tarfile.open(extra, "w:gz") as new:
        for info in old:
            new.addfile(info, old.extractfile(info))
        info = tarfile.TarInfo("media/blobs/planted")
        info.size = 3
        new.addfile(info, io.BytesIO(b"bad"))

    message = restore_error(extra)

    assert "media/blobs/planted" in message


@pytest.fixture
def one_migration_unapplied():
    """Make this instance one migration older: the last of token_blacklist (it changes model
    options only, so its record is all the database holds of it, and nothing depends on it)."""
    recorder = MigrationRecorder(connection)
    latest = max(name for app, name in recorder.applied_migrations() if app == "token_blacklist")
    recorder.record_unapplied("token_blacklist", latest)
    yield "token_blacklist", latest
    recorder.record_applied("token_blacklist", latest)


@pytest.mark.django_db(transaction=True)
def test_an_archive_older_than_the_code_is_migrated_after_restore(
    one_migration_unapplied, empty_instance, tmp_path
):
    app_label, name = one_migration_unapplied
    archive = backup(tmp_path / "older.tar.gz")
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert name not in manifest["migrations"][app_label]["applied"]

    restored = empty_instance.manage("restore", str(archive))

    assert restored.returncode == 0, restored.stderr
    assert "and 1 newer migrations" in restored.stdout
    recorded = source_counts()["django_migrations"]
    assert empty_instance.counts()["django_migrations"] == recorded + 1
