"""Files made the way users make them: through the upload service."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from workspace.files import services
from workspace.files.models import File

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    return buffer.getvalue()


def uploaded(content: bytes = b"hello world\n", name: str = "hello.txt", content_type=None):
    return SimpleUploadedFile(name, content, content_type=content_type or "text/plain")


def upload_file(
    owner, content: bytes = b"hello world\n", name: str = "hello.txt", **kwargs
) -> File:
    """Return a file uploaded by ``owner`` through the service."""
    return services.file_upload(actor=owner, upload=uploaded(content, name), **kwargs)
