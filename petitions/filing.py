"""An ordinance initiative's filing (การเข้าชื่อเสนอข้อบัญญัติท้องถิ่น): what the council president
receives, the public objection notice, and the objections to its entries.

- ordinance_details_set / representative_add: the draft ordinance (its own field), the council
  regulation that sets the collection window, the signers' representatives with their declaration.
- filing(): one structure for the packet's PDF (workflows.pdf, the ITA report's Thai PDF) and
  CSV: the draft, the representatives and the signer list (name, village, masked ID, channel:
  online, or paper sheet and line, and the date), with totals. Never a full ID number: only its
  last four digits are stored (accounts.thai.mask_national_id).
- objection_notice_post: the list is posted publicly for the policy's objection_days with names and
  villages only; objection_file lets anyone object to an entry during that period;
  objection_resolve: staff uphold (the signature is invalidated, the tallies go down) or dismiss.
  Every act is audited; the objector's name and contact are not in the (public) audit payload.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import thai
from accounts.models import Village
from workflows.errors import Conflict, NotFound, PermissionDenied, RateLimited, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.pdf import EvidencePDF, pdf_bytes
from workflows.ratelimit import hit
from workflows.services import audit_append

from . import rules
from .models import Channel, Objection, Petition, Representative, Signature, SignatureState, State
from .selectors import counts_key, petition_total
from .services import MAX_NAME, SHARDS, _deltas_for, _tally_add

# Before submission the filing may change; after it, it is what the council received.
EDITABLE_STATES = frozenset({State.DRAFT, State.COLLECTING_SPONSORS, State.AWAITING_MODERATION, State.OPEN, State.CLOSED})
NOTICE_STATES = frozenset({State.OPEN, State.CLOSED})
OBJECTIONS_PER_ADDRESS = 20  # per hour: a person objects to a few entries, not to the whole list


def _ordinance(petition: Petition) -> None:
    if not petition.is_ordinance:
        raise TransitionNotAllowed(_("Only a local ordinance initiative has a filing."), code="not_ordinance")


def _check_staff(petition: Petition, actor) -> None:
    if not rules.is_clerk_or_moderator(petition, actor):
        raise PermissionDenied(_("Only the organisation's staff can prepare the filing."))


def _editable(petition: Petition) -> None:
    if petition.state not in EDITABLE_STATES:
        raise TransitionNotAllowed(_("The initiative has been submitted; its filing no longer changes."), code="filing_final")


def _text(value, name: str, *, max_length: int, required: bool = True) -> str:
    text = str(value or "").strip() if isinstance(value, str | int) or value is None else ""
    if required and not text:
        raise ValidationFailed(details={name: [_("This field is required.")]})
    if len(text) > max_length:
        raise ValidationFailed(details={name: [_("At most %(n)d characters.") % {"n": max_length}]})
    return text


def _texts(errors: dict, **fields: tuple) -> list[str]:
    """Each required text field cleaned (name=(value, max_length)); the problems added to `errors`."""
    out = []
    for name, (value, max_length) in fields.items():
        try:
            out.append(_text(value, name, max_length=max_length))
        except ValidationFailed as exc:
            errors |= exc.details
            out.append("")
    return out


# --- what the filing carries ------------------------------------------------------------------------
def ordinance_details_set(*, petition: Petition, actor, draft_ordinance, collection_regulation="") -> Petition:
    """The author or staff set the draft ordinance text and the council regulation's reference."""
    _ordinance(petition)
    if not (rules.is_author(petition, actor) or rules.is_clerk_or_moderator(petition, actor)):
        raise PermissionDenied()
    draft = _text(draft_ordinance, "draft_ordinance", max_length=50000)
    regulation = _text(collection_regulation, "collection_regulation", max_length=300, required=False)
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        _editable(locked)
        if (locked.draft_ordinance, locked.collection_regulation) == (draft, regulation):
            return locked
        locked.draft_ordinance, locked.collection_regulation = draft, regulation
        locked.updated_at = timezone.now()
        locked.save(update_fields=["draft_ordinance", "collection_regulation", "updated_at"])
        audit_append(
            action=AuditEntry.Action.MODERATION, name="draft_ordinance_set", actor=actor, record=locked,
            payload={"draft_ordinance": draft, "collection_regulation": regulation},
        )  # fmt: skip
    return locked


