"""Paper signatures: staff enter the lines of a signature sheet collected on paper.

A sheet (PaperSheet) is added once, with its scan (through Django's storage API). Its lines are
entered one at a time (paper_entry_record, the page's form) or from a CSV of the whole sheet
(paper_sheet_import); every reading is one PaperEntry of the person who typed it. A line counts,
as a confirmed Signature with channel "paper" in the same sharded tallies as online signatures
(the total, the village and the hour of counting), when:

- general petition: it has been entered once;
- ordinance initiative: two different staff entered it alike (double entry); while their readings
  differ the line is a "mismatch" and the sheet page shows the differences; a correction (the same
  person entering the line again) replaces that person's reading.

A line whose national ID (keyed hash) or folded email has already signed (online or on another
sheet or line) is a "duplicate" and does not count; the database's unique indexes on Signature
are the guarantee, the checks here only name what it duplicates. Each act is one transaction and
one audit entry with the petition's count before and after.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import secrets

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Village, normalise_email
from accounts.thai import keyed_hash, national_id_is_valid, normalise_national_id
from workflows.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.services import audit_append

from . import controls, rules
from .models import Channel, PaperEntry, PaperSheet, Petition, Signature, SignatureState, State
from .selectors import counts_key, petition_total
from .services import MAX_NAME, SHARDS, _hour_bucket, _tally_add, thresholds_check

PAPER_EMAIL_DOMAIN = "paper.invalid"  # RFC 2606: a placeholder address that can never receive mail
MAX_SCAN_BYTES = 20 * 1024 * 1024
MAX_CSV_BYTES = 1024 * 1024
MAX_LINES = 500
CSV_COLUMNS = ("line", "name", "village", "national_id", "email", "signed_on")
# Sheets are entered while signatures are collected and until the initiative is submitted (sheets
# come in from the villages after the window closes; only what was signed inside it counts).
ENTRY_STATES = frozenset({State.OPEN, State.CLOSED})


def _check_staff(petition: Petition, actor) -> None:
    if not rules.can_enter_paper(petition, actor):
        raise PermissionDenied(_("Only the organisation's staff can enter paper signatures."))


def _check_entry_state(petition: Petition) -> None:
    if petition.state not in ENTRY_STATES:
        message = _("Paper signatures are entered while the petition is open or closed.")
        raise TransitionNotAllowed(message, code="paper_closed")


def _placeholder_email(sheet: PaperSheet, line: int) -> str:
    return f"sheet{sheet.pk}-line{line}@{PAPER_EMAIL_DOMAIN}"


def is_placeholder_email(email: str) -> bool:
    return email.endswith("@" + PAPER_EMAIL_DOMAIN)


# --- sheets -----------------------------------------------------------------------------------------
def paper_sheet_add(*, petition: Petition, actor, number, scan) -> PaperSheet:
    """Add a sheet with its scan (an UploadedFile or a django File). Audited."""
    _check_staff(petition, actor)
    errors: dict = {}
    try:
        number = int(number)
        if number < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["number"] = [_("Enter the sheet's number (1 or more).")]
    if scan is None or not getattr(scan, "name", ""):
        errors["scan"] = [_("Attach the scanned sheet.")]
    elif (getattr(scan, "size", 0) or 0) > MAX_SCAN_BYTES:
        errors["scan"] = [_("The scan is larger than %(n)d MB.") % {"n": MAX_SCAN_BYTES // (1024 * 1024)}]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        _check_entry_state(locked)
        if PaperSheet.objects.filter(petition=locked, number=number).exists():
            raise Conflict(_("Sheet %(n)d has already been added.") % {"n": number}, code="sheet_exists")
        sheet = PaperSheet(petition=locked, number=number, entered_by=actor)
        sheet.scan.save(str(getattr(scan, "name", "scan")).rsplit("/", 1)[-1] or "scan", scan, save=False)
        sheet.save()
        audit_append(
            action=AuditEntry.Action.MODERATION, name="paper_sheet_added", actor=actor, record=locked,
            payload={"sheet": number, "scan": sheet.scan.name},
        )  # fmt: skip
    return sheet


def paper_sheet_get(*, petition: Petition, number) -> PaperSheet:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFound() from None
    sheet = PaperSheet.objects.filter(petition=petition, number=number).first()
    if sheet is None:
        raise NotFound(_("There is no such sheet."))
    return sheet


# --- readings ---------------------------------------------------------------------------------------
def _signed_on(value) -> dt.date | None:
    """A date as YYYY-MM-DD, the year Buddhist Era (2568) or Common Era (2025)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return day.replace(year=day.year - 543) if day.year > 2400 else day


