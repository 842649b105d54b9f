"""A complaint's photo: checked to be a real image within the limits, then re-encoded.

Re-encoding drops every metadata block (EXIF holds the phone's GPS position and serial number:
PDPA asks us to keep no more than we need) and anything hidden after the image data. Limits:
COMPLAINT_PHOTO_MAX_BYTES (5 MB) for the upload, 40 megapixels, JPEG / PNG / WebP only; the stored
copy is at most 2048 px on its longer side.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from workflows.errors import ValidationFailed

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048


def max_bytes() -> int:
    return int(getattr(settings, "COMPLAINT_PHOTO_MAX_BYTES", 5 * 1024 * 1024))


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"photo": [message]})


def photo_clean(upload) -> ContentFile:
    """A ContentFile with the cleaned image (name ends in its real format), or ValidationFailed."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise _refuse(_("The photo is too large: at most %(mb)s MB.") % {"mb": f"{limit / 1024 / 1024:g}"})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refuse(_("The photo is too large: at most %(mb)s MB.") % {"mb": f"{limit / 1024 / 1024:g}"})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
        if kind not in FORMATS:
            raise _refuse(_("Send a JPEG, PNG or WebP photo."))
        if width * height > MAX_PIXELS:
            raise _refuse(_("The photo has too many pixels."))
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            if kind == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, format=kind, **({"quality": 85} if kind in ("JPEG", "WEBP") else {}))
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise _refuse(_("The file is not a photo we can read (JPEG, PNG or WebP).")) from None
    return ContentFile(out.getvalue(), name=f"photo.{FORMATS[kind]}")
