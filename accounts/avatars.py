"""Avatar images: check an upload and re-encode it as a small square PNG.

Nothing of the uploaded file is kept: Pillow decodes it (after checking its format and size
from the header alone, so a decompression bomb is refused before it is decoded) and a fresh
PNG is written, without metadata (no camera or GPS data) and unable to be anything but an
image, whatever the upload pretended to be.
"""

from io import BytesIO

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from nexus_site.exceptions import ValidationError

MAX_BYTES = 2 * 1024 * 1024
MIN_SIDE = 32
MAX_SIDE = 4096
SIZE = 256
FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})


def refused(message) -> ValidationError:
    return ValidationError(details={"avatar": [str(message)]})


def avatar_png(upload: UploadedFile) -> bytes:
    """Return ``upload`` as a SIZE x SIZE PNG, or raise ValidationError saying what is wrong."""
    if upload.size is None or upload.size > MAX_BYTES:
        raise refused(_("The image may be at most 2 MB."))
    upload.seek(0)
    try:
        with Image.open(upload, formats=sorted(FORMATS)) as image:
            width, height = image.size
            if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
                raise refused(
                    _("The image must be between %(min)s and %(max)s pixels on each side.")
                    % {"min": MIN_SIDE, "max": MAX_SIDE}
                )
            image.seek(0)  # the first frame of an animation
            picture = ImageOps.exif_transpose(image).convert("RGBA")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise refused(_("Upload a PNG, JPEG, GIF or WebP image.")) from None
    picture = ImageOps.fit(picture, (SIZE, SIZE), Image.Resampling.LANCZOS)
    out = BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
