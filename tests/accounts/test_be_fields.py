"""Staff date inputs use the Buddhist Era like everything else (issue 14): accounts/fields.py reads
`7/12/2569` (and `7/12/2569 09:30`) and shows values the same way; a Gregorian year typed by
mistake is refused with the B.E. year to write; the staff forms with dates use the fields."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts.fields import BuddhistDateField, BuddhistDateTimeField, format_be, parse_be

BKK = ZoneInfo("Asia/Bangkok")


@pytest.mark.parametrize(
    ("text", "day", "time"),
    [
        ("7/12/2569", dt.date(2026, 12, 7), None),
        ("07/12/2569", dt.date(2026, 12, 7), None),
        ("7.12.2569", dt.date(2026, 12, 7), None),
        ("29/2/2567", dt.date(2024, 2, 29), None),
        ("7/12/2569 09:30", dt.date(2026, 12, 7), dt.time(9, 30)),
        ("2026-12-07", dt.date(2026, 12, 7), None),  # the machine form (ISO, Gregorian) still works
        ("2026-12-07T09:30", dt.date(2026, 12, 7), dt.time(9, 30)),
        ("2569-12-07", dt.date(2026, 12, 7), None),
    ],
)
def test_it_reads_buddhist_era_dates(text, day, time):
    assert parse_be(text) == (day, time)


def test_it_shows_values_in_the_buddhist_era_in_the_site_time_zone():
    assert format_be(dt.date(2026, 12, 7)) == "7/12/2569"
    assert format_be(dt.datetime(2026, 12, 7, 2, 30, tzinfo=dt.UTC)) == "7/12/2569 09:30"
    assert BuddhistDateField().widget.format_value(dt.date(2021, 10, 16)) == "16/10/2564"


def test_it_refuses_a_gregorian_year_and_nonsense_with_a_clear_message():
    from django.forms import ValidationError

    field = BuddhistDateField()
    with pytest.raises(ValidationError) as refused:
        field.clean("7/12/2026")
    assert refused.value.code == "gregorian" and "2569" in str(refused.value.messages)
    for bad in ("31/2/2569", "7/12", "พรุ่งนี้", "7/12/2569 09:30"):
        with pytest.raises(ValidationError):
            field.clean(bad)
    with pytest.raises(ValidationError) as no_time:
        BuddhistDateTimeField().clean("7/12/2569")
    assert "09:30" in str(no_time.value.messages)
    assert BuddhistDateTimeField(time_required=False).clean("7/12/2569") == dt.datetime(2026, 12, 7, tzinfo=BKK)
