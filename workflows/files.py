"""What an uploaded file is, by its content: a PDF document or a JPEG / PNG / WebP image.

The name and the content type the client sends are never trusted: a PDF must start with "%PDF-",
an image must decode with Pillow. Images are re-encoded (every metadata block goes: EXIF holds the
phone's GPS position, PDPA asks us to keep no more than we need) and get a thumbnail. Anything else
(HTML, SVG, a program renamed .pdf) is refused. Limits: ATTACHMENT_PDF_MAX_BYTES (10 MB) and
ATTACHMENT_IMAGE_MAX_BYTES (5 MB), 40 megapixels, at most 2048 px on the stored image's longer side.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ValidationFailed

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
THUMBNAIL_SIDE = 320
PDF = "pdf"
IMAGE = "image"
CONTENT_TYPES = {PDF: "application/pdf"} | {ext: ct for ext, ct in IMAGE_FORMATS.values()}


class NotAnImage(Exception):
    """Pillow cannot read it as a JPEG, PNG or WebP image (or it has too many pixels: `too_large`)."""

    def __init__(self, *, too_large: bool = False):
        self.too_large = too_large
        super().__init__("too many pixels" if too_large else "not an image")


def image_clean(data: bytes, *, max_side: int = MAX_SIDE) -> tuple[bytes, str]:
    """(re-encoded bytes without metadata, "JPEG" | "PNG" | "WEBP"); NotAnImage otherwise."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
        if kind not in IMAGE_FORMATS:
            raise NotAnImage()
        if width * height > MAX_PIXELS:
            raise NotAnImage(too_large=True)
        return _encode(data, kind, max_side), kind
    except NotAnImage:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise NotAnImage() from None


def _encode(data: bytes, kind: str, side: int) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)  # keep the picture upright once EXIF is gone
        image.thumbnail((side, side))
        if kind == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, format=kind, **({"quality": 85} if kind in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def max_bytes(kind: str) -> int:
    if kind == PDF:
        return int(getattr(settings, "ATTACHMENT_PDF_MAX_BYTES", 10 * 1024 * 1024))
    return int(getattr(settings, "ATTACHMENT_IMAGE_MAX_BYTES", 5 * 1024 * 1024))


@dataclass(frozen=True)
class CleanFile:
    kind: str  # PDF or IMAGE
    extension: str  # "pdf", "jpg", "png", "webp"
    data: bytes
    thumbnail: bytes | None
    sha256: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"file": [message]})


def _too_large(kind: str) -> ValidationFailed:
    mb = f"{max_bytes(kind) / 1024 / 1024:g}"
    if kind == PDF:
        return _refuse(_("A PDF document may be at most %(mb)s MB.") % {"mb": mb})
    return _refuse(_("An image may be at most %(mb)s MB.") % {"mb": mb})


def file_clean(upload) -> CleanFile:
    """Read `upload` (a Django UploadedFile), decide what it is by its bytes, check the limits."""
    if upload is None or isinstance(upload, str):
        raise _refuse(_("Choose a file to attach."))
    ceiling = max(max_bytes(PDF), max_bytes(IMAGE))
    upload.seek(0)
    data = upload.read(ceiling + 1)
    if not data:
        raise _refuse(_("The file is empty."))
    if data.startswith(b"%PDF-"):
        if len(data) > max_bytes(PDF):
            raise _too_large(PDF)
        return CleanFile(PDF, "pdf", data, None, hashlib.sha256(data).hexdigest())
    if len(data) > max_bytes(IMAGE):
        # Too large to be an image; say what it would have to be.
        raise _too_large(IMAGE) if _looks_like_image(data) else _refuse(_unsupported())
    try:
        clean, kind = image_clean(data)
        thumbnail = _encode(clean, kind, THUMBNAIL_SIDE)
    except NotAnImage as exc:
        raise _refuse(_("The image has too many pixels.") if exc.too_large else _unsupported()) from None
    extension = IMAGE_FORMATS[kind][0]
    return CleanFile(IMAGE, extension, clean, thumbnail, hashlib.sha256(clean).hexdigest())


def _unsupported() -> str:
    return _("Attach a PDF document or a JPEG, PNG or WebP image (this file is none of them).")


def _looks_like_image(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