def representative_add(
    *, petition: Petition, actor, name, village_number, declaration, declared_on, address=""
) -> Representative:
    """Staff record a representative of the signers with the declaration they signed."""
    _ordinance(petition)
    _check_staff(petition, actor)
    errors: dict = {}
    name, declaration = _texts(errors, name=(name, MAX_NAME), declaration=(declaration, 5000))
    try:
        village = int(village_number)
        if not Village.objects.filter(organisation_id=petition.organisation_id, number=village).exists():
            raise ValueError
    except (TypeError, ValueError):
        errors["village_number"] = [_("Choose the village (หมู่ที่).")]
    try:
        day = declared_on if isinstance(declared_on, dt.date) else dt.date.fromisoformat(str(declared_on or ""))
    except ValueError:
        errors["declared_on"] = [_("Enter the date (YYYY-MM-DD).")]
    address = str(address or "").strip()[:300]
    if errors:
        raise ValidationFailed(details=errors)
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        _editable(locked)
        rep = Representative.objects.create(
            petition=locked, name=name, village_number=village, address=address, declaration=declaration,
            declared_on=day, added_by=actor,
        )  # fmt: skip
        audit_append(
            action=AuditEntry.Action.MODERATION, name="representative_added", actor=actor, record=locked,
            payload={"representative": rep.pk, "village_number": village, "declared_on": day.isoformat()},
        )  # fmt: skip
    return rep


# --- the packet ------------------------------------------------------------------------------------
@dataclass
class Filing:
    petition: Petition
    organisation_name: str
    representatives: list[Representative]
    signers: list[dict]
    totals: dict
    villages: list[tuple[str, int]]
    sources: list[tuple[str, str]] = field(default_factory=list)


def channel_label(signature: Signature, sheets: dict[int, int]) -> str:
    if signature.channel == Channel.PAPER:
        sheet = sheets.get(signature.paper_sheet_id, "?")
        return _("paper sheet %(sheet)s line %(line)s") % {"sheet": sheet, "line": signature.sheet_line}
    return _("online")


def _signed_on(s: Signature) -> dt.date:
    """Paper: the date on the sheet (kept as created_at); online: the day it was confirmed."""
    when = s.created_at if s.channel == Channel.PAPER else s.confirmed_at or s.created_at
    return timezone.localtime(when).date()


def filing(petition: Petition) -> Filing:
    """The packet for the council president. Signers: the confirmed signatures, in entry order."""
    _ordinance(petition)
    rows = list(
        Signature.objects.filter(petition=petition, state=SignatureState.CONFIRMED)
        .select_related("paper_sheet")
        .order_by("id")
        .only("id", "name", "village_number", "national_id_last4", "channel", "paper_sheet__number", "sheet_line",
              "created_at", "confirmed_at")
    )  # fmt: skip
    sheets = {s.paper_sheet_id: s.paper_sheet.number for s in rows if s.paper_sheet_id}
    names = dict(Village.objects.filter(organisation_id=petition.organisation_id).values_list("number", "name"))
    signers = [
        {
            "entry": s.pk,
            "name": s.name,
            "village": f"หมู่ที่ {s.village_number} {names.get(s.village_number, '')}".strip(),
            "village_number": s.village_number,
            "masked_id": thai.mask_national_id(s.national_id_last4),
            "channel": s.channel,
            "channel_label": channel_label(s, sheets),
            "signed_on": _signed_on(s),
        }
        for s in rows
    ]
    by_village: dict[int, int] = {}
    for s in signers:
        by_village[s["village_number"]] = by_village.get(s["village_number"], 0) + 1
    paper = sum(1 for s in signers if s["channel"] == Channel.PAPER)
    totals = {
        "signers": len(signers), "online": len(signers) - paper, "paper": paper, "threshold": petition.council_threshold,
        "sheets": len(set(sheets.values())),
    }  # fmt: skip
    policy = petition.policy()
    sources = [
        (_("Signer threshold: %(n)s") % {"n": petition.council_threshold}, policy.ordinance_threshold_source),
        (
            _("Collection window: %(n)s days") % {"n": policy.signing_days},
            policy.signing_days_source or petition.collection_regulation,
        ),
        (_("Days to report: %(n)s") % {"n": policy.report_days}, policy.report_days_source),
        (_("Days for the council: %(n)s") % {"n": policy.council_days}, policy.council_days_source),
        (_("Objection period: %(n)s days") % {"n": policy.objection_days}, policy.objection_days_source),
    ]
    return Filing(
        petition=petition, organisation_name=str(petition.organisation), representatives=list(petition.representatives.all()),
        signers=signers, totals=totals,
        villages=[(f"หมู่ที่ {n} {names.get(n, '')}".strip(), c) for n, c in sorted(by_village.items())], sources=sources,
    )  # fmt: skip


def filing_csv_rows(f: Filing):
    """The signer list as CSV rows (header, one row per signer, then the totals)."""
    yield ["entry", "name", "village", "masked_national_id", "channel", "sheet_and_line", "signed_on"]
    for s in f.signers:
        yield [s["entry"], s["name"], s["village"], s["masked_id"], s["channel"], s["channel_label"], s["signed_on"].isoformat()]
    yield []
    for key in ("signers", "online", "paper", "sheets", "threshold"):
        yield ["total", key, f.totals[key]]
    for village, n in f.villages:
        yield ["total", village, n]


