"""Small input checks every app's services share: they raise the one ValidationFailed shape."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ValidationFailed


def clean_text(value, field: str, *, max_length: int, required: bool = True) -> str:
    """Stripped text of at most `max_length` characters; ValidationFailed naming `field`."""
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(details={field: [_("This field is required.")]})
    if len(text) > max_length:
        raise ValidationFailed(details={field: [_("At most %(n)d characters.") % {"n": max_length}]})
    return text


def parse_local_datetime(value: str) -> dt.datetime | None:
    """A form's date and time in the site's time zone: Buddhist Era as staff write it (`7/12/2569
    09:30`, accounts/fields.py) or ISO (a datetime-local value); None when empty or not a date."""
    from accounts.fields import parse_be

    try:
        day, time = parse_be(value or "")
        naive = dt.datetime.combine(day, time or dt.time())
    except ValueError:
        try:
            naive = dt.datetime.fromisoformat((value or "").strip())
        except ValueError:
            return None
    return timezone.make_aware(naive) if timezone.is_naive(naive) else naive