def _clean_reading(petition: Petition, villages: set[int], row: dict) -> dict:
    """A reading's fields, or ValidationFailed with the per-field errors."""
    errors: dict = {}
    name = " ".join(str(row.get("name") or "").split())
    if not name:
        errors["name"] = [_("Enter the name.")]
    elif len(name) > MAX_NAME:
        errors["name"] = [_("At most %(n)d characters.") % {"n": MAX_NAME}]
    try:
        line = int(row.get("line"))
        if not 1 <= line <= 1000:
            raise ValueError
    except (TypeError, ValueError):
        errors["line"] = [_("Enter the line number on the sheet (1 to 1000).")]
        line = None
    try:
        village = int(row.get("village"))
    except (TypeError, ValueError):
        village = None
    if village not in villages:
        errors["village"] = [_("Choose the village (หมู่ที่).")]
    email = normalise_email(str(row.get("email") or ""))
    if email:
        try:
            validate_email(email)
            if len(email) > 254 or is_placeholder_email(email):
                raise ValidationError("bad")
        except ValidationError:
            errors["email"] = [_("Enter a valid email address.")]
    signed_on = _signed_on(row.get("signed_on"))
    today = timezone.localdate()
    if signed_on is None:
        errors["signed_on"] = [_("Enter the date signed (YYYY-MM-DD).")]
    elif signed_on > today:
        errors["signed_on"] = [_("The date signed is in the future.")]
    elif petition.opened_at and signed_on < timezone.localtime(petition.opened_at).date():
        errors["signed_on"] = [_("The date signed is before the petition opened.")]
    elif petition.closes_at and signed_on > timezone.localtime(petition.closes_at).date():
        errors["signed_on"] = [_("The date signed is after signing closed.")]
    nid_hash, last4 = None, ""
    raw_id = str(row.get("national_id") or "")
    if petition.is_ordinance:
        digits = normalise_national_id(raw_id)
        if not digits:
            errors["national_id"] = [_("A local ordinance initiative needs the 13-digit national ID number.")]
        elif not national_id_is_valid(digits):
            errors["national_id"] = [_("This is not a valid 13-digit national ID number (check digit).")]
        else:
            nid_hash, last4 = keyed_hash(digits, purpose="national-id"), digits[-4:]
    if errors:
        raise ValidationFailed(details=errors)
    return {
        "line": line, "name": name, "village_number": village, "email": email, "national_id_hash": nid_hash,
        "national_id_last4": last4, "signed_on": signed_on,
    }  # fmt: skip


def _villages(petition: Petition) -> set[int]:
    return set(Village.objects.filter(organisation_id=petition.organisation_id).values_list("number", flat=True))


def _duplicate_of(petition: Petition, reading: PaperEntry) -> str:
    """What an active signature of the petition by the same person is ("" if none)."""
    same = Signature.objects.filter(petition=petition, state__in=[SignatureState.PENDING, SignatureState.CONFIRMED])
    found = None
    if reading.national_id_hash:
        found = same.filter(national_id_hash=reading.national_id_hash, state=SignatureState.CONFIRMED).first()
    if found is None and reading.email:
        found = same.filter(email=reading.email).first()
    if found is None:
        return ""
    if found.channel == Channel.PAPER:
        return _("already signed on sheet %(sheet)s, line %(line)s") % {
            "sheet": found.paper_sheet.number if found.paper_sheet_id else "?", "line": found.sheet_line,
        }  # fmt: skip
    return _("already signed online")


def _count(petition: Petition, sheet: PaperSheet, reading: PaperEntry, now: dt.datetime) -> Signature | None:
    """Make the line's Signature (confirmed, paper) and add it to the tallies; None if the person
    has already signed (the unique indexes decide when two lines race)."""
    signed_at = timezone.make_aware(dt.datetime.combine(reading.signed_on, dt.time(12)))
    signature = Signature(
        petition=petition, state=SignatureState.CONFIRMED, channel=Channel.PAPER, paper_sheet=sheet,
        sheet_line=reading.line, name=reading.name, email=reading.email or _placeholder_email(sheet, reading.line),
        village_number=reading.village_number, national_id_hash=reading.national_id_hash,
        national_id_last4=reading.national_id_last4, salt=secrets.token_hex(8), consented_at=signed_at,
        created_at=signed_at, last_sent_at=now, confirmed_at=now, notify_outcome=False,
    )  # fmt: skip
    try:
        with transaction.atomic():
            signature.save(force_insert=True)
    except IntegrityError:
        return None
    _tally_add(petition.pk, random.randrange(SHARDS), [("t", 1), (_hour_bucket(now), 1), (f"v{reading.village_number}", 1)])
    return signature


