"""The streaming download response shared by the API, the pages and public links."""

from django.core.files.storage import default_storage
from django.http import FileResponse

from workspace.files.models import File


def download_response(file: File) -> FileResponse:
    """Stream ``file``'s bytes as an attachment, typed by its detected MIME type.

    FileResponse writes the RFC 5987 ``filename*`` for names that are not plain ASCII.
    """
    response = FileResponse(
        default_storage.open(file.blob.storage_name, "rb"),
        as_attachment=True,
        filename=file.name,
        content_type=file.mime_type,
    )
    response["Content-Length"] = str(file.size)
    response["ETag"] = f'"{file.sha256}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response
