"""A complaint's photo: checked to be a real image within the limits, then re-encoded.

Re-encoding (workflows.files.image_clean) drops every metadata block (EXIF holds the phone's GPS
position and serial number: PDPA asks us to keep no more than we need) and anything hidden after the
image data. Limits: COMPLAINT_PHOTO_MAX_BYTES (5 MB) for the upload, 40 megapixels, JPEG / PNG / WebP
only; the stored copy is at most 2048 px on its longer side.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from workflows.errors import ValidationFailed
from workflows.files import IMAGE_FORMATS, NotAnImage, image_clean


def max_bytes() -> int:
    return int(getattr(settings, "COMPLAINT_PHOTO_MAX_BYTES", 5 * 1024 * 1024))


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"photo": [message]})


def photo_clean(upload) -> ContentFile:
    """A ContentFile with the cleaned image (name ends in its real format), or ValidationFailed."""
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise _refuse(_("The photo is too large: at most %(mb)s MB.") % {"mb": f"{limit / 1024 / 1024:g}"})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refuse(_("The photo is too large: at most %(mb)s MB.") % {"mb": f"{limit / 1024 / 1024:g}"})
    try:
        clean, kind = image_clean(data)
    except NotAnImage as exc:
        if exc.too_large:
            raise _refuse(_("The photo has too many pixels.")) from None
        raise _refuse(_("The file is not a photo we can read (JPEG, PNG or WebP).")) from None
    return ContentFile(clean, name=f"photo.{IMAGE_FORMATS[kind][0]}")