def _settle_line(petition: Petition, sheet: PaperSheet, line: int, now: dt.datetime) -> str:
    """Look at the readings of one line and count it when they allow; returns the line's status."""
    entries = list(PaperEntry.objects.select_for_update().filter(sheet=sheet, line=line).order_by("entered_at", "id"))
    if Signature.objects.filter(paper_sheet=sheet, sheet_line=line).exists():
        status, note, chosen = PaperEntry.Status.COUNTED, "", None
    else:
        chosen = None
        if not petition.is_ordinance:
            chosen = entries[-1] if entries else None
        else:
            for i, a in enumerate(entries):
                for b in entries[i + 1 :]:
                    if a.entered_by_id != b.entered_by_id and a.reading() == b.reading():
                        chosen = b
        if chosen is None:
            status = PaperEntry.Status.MISMATCH if len({e.entered_by_id for e in entries}) > 1 else PaperEntry.Status.WAITING
            note = ""
        else:
            note = _duplicate_of(petition, chosen)
            if not note and _count(petition, sheet, chosen, now) is None:
                note = _("already signed (found when counting)")
            status = PaperEntry.Status.DUPLICATE if note else PaperEntry.Status.COUNTED
    PaperEntry.objects.filter(sheet=sheet, line=line).update(status=status, note=note[:300])
    return status


def _record(petition: Petition, sheet: PaperSheet, actor, readings: list[dict], *, name: str) -> dict:
    """Store the actor's readings of `sheet` (replacing their own earlier ones of the same lines),
    settle each line, audit once. Inside the caller's transaction, the petition locked."""
    _check_entry_state(petition)
    now = timezone.now()
    counted_lines = set(
        Signature.objects.filter(paper_sheet=sheet, sheet_line__in=[r["line"] for r in readings]).values_list(
            "sheet_line", flat=True
        )
    )
    if counted_lines:
        raise Conflict(
            _("These lines have already been counted and cannot be entered again: %(lines)s")
            % {"lines": ", ".join(str(n) for n in sorted(counted_lines))},
            code="line_counted", details={"lines": sorted(counted_lines)},
        )  # fmt: skip
    before = petition_total(petition.pk)
    for r in readings:
        PaperEntry.objects.update_or_create(
            sheet=sheet, line=r["line"], entered_by=actor,
            defaults={**{k: v for k, v in r.items() if k != "line"}, "entered_at": now, "status": PaperEntry.Status.WAITING,
                      "note": ""},
        )  # fmt: skip
    statuses = {r["line"]: _settle_line(petition, sheet, r["line"], now) for r in readings}
    after = petition_total(petition.pk)
    summary = {s: sum(1 for v in statuses.values() if v == s) for s in PaperEntry.Status.values}
    audit_append(
        action=AuditEntry.Action.MODERATION, name=name, actor=actor, record=petition, from_state=str(before),
        to_state=str(after), payload={"sheet": sheet.number, "lines": sorted(statuses), **summary, "count_before": before,
                                      "count_after": after},
    )  # fmt: skip
    return {"sheet": sheet.number, "lines": statuses, **summary, "count_before": before, "count_after": after}


def _after_counting(petition: Petition, result: dict) -> None:
    cache.delete(counts_key(petition.pk))
    if result["counted"] and petition.state == State.OPEN:
        thresholds_check(petition.pk)


def paper_entry_record(*, petition: Petition, actor, sheet_number, **reading) -> dict:
    """One line of a sheet entered with the page's form (or the API). Returns the line's status
    and the counts (see _record)."""
    _check_staff(petition, actor)
    petition = Petition.objects.get(pk=petition.pk)  # its window as it is now
    clean = _clean_reading(petition, _villages(petition), reading)
    controls.refuse_blocked(petition.organisation_id, clean["email"])  # 403 email_blocked, nothing entered
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        sheet = paper_sheet_get(petition=locked, number=sheet_number)
        result = _record(locked, sheet, actor, [clean], name="paper_signature_entered")
    _after_counting(locked, result)
    return result


