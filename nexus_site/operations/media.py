"""The media files: everything under the default storage's folder (``MEDIA_ROOT``), which holds
the files' content-addressed blobs (``blobs/``) and the avatars (``avatars/``)."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from django.core.files.storage import FileSystemStorage, default_storage
from django.utils.translation import gettext as _

from nexus_site.operations.errors import OperationRefused


def media_root() -> Path:
    """Return the folder of the default storage; refuse a storage that is not a folder."""
    if not isinstance(default_storage, FileSystemStorage):
        raise OperationRefused(
            _(
                "The default file storage is not a folder (FileSystemStorage): back up and "
                "restore its files with the storage's own tools."
            )
        )
    return Path(default_storage.location)


def media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Yield each regular file under ``root`` as (its path relative to root, with ``/``, and
    its full path), in a stable order; symbolic links are not followed or listed."""
    if not root.is_dir():
        return
    for folder, subfolders, files in os.walk(root):
        subfolders.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def media_is_empty(root: Path) -> bool:
    """Return whether no file lies under ``root`` (empty folders do not count)."""
    return next(media_files(root), None) is None


def media_empty(root: Path) -> None:
    """Delete everything under ``root``, keeping the folder itself."""
    if not root.is_dir():
        return
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
