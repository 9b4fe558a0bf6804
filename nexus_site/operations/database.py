"""The database's part of a backup: dump it to one file, load that file into an empty database.

PostgreSQL goes through ``pg_dump --format=custom`` and ``pg_restore`` (the PostgreSQL client
programs, of at least the server's major version), run with the connection settings of
``DATABASES["default"]``; SQLite through the ``sqlite3`` backup API, which copies a consistent
snapshot while others keep writing.
"""

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db.backends.postgresql.client import DatabaseClient as PostgresClient
from django.utils.translation import gettext as _

from nexus_site.operations.errors import OperationRefused

VENDORS = ("postgresql", "sqlite")
# What a PostgreSQL client program may take; a dump of a large instance takes a while.
TOOL_TIMEOUT_SECONDS = 6 * 3600
TOOL_VERSION = re.compile(r"\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class DumpInfo:
    vendor: str
    server_version: str
    tool_version: str | None


@dataclass(frozen=True)
class DatabaseContents:
    tables: list[str]
    accounts: int | None  # None: no account table at all


def database_vendor() -> str:
    """Return this database's vendor; refuse one that backups do not cover."""
    if connection.vendor not in VENDORS:
        raise OperationRefused(
            _("Backups cover PostgreSQL and SQLite, not %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    return connection.vendor


def database_name() -> str:
    """Return the name of the database, as an operator would recognise it."""
    return str(connection.settings_dict["NAME"])


def database_contents() -> DatabaseContents:
    """Return the tables of the database and how many accounts it holds."""
    tables = connection.introspection.table_names()
    user_model = get_user_model()
    accounts = user_model._default_manager.count() if user_model._meta.db_table in tables else None
    return DatabaseContents(tables=tables, accounts=accounts)


# --- PostgreSQL ------------------------------------------------------------------------------


def server_major() -> int:
    """Return the PostgreSQL server's major version (15 for 15.4)."""
    connection.ensure_connection()
    return connection.pg_version // 10000


def server_version_text() -> str:
    version = connection.pg_version
    return f"{version // 10000}.{version % 10000}"


def postgres_env() -> dict[str, str]:
    """Return the environment that points libpq's programs at the default database."""
    settings_dict = connection.settings_dict
    _args, extra = PostgresClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(extra or {})}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def postgres_tool(name: str, *, at_least: int) -> tuple[str, str]:
    """Return the path of a PostgreSQL client program and its version; refuse a missing one or
    one older than major version ``at_least``."""
    path = shutil.which(name)
    if path is None:
        raise OperationRefused(
            _("%(tool)s was not found: install the PostgreSQL client programs (postgresql-client).")
            % {"tool": name}
        )
    output = subprocess.run(  # noqa: S603 - a fixed program found on PATH
        [path, "--version"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    match = TOOL_VERSION.search(output)
    if match is None:
        raise OperationRefused(
            _("Could not read the version of %(tool)s: %(output)s")
            % {"tool": name, "output": output.strip()}
        )
    major = int(match.group(1))
    if major < at_least:
        raise OperationRefused(
            _(
                "%(tool)s is version %(found)d but PostgreSQL %(needed)d needs at least "
                "%(needed)d: install postgresql-client-%(needed)d."
            )
            % {"tool": name, "found": major, "needed": at_least}
        )
    return path, ".".join(group for group in match.groups() if group)


def run_tool(args: list[str]) -> None:
    """Run a PostgreSQL client program; turn a failure into a refusal that quotes it."""
    result = subprocess.run(  # noqa: S603 - arguments are built here, never from a shell
        args,
        env=postgres_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=TOOL_TIMEOUT_SECONDS,
    )
    if result.returncode != 0:
        raise OperationRefused(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(args[0]).name, "error": result.stderr.strip()[-2000:]}
        )


def postgres_dump(target: Path) -> DumpInfo:
    major = server_major()
    pg_dump, version = postgres_tool("pg_dump", at_least=major)
    run_tool([pg_dump, "--format=custom", "--no-password", f"--file={target}"])
    return DumpInfo(vendor="postgresql", server_version=server_version_text(), tool_version=version)


def postgres_drop_tables(tables: list[str]) -> None:
    """Drop the tables a migrate left in an unused database, so the dump can create them."""
    if not tables:
        return
    quoted = ", ".join(connection.ops.quote_name(table) for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quoted} CASCADE")


def postgres_load(source: Path, *, dump_tool_version: str | None) -> None:
    needed = int(dump_tool_version.split(".")[0]) if dump_tool_version else server_major()
    pg_restore, _version = postgres_tool("pg_restore", at_least=max(needed, server_major()))
    postgres_drop_tables(connection.introspection.table_names())
    connections.close_all()
    # One transaction: a restore that fails half-way leaves the database empty, as it was.
    # Owners and grants are the connecting role's: the archive may come from another server.
    # No comments: Nexus sets none, and the dump's COMMENT ON EXTENSION pg_trgm needs the
    # extension's owner, which the restoring role need not be.
    run_tool(
        [
            pg_restore,
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(source),
        ]
    )


# --- SQLite ----------------------------------------------------------------------------------


def sqlite_dump(target: Path) -> DumpInfo:
    if connection.in_atomic_block:
        # The backup API would wait forever for the open transaction's lock.
        raise OperationRefused(_("A backup of SQLite cannot run inside a transaction."))
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    return DumpInfo(vendor="sqlite", server_version=sqlite3.sqlite_version, tool_version=None)


def sqlite_load(source: Path) -> None:
    """Copy the archived database over this one, page by page (the backup API replaces the
    whole database, whatever a migrate left in it)."""
    connection.ensure_connection()
    archived = sqlite3.connect(source)
    try:
        archived.backup(connection.connection)
    finally:
        archived.close()
    connections.close_all()


# --- either ----------------------------------------------------------------------------------


def database_dump(target: Path) -> DumpInfo:
    """Write a consistent copy of the whole database to ``target``."""
    if database_vendor() == "postgresql":
        return postgres_dump(target)
    return sqlite_dump(target)


def database_load(source: Path, *, dump_tool_version: str | None) -> None:
    """Replace the (empty) database with the copy in ``source``."""
    if database_vendor() == "postgresql":
        postgres_load(source, dump_tool_version=dump_tool_version)
    else:
        sqlite_load(source)