def _csv_rows(data) -> list[dict]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(details={"file": [_("The CSV file must be UTF-8 text.")]}) from None
    reader = csv.DictReader(io.StringIO(str(data)))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("line", "name", "village", "signed_on") if c not in header]
    if missing:
        raise ValidationFailed(
            details={"file": [_("The CSV file needs the columns %(columns)s.") % {"columns": ", ".join(CSV_COLUMNS)}]}
        )
    reader.fieldnames = header
    rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    if not rows:
        raise ValidationFailed(details={"file": [_("The CSV file has no lines.")]})
    if len(rows) > MAX_LINES:
        raise ValidationFailed(details={"file": [_("At most %(n)d lines per sheet.") % {"n": MAX_LINES}]})
    return rows


def paper_sheet_import(*, petition: Petition, actor, sheet_number, file, scan=None) -> dict:
    """A whole sheet from a CSV (columns: line, name, village, national_id, email, signed_on), the
    sheet added first with `scan` when it is new. Every row is checked before anything is written;
    any error refuses the whole file (details name the CSV row and field)."""
    _check_staff(petition, actor)
    raw = file.read() if hasattr(file, "read") else file
    if raw is None or len(raw) > MAX_CSV_BYTES:
        raise ValidationFailed(details={"file": [_("Attach a CSV file of at most 1 MB.")]})
    rows = _csv_rows(raw)
    petition = Petition.objects.get(pk=petition.pk)  # its window as it is now
    villages = _villages(petition)
    clean, errors, seen, blocked = [], {}, set(), {}
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            reading = _clean_reading(petition, villages, row)
        except ValidationFailed as exc:
            errors[f"row {n}"] = exc.details
            continue
        if reading["line"] in seen:
            errors[f"row {n}"] = {"line": [_("This line appears twice in the file.")]}
            continue
        seen.add(reading["line"])
        clean.append(reading)
        if reading["email"] and controls.email_blocked(petition.organisation_id, reading["email"]):
            blocked[f"row {n}"] = {"email": [_("This email address is blocked from signing.")]}
    if errors:
        raise ValidationFailed(_("Some lines of the CSV file are not valid; nothing was entered."), details=errors)
    if blocked:  # the whole file is refused, as for any other bad line
        raise controls.blocked_error(details=blocked)
    with transaction.atomic():
        if scan is not None and not PaperSheet.objects.filter(petition=petition, number=_int_or_none(sheet_number)).exists():
            paper_sheet_add(petition=petition, actor=actor, number=sheet_number, scan=scan)
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        sheet = paper_sheet_get(petition=locked, number=sheet_number)
        result = _record(locked, sheet, actor, clean, name="paper_sheet_entered")
    _after_counting(locked, result)
    return result


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- reads ------------------------------------------------------------------------------------------
FIELDS_COMPARED = ("name", "village_number", "email", "national_id_last4", "signed_on")


def sheet_lines(sheet: PaperSheet) -> list[dict]:
    """Each line of the sheet with its readings and, where two readings differ, which fields do.
    National IDs are compared by their hash and shown by their last four digits only."""
    lines: dict[int, list[PaperEntry]] = {}
    for entry in sheet.entries.select_related("entered_by").order_by("line", "entered_at", "id"):
        lines.setdefault(entry.line, []).append(entry)
    out = []
    for line, entries in sorted(lines.items()):
        differs = []
        if len(entries) > 1:
            first = entries[0]
            differs = [f for f in FIELDS_COMPARED if any(getattr(e, f) != getattr(first, f) for e in entries[1:])]
            if "national_id_last4" not in differs and any(e.national_id_hash != first.national_id_hash for e in entries):
                differs.append("national_id_last4")
        out.append({"line": line, "status": entries[-1].status, "note": entries[-1].note, "entries": entries, "differs": differs})
    return out


def sheets_for(petition: Petition) -> list[dict]:
    """The petition's sheets with how many lines each has counted, waiting, differing or duplicate."""
    out = []
    for sheet in PaperSheet.objects.filter(petition=petition).select_related("entered_by").order_by("number"):
        statuses: dict[int, str] = dict(sheet.entries.order_by("line", "entered_at").values_list("line", "status"))
        summary = {s: sum(1 for v in statuses.values() if v == s) for s in PaperEntry.Status.values}
        out.append({"sheet": sheet, "lines": len(statuses), **summary})
    return out
