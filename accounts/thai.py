"""Thai specifics shared by every app: Buddhist-Era dates, fiscal years, national IDs, keyed hashes.

Month names are CLDR's (th: format wide / abbreviated).
"""

import datetime as dt
import hashlib
import hmac

from django.conf import settings
from django.utils import timezone, translation

THAI_MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
THAI_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
BE_OFFSET = 543


def _as_local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


def format_date(value: dt.date | dt.datetime | None, language: str | None = None, *, short: bool = False) -> str:
    """`16 ตุลาคม 2564` in Thai (Buddhist Era), `16 October 2021` in English."""
    if value is None or value == "":
        return ""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    day = _as_local_date(value)
    if language == "th":
        months = THAI_MONTHS_SHORT if short else THAI_MONTHS
        return f"{day.day} {months[day.month - 1]} {day.year + BE_OFFSET}"
    month = ENGLISH_MONTHS[day.month - 1]
    return f"{day.day} {month[:3] if short else month} {day.year}"


def format_datetime(value: dt.datetime | None, language: str | None = None) -> str:
    if value is None or value == "":
        return ""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    suffix = " น." if language == "th" else ""
    return f"{format_date(local, language)} {local:%H:%M}{suffix}"


def fiscal_year(value: dt.date | dt.datetime, *, buddhist_era: bool = True) -> int:
    """Thai fiscal year (ปีงบประมาณ): 1 October – 30 September, named by the year it ends in."""
    day = _as_local_date(value)
    year = day.year + 1 if day.month >= 10 else day.year
    return year + BE_OFFSET if buddhist_era else year


THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def national_id_is_valid(raw: str) -> bool:
    """13 ASCII digits after normalise_national_id, the first not 0 (the first digit is the kind
    of registration; numbers starting with 0 go to people without Thai registration status, who
    are not voters, and only voters sign an ordinance initiative); check digit =
    (11 − Σ d_i·(13−i) mod 11) mod 10, i = 0..11."""
    digits = normalise_national_id(raw)
    if len(digits) != 13 or not (digits.isascii() and digits.isdigit()) or digits[0] == "0":
        return False  # isascii: str.isdigit() also takes other scripts' digits and superscripts
    total = sum(int(digits[i]) * (13 - i) for i in range(12))
    return (11 - total % 11) % 10 == int(digits[12])


def normalise_national_id(raw: str) -> str:
    """The number as ASCII digits: Thai digits (๑๒๓) become 123, spaces and dashes go. Hash this,
    so one ID written either way is one signer."""
    return "".join(ch for ch in (raw or "").translate(THAI_DIGITS) if ch != "-" and not ch.isspace())


def keyed_hash(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 with the server secret; `purpose` separates ID numbers from IPs and emails."""
    key = f"{settings.PII_HASH_KEY}:{purpose}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def mask_national_id(last4: str) -> str:
    """The printed form of a stored ID: only its last four digits, in the card's grouping
    (x-xxxx-xxxx5-67-8). Built from the last four alone: the full number is never stored."""
    last4 = (last4 or "")[-4:]
    if len(last4) != 4:
        return ""
    return f"x-xxxx-xxxx{last4[0]}-{last4[1:3]}-{last4[3]}"


def national_id_hash(raw: str) -> str | None:
    """The keyed hash a national ID number is kept as (signatures, paper sheets, verified
    accounts: one purpose, so the same person matches everywhere); None if it is not valid."""
    digits = normalise_national_id(raw)
    return keyed_hash(digits, purpose="national-id") if national_id_is_valid(digits) else None