def filing_pdf(f: Filing) -> bytes:
    p = f.petition
    title = _("Filing of a local ordinance initiative")
    pdf = EvidencePDF(title=title, organisation=f.organisation_name)
    pdf.add_page()
    pdf.para(_("To the President of the Council, %(org)s") % {"org": f.organisation_name}, size=12, bold=True)
    pdf.para(title, size=15, bold=True, gap=0)
    pdf.para(p.title, size=13, bold=True, gap=2)
    pdf.para(_("Made by Ruamkid on %(date)s.") % {"date": thai.format_date(timezone.localdate())}, size=9, gap=2)
    pdf.para(_("Totals"), size=12, bold=True, gap=0.5)
    t = f.totals
    for line in [
        _("Signers: %(n)s (threshold %(t)s)") % {"n": t["signers"], "t": t["threshold"]},
        _("Online: %(n)s") % {"n": t["online"]},
        _("On paper: %(n)s from %(s)s sheets") % {"n": t["paper"], "s": t["sheets"]},
        *[f"{village}: {n}" for village, n in f.villages],
    ]:
        pdf.para(line, size=10, indent=4, bullet=True, gap=0.3)
    pdf.para(_("Legal sources of the numbers"), size=12, bold=True, gap=0.5)
    for label, source in f.sources:
        pdf.para(f"{label}: {source or _('(no source noted in the policy)')}", size=9.5, indent=4, bullet=True, gap=0.3)
    pdf.para(_("Representatives of the signers"), size=12, bold=True, gap=0.5)
    if not f.representatives:
        pdf.para(_("None recorded."), size=10, indent=4)
    for r in f.representatives:
        pdf.para(f"{r.name} (หมู่ที่ {r.village_number}) · {thai.format_date(r.declared_on)}", size=10.5, bold=True, indent=4, gap=0)
        pdf.para(r.declaration, size=9.5, indent=8, gap=1)
    pdf.add_page()
    pdf.para(_("The draft ordinance"), size=12, bold=True, gap=1)
    pdf.para(p.draft_ordinance or _("(no draft recorded)"), size=10)
    pdf.add_page()
    pdf.para(_("The signers"), size=12, bold=True, gap=1)
    widths = (10, 48, 34, 34, 30, 18)
    heads = (_("No."), _("Name"), _("Village"), _("National ID"), _("Channel"), _("Date"))
    _row(pdf, widths, heads, bold=True)
    for n, s in enumerate(f.signers, start=1):
        date = thai.format_date(s["signed_on"], short=True)
        _row(pdf, widths, (str(n), s["name"], s["village"], s["masked_id"], s["channel_label"], date))
    pdf.ln(2)
    pdf.para(_("Signers: %(n)s (threshold %(t)s)") % {"n": t["signers"], "t": t["threshold"]}, size=10.5, bold=True)
    return pdf_bytes(pdf)


def _row(pdf: EvidencePDF, widths, cells, *, bold: bool = False) -> None:
    pdf.set_font("thai", "B" if bold else "", 8.5)
    lines = [pdf.lines(str(c), w - 1.5) for w, c in zip(widths, cells, strict=True)]
    height = 4.4 * max(len(x) for x in lines)
    if pdf.get_y() + height > pdf.h - 18:
        pdf.add_page()
    y, x = pdf.get_y(), pdf.l_margin
    for w, text in zip(widths, lines, strict=True):
        pdf.set_xy(x, y)
        pdf.multi_cell(w, 4.4, "\n".join(text), border=1 if bold else "B", new_x="RIGHT", new_y="TOP")
        x += w
    pdf.set_xy(pdf.l_margin, y + height)


# --- the objection notice ---------------------------------------------------------------------------
def objection_notice_post(*, petition: Petition, actor) -> Petition:
    """Post the signer list publicly (names and villages) for the policy's objection_days."""
    _ordinance(petition)
    _check_staff(petition, actor)
    with transaction.atomic():
        locked = Petition.objects.select_for_update().get(pk=petition.pk)
        if locked.state not in NOTICE_STATES:
            message = _("The objection notice is posted before the initiative is submitted.")
            raise TransitionNotAllowed(message, code="notice_closed")
        now = timezone.now()
        if locked.objection_closes_at is not None and now < locked.objection_closes_at:
            raise Conflict(_("The objection notice is already posted."), code="notice_running")
        locked.objection_opens_at = now
        locked.objection_closes_at = now + dt.timedelta(days=locked.policy().objection_days)
        locked.save(update_fields=["objection_opens_at", "objection_closes_at"])
        audit_append(
            action=AuditEntry.Action.MODERATION, name="objection_notice_posted", actor=actor, record=locked,
            payload={"opens_at": now.isoformat(), "closes_at": locked.objection_closes_at.isoformat(),
                     "entries": petition_total(locked.pk)},
        )  # fmt: skip
    return locked


