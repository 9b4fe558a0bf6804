"""The backup archive: one gzipped tar, read and written as a stream (never a whole file in
memory).

Members, in this order:

- ``database/<file>``: the database dump (``postgresql.dump``, pg_dump's custom format, or
  ``sqlite3.db``, an SQLite database file);
- ``media/<path>``: each file under ``MEDIA_ROOT``, at its path there;
- ``manifest.json``: last, so it describes exactly the bytes written before it: format and
  version, creation time, Nexus version, database vendor, applied migrations, and each other
  member's path, size and SHA-256.

Reading checks every member against the manifest before anything is used, and refuses a member
the manifest does not list, a path that leaves its folder, and anything but regular files.
"""

import hashlib
import io
import json
import tarfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.utils.translation import gettext as _

from nexus_site.operations.errors import OperationRefused

FORMAT = "nexus-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FOLDER = "database"
MEDIA_FOLDER = "media"
CHUNK_BYTES = 1024 * 1024
MANIFEST_MAX_BYTES = 256 * 1024 * 1024
# What a damaged or truncated gzip stream or tar raises while it is read.
READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)


@dataclass(frozen=True)
class Member:
    path: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


class HashingReader:
    """A file wrapper that hashes and counts what is read through it."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class ArchiveWriter:
    """Write members to a new archive; ``close`` adds the manifest last."""

    def __init__(self, path: Path):
        self.tar = tarfile.open(path, "w:gz", compresslevel=6)  # noqa: SIM115 - closed in close()
        self.members: list[Member] = []

    def add_file(self, name: str, source: Path) -> Member:
        """Copy ``source`` into the archive as ``name``, hashing it on the way."""
        stat = source.stat()
        info = tarfile.TarInfo(name)
        info.size = stat.st_size
        info.mtime = int(stat.st_mtime)
        info.mode = 0o644
        with source.open("rb") as stream:
            reader = HashingReader(stream)
            self.tar.addfile(info, reader)
        member = Member(path=name, size=reader.size, sha256=reader.digest.hexdigest())
        self.members.append(member)
        return member

    def close(self, manifest: dict[str, Any]) -> None:
        """Add the manifest, with every member written, and finish the archive."""
        data = json.dumps(
            {**manifest, "files": [member.as_dict() for member in self.members]},
            indent=2,
            sort_keys=True,
        ).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mode = 0o644
        info.mtime = int(time.time())
        self.tar.addfile(info, io.BytesIO(data))
        self.tar.close()

    def abort(self) -> None:
        self.tar.close()


def damaged(path: Path, reason: object) -> OperationRefused:
    return OperationRefused(
        _("%(path)s is not a usable Nexus backup (nothing was changed): %(reason)s")
        % {"path": path, "reason": reason}
    )


def checked_name(path: Path, info: tarfile.TarInfo) -> str:
    """Return the member's name; refuse anything but a regular file at a safe relative path."""
    name = info.name
    parts = PurePosixPath(name).parts
    if (
        not info.isfile()
        or name.startswith("/")
        or "\\" in name
        or not parts
        or any(part in {"", ".", ".."} for part in parts)
        or str(PurePosixPath(*parts)) != name
        or (name != MANIFEST and parts[0] not in {DATABASE_FOLDER, MEDIA_FOLDER})
        or (name != MANIFEST and len(parts) < 2)
    ):
        raise damaged(path, _("unexpected member %(name)s") % {"name": name})
    return name


def verify(path: Path) -> dict[str, Any]:
    """Read the whole archive once and return its manifest; refuse an archive whose members do
    not match the manifest exactly (damaged, truncated, altered or unknown)."""
    found: dict[str, Member] = {}
    manifest_bytes = None
    try:
        with tarfile.open(path, "r:gz") as tar:
            for info in tar:
                name = checked_name(path, info)
                if name in found or (name == MANIFEST and manifest_bytes is not None):
                    raise damaged(path, _("member %(name)s appears twice") % {"name": name})
                stream = tar.extractfile(info)
                if name == MANIFEST:
                    if info.size > MANIFEST_MAX_BYTES:
                        raise damaged(path, _("the manifest is too large"))
                    manifest_bytes = stream.read()
                    continue
                reader = HashingReader(stream)
                while reader.read(CHUNK_BYTES):
                    pass
                found[name] = Member(name, reader.size, reader.digest.hexdigest())
    except FileNotFoundError:
        raise OperationRefused(_("%(path)s does not exist.") % {"path": path}) from None
    except READ_ERRORS as exc:
        raise damaged(path, exc) from exc
    if manifest_bytes is None:
        raise damaged(path, _("it has no manifest.json"))
    try:
        manifest = json.loads(manifest_bytes)
        listed = {
            entry["path"]: Member(entry["path"], int(entry["size"]), str(entry["sha256"]))
            for entry in manifest["files"]
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise damaged(path, _("its manifest is not readable")) from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise damaged(
            path,
            _("unknown format %(format)s version %(version)s")
            % {"format": manifest.get("format"), "version": manifest.get("format_version")},
        )
    problems = sorted(
        [name for name in listed if found.get(name) != listed[name]]
        + [name for name in found if name not in listed]
    )
    if problems:
        raise damaged(
            path,
            _("checksums or sizes do not match for: %(names)s")
            % {"names": ", ".join(problems[:10])},
        )
    return manifest


def extract(path: Path, manifest: dict[str, Any], target: Path) -> None:
    """Write every member but the manifest under ``target``, checking each against the
    manifest again (the archive could have changed since ``verify``)."""
    listed = {entry["path"]: entry for entry in manifest["files"]}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for info in tar:
                name = checked_name(path, info)
                if name == MANIFEST:
                    continue
                destination = target.joinpath(*PurePosixPath(name).parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                reader = HashingReader(tar.extractfile(info))
                with destination.open("xb") as out:
                    while chunk := reader.read(CHUNK_BYTES):
                        out.write(chunk)
                entry = listed.get(name)
                if (
                    entry is None
                    or reader.size != entry["size"]
                    or reader.digest.hexdigest() != entry["sha256"]
                ):
                    raise damaged(path, _("%(name)s changed while it was read") % {"name": name})
    except READ_ERRORS as exc:
        raise damaged(path, exc) from exc
