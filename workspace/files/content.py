"""What an upload holds: its SHA-256, size and MIME type, read in chunks, and a safe name.

The type comes from the bytes only (magic numbers, via the ``filetype`` library); the name and
the client's Content-Type are never trusted. Content that no signature matches is
``text/plain`` when it is valid UTF-8 without NUL bytes, else ``application/octet-stream``.
"""

import codecs
import hashlib
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import filetype

from workspace.files.models import NAME_MAX_LENGTH

SNIFF_BYTES = 8192  # what filetype reads of a file to match a signature
TEXT = "text/plain"
BINARY = "application/octet-stream"
FALLBACK_NAME = "file"


@dataclass(frozen=True)
class Inspected:
    sha256: str
    size: int
    mime_type: str


class TooLarge(Exception):
    """The content passed the byte limit while it was being read."""


def inspect_chunks(chunks: Iterable[bytes], *, max_bytes: int | None = None) -> Inspected:
    """Return the SHA-256, size and detected type of content given in chunks.

    Raise TooLarge as soon as more than ``max_bytes`` have been read.
    """
    digest = hashlib.sha256()
    size = 0
    head = b""
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_text = True
    for chunk in chunks:
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise TooLarge(size)
        digest.update(chunk)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        if is_text:
            is_text = b"\x00" not in chunk and decodes(decoder, chunk, final=False)
    if is_text:
        is_text = decodes(decoder, b"", final=True)
    return Inspected(sha256=digest.hexdigest(), size=size, mime_type=detect(head, is_text))


def decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool) -> bool:
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        return False
    return True


def detect(head: bytes, is_text: bool) -> str:
    """Return the MIME type of content starting with ``head``."""
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return kind.mime
    return TEXT if is_text else BINARY


def safe_name(raw: str | None) -> str:
    """Return ``raw`` as a plain file name: no folders, no control characters, not too long."""
    name = os.path.basename(str(raw or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in {"", ".", ".."}:
        return FALLBACK_NAME
    if len(name) > NAME_MAX_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext[:16]
        name = stem[: NAME_MAX_LENGTH - len(ext)] + ext
    return name


def blob_storage_name(sha256: str) -> str:
    """Return where a blob's bytes live in the default storage: ``blobs/ab/cd/<sha256>``."""
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"
