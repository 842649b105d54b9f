"""Form fields for dates in the Buddhist Era, as staff read and write them everywhere else
(issue 14): `7/12/2569` is 7 December 2026, `7/12/2569 09:30` adds the time. A form shows its
value the same way. A year written with four digits from 2400 is B.E.; a Gregorian year in a
d/m/y date is refused with a message saying so (7/12/2026 is easy to type by mistake and would
land 543 years off). The machine form `2026-12-07` (ISO, Gregorian; what a browser's date input
and the API send) is still accepted, so scripts and old bookmarks keep working.
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .thai import BE_OFFSET

_DMY = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?:[\sT,]+(\d{1,2})[:.](\d{2}))?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[\sT]+(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?\s*$")
MIN_BE = 2400  # 1857 CE: no record of ours is older; a smaller year is Gregorian


class NotBuddhistEra(ValueError):
    pass


def parse_be(text: str) -> tuple[dt.date, dt.time | None]:
    """(date, time or None) from `7/12/2569`, `7/12/2569 09:30` or ISO `2026-12-07[T09:30]`."""
    found = _DMY.match(text or "")
    if found:
        day, month, year, hour, minute = found.groups()
        year = int(year)
        if year < MIN_BE:
            raise NotBuddhistEra(text)
        year -= BE_OFFSET
    else:
        found = _ISO.match(text or "")
        if not found:
            raise ValueError(text)
        year, month, day, hour, minute = found.groups()
        year = int(year)
        if year >= MIN_BE:  # 2569-12-07: the Buddhist year in the machine order
            year -= BE_OFFSET
    day_value = dt.date(year, int(month), int(day))  # ValueError for 31/2/2569
    time_value = dt.time(int(hour), int(minute)) if hour is not None else None
    return day_value, time_value


def format_be(value: dt.date | dt.datetime | None) -> str:
    """`7/12/2569`, or `7/12/2569 09:30` for a datetime (in the site's time zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value  # what the person typed, shown back with its error
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local.day}/{local.month}/{local.year + BE_OFFSET} {local:%H:%M}"
    return f"{value.day}/{value.month}/{value.year + BE_OFFSET}"


class BuddhistDateInput(forms.TextInput):
    def __init__(self, attrs=None, *, with_time: bool = False):
        example = "7/12/2569 09:30" if with_time else "7/12/2569"
        super().__init__({"placeholder": example, "autocomplete": "off", "class": "be-date", **(attrs or {})})

    def format_value(self, value):
        return format_be(value) or None


MESSAGES = {
    "invalid": _("Write the date as day/month/year in the Buddhist Era (พ.ศ.), e.g. 7/12/2569."),
    "gregorian": _("Write the year in the Buddhist Era (พ.ศ.): %(year)s is %(be)s."),
    "time": _("Add the time, e.g. 7/12/2569 09:30."),
}


class BuddhistDateField(forms.DateField):
    """A date written and shown in the Buddhist Era (`7/12/2569`)."""

    widget = BuddhistDateInput

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("Day/month/year in the Buddhist Era (พ.ศ.), e.g. 7/12/2569"))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return _parse(str(value), with_time=False)[0]


class BuddhistDateTimeField(forms.DateTimeField):
    """A date and time written and shown in the Buddhist Era (`7/12/2569 09:30`), in the site's
    time zone; a date alone means its start (00:00)."""

    def __init__(self, *, time_required: bool = True, **kwargs):
        self.time_required = time_required
        kwargs.setdefault("widget", BuddhistDateInput(with_time=True))
        kwargs.setdefault("help_text", _("Day/month/year in the Buddhist Era (พ.ศ.) and the time, e.g. 7/12/2569 09:30"))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value if timezone.is_aware(value) else timezone.make_aware(value)
        if isinstance(value, dt.date):
            return timezone.make_aware(dt.datetime.combine(value, dt.time()))
        day, time = _parse(str(value), with_time=True)
        if time is None and self.time_required:
            raise forms.ValidationError(MESSAGES["time"], code="invalid")
        return timezone.make_aware(dt.datetime.combine(day, time or dt.time()))


def _parse(text: str, *, with_time: bool):
    try:
        day, time = parse_be(text)
    except NotBuddhistEra:
        year = int(_DMY.match(text).group(3))
        raise forms.ValidationError(
            MESSAGES["gregorian"], code="gregorian", params={"year": year, "be": year + BE_OFFSET}
        ) from None
    except ValueError:
        raise forms.ValidationError(MESSAGES["invalid"], code="invalid") from None
    if time is not None and not with_time:
        raise forms.ValidationError(MESSAGES["invalid"], code="invalid")
    return day, time