def notice_running(petition: Petition, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(petition.objection_opens_at and petition.objection_closes_at and now < petition.objection_closes_at)


def notice_entries(petition: Petition) -> list[dict]:
    """The public notice: entry number, name and village of each counted signer. Nothing else."""
    names = dict(Village.objects.filter(organisation_id=petition.organisation_id).values_list("number", "name"))
    rows = (
        Signature.objects.filter(petition=petition, state=SignatureState.CONFIRMED)
        .order_by("id")
        .values_list("id", "name", "village_number")
    )
    return [{"entry": pk, "name": name, "village": f"หมู่ที่ {v} {names.get(v, '')}".strip()} for pk, name, v in rows]


def objection_file(*, petition: Petition, entry, objector_name, reason, contact="", ip: str = "") -> Objection:
    """Anyone objects to one entry while the notice is posted (audited without their name)."""
    _ordinance(petition)
    petition = Petition.objects.get(pk=petition.pk)  # the notice's period as it is now
    if not notice_running(petition):
        raise TransitionNotAllowed(_("Objections are taken only while the notice is posted."), code="notice_closed")
    errors: dict = {}
    name, reason = _texts(errors, objector_name=(objector_name, MAX_NAME), reason=(reason, 5000))
    try:
        entry = int(entry)
    except (TypeError, ValueError):
        entry = None
    signature = Signature.objects.filter(petition=petition, pk=entry, state=SignatureState.CONFIRMED).first() if entry else None
    if signature is None:
        errors["entry"] = [_("There is no such entry on the notice.")]
    if errors:
        raise ValidationFailed(details=errors)
    if ip and hit(f"objection:{petition.pk}:{ip}", 3600) > OBJECTIONS_PER_ADDRESS:
        raise RateLimited()
    with transaction.atomic():
        objection = Objection.objects.create(
            petition=petition, signature=signature, objector_name=name, objector_contact=str(contact or "").strip()[:200],
            reason=reason,
        )  # fmt: skip
        audit_append(
            action=AuditEntry.Action.MODERATION, name="objection_filed", actor=None, record=petition,
            payload={"objection": objection.pk, "entry": signature.pk},
        )  # fmt: skip
    return objection


def objection_resolve(*, objection_id, actor, uphold: bool, reason) -> Objection:
    """Staff decide an objection: upheld, the entry's signature is invalidated (counts go down);
    dismissed, it stands. Audited with the reason and the counts before and after."""
    reason = _text(reason, "reason", max_length=5000)
    with transaction.atomic():
        objection = Objection.objects.select_for_update().select_related("petition").filter(pk=_int(objection_id)).first()
        if objection is None or not rules.is_clerk_or_moderator(objection.petition, actor):
            raise NotFound(_("There is no such objection."))
        if objection.state != Objection.State.OPEN:
            raise Conflict(_("This objection has already been resolved."), code="objection_resolved")
        petition = objection.petition
        if petition.state not in NOTICE_STATES:
            raise TransitionNotAllowed(_("The initiative has been submitted; its filing no longer changes."), code="filing_final")
        before = petition_total(petition.pk)
        signature = Signature.objects.select_for_update().get(pk=objection.signature_id)
        now = timezone.now()
        removed = uphold and signature.state == SignatureState.CONFIRMED
        if removed:
            Signature.objects.filter(pk=signature.pk).update(state=SignatureState.INVALIDATED, ended_at=now)
            deltas = _deltas_for([(signature.village_number, signature.confirmed_at)], -1)
            _tally_add(petition.pk, random.randrange(SHARDS), deltas)
        objection.state = Objection.State.UPHELD if uphold else Objection.State.DISMISSED
        objection.resolution, objection.resolved_at, objection.resolved_by = reason, now, actor
        objection.save(update_fields=["state", "resolution", "resolved_at", "resolved_by"])
        after = before - (1 if removed else 0)
        audit_append(
            action=AuditEntry.Action.MODERATION, name=f"objection_{objection.state}", actor=actor, record=petition,
            reason=reason, from_state=str(before), to_state=str(after),
            payload={"objection": objection.pk, "entry": signature.pk, "count_before": before, "count_after": after},
        )  # fmt: skip
    cache.delete(counts_key(petition.pk))
    return objection


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def objections_for(petition: Petition):
    return Objection.objects.filter(petition=petition).select_related("signature").order_by("state", "created_at", "id")
