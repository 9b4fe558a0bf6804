"""What an instance holds, read the same way from Django's connection or a plain DB-API one:
rows per table and the SHA-256 of every media file."""

import hashlib
from pathlib import Path

from nexus_site.operations.media import media_files


def table_names(cursor, vendor: str) -> list[str]:
    if vendor == "postgresql":
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY 1"
        )
    return [row[0] for row in cursor.fetchall()]


def row_counts(cursor, vendor: str, tables: list[str] | None = None) -> dict[str, int]:
    """Return the rows of each table (every table of the database unless ``tables``)."""
    counts = {}
    for table in table_names(cursor, vendor) if tables is None else tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def media_hashes(root: Path) -> dict[str, str]:
    """Return each file under ``root`` by relative path, with its SHA-256."""
    return {
        relative: hashlib.sha256(path.read_bytes()).hexdigest()
        for relative, path in media_files(root)
    }
