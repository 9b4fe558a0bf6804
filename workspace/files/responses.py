"""The streaming download response shared by the API, the pages and public links."""

import logging

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import GoneError
from workspace.files.models import File

logger = logging.getLogger(__name__)


def download_response(file: File) -> FileResponse:
    """Stream ``file``'s bytes as an attachment, typed by its detected MIME type.

    FileResponse writes the RFC 5987 ``filename*`` for names that are not plain ASCII.
    """
    try:
        stream = default_storage.open(file.blob.storage_name, "rb")
    except FileNotFoundError as exc:
        # The row outlived its bytes (a storage restored from an older backup, say).
        logger.error("file %s: stored bytes %s are missing", file.pk, file.blob.storage_name)
        raise GoneError(_("The stored content of this file is missing.")) from exc
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=file.name,
        content_type=file.mime_type,
    )
    response["Content-Length"] = str(file.size)
    response["ETag"] = f'"{file.sha256}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response
