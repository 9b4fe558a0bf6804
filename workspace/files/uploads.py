"""Refuse oversized uploads while they stream in, before Django has stored them.

Views put ``SizeLimitHandler`` first in the request's upload handlers; it counts the bytes of
every uploaded file as they arrive and stops the request with a 413 past the limit.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from nexus_site.exceptions import PayloadTooLargeError

# Room for the multipart framing and the other form fields around a file at the limit.
MULTIPART_OVERHEAD = 64 * 1024


def too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        _("The file is larger than the %(limit)d bytes allowed.") % {"limit": limit},
        code="file_too_large",
        details={"max_bytes": limit},
    )


class SizeLimitHandler(FileUploadHandler):
    """Count each uploaded file's bytes; raise PayloadTooLargeError past ``limit``."""

    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise too_large(self.limit)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the uploaded file


def guard_upload(request: HttpRequest) -> None:
    """Refuse a body announced too large, and count the rest while it streams in.

    Call before anything reads ``request.POST`` or ``request.FILES``.
    """
    limit = settings.FILE_UPLOAD_MAX_BYTES
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > limit + MULTIPART_OVERHEAD:
        raise too_large(limit)
    request.upload_handlers.insert(0, SizeLimitHandler(request, limit=limit))
