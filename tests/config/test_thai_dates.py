import datetime as dt
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import translation

from accounts import thai


def test_it_shows_buddhist_era_in_thai():
    assert thai.format_date(dt.date(2021, 10, 16), "th") == "16 ตุลาคม 2564"


def test_it_shows_gregorian_in_english():
    assert thai.format_date(dt.date(2021, 10, 16), "en") == "16 October 2021"


def test_it_uses_bangkok_local_date_for_aware_datetimes():
    late_utc = dt.datetime(2021, 10, 15, 20, 0, tzinfo=ZoneInfo("UTC"))  # 03:00 on the 16th in Bangkok
    assert thai.format_date(late_utc, "th") == "16 ตุลาคม 2564"


def test_template_filter_follows_active_language():
    template = Template("{{ d|thaidate }}|{{ d|thaidate:'short' }}")
    with translation.override("th"):
        assert template.render(Context({"d": dt.date(2024, 2, 29)})) == "29 กุมภาพันธ์ 2567|29 ก.พ. 2567"
    with translation.override("en"):
        assert template.render(Context({"d": dt.date(2024, 2, 29)})) == "29 February 2024|29 Feb 2024"


def test_fiscal_year_starts_on_first_of_october():
    assert thai.fiscal_year(dt.date(2021, 9, 30)) == 2564
    assert thai.fiscal_year(dt.date(2021, 10, 1)) == 2565
    assert thai.fiscal_year(dt.date(2021, 10, 1), buddhist_era=False) == 2022


def test_national_id_check_digit():
    # 1-1037-02071-81-?: compute the digit the rule gives and check both it and a wrong one.
    body = "110370207181"
    total = sum(int(body[i]) * (13 - i) for i in range(12))
    good = body + str((11 - total % 11) % 10)
    bad = body + str(((11 - total % 11) % 10 + 1) % 10)
    assert thai.national_id_is_valid(good)
    assert thai.national_id_is_valid(f"{good[0]}-{good[1:5]}-{good[5:10]}-{good[10:12]}-{good[12]}")
    assert not thai.national_id_is_valid(bad)
    assert not thai.national_id_is_valid("12345")
    assert not thai.national_id_is_valid("abcdefghijklm")
