"""The streaming download response shared by the API, the pages and public links."""

import logging

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import parse_etags
from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import GoneError
from workspace.files.models import File
from workspace.files.services import file_download_count

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
    response["ETag"] = etag_of(file)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


def etag_of(file: File) -> str:
    return f'"{file.sha256}"'


def counted_download(request: HttpRequest, file: File) -> HttpResponse:
    """Stream ``file`` and count the download.

    A conditional request that already holds these bytes (If-None-Match with the content's
    ETag) gets 304 Not Modified, and nothing is counted: nothing was downloaded.
    """
    held = parse_etags(request.headers.get("If-None-Match", ""))
    if etag_of(file) in held or "*" in held:
        response = HttpResponseNotModified()
        response["ETag"] = etag_of(file)
        return response
    response = download_response(file)
    file_download_count(file=file)
    return response
