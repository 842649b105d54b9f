"""Every write of the complaints app (integrity reports: complaints/integrity.py).

complaint_file(organisation=…, actor=…, category=…, title=…, body=…)   anyone, with or without an account
complaint_move(complaint=…, actor=…, name="assign", division=…)         staff, through the one transition service
complaint_sla_alerts()                                                  the beat task: alerts staff once per deadline
"""

from __future__ import annotations

import datetime as dt
import decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Village, normalise_email
from accounts.thai import keyed_hash
from notifications.services import outbox_write
from workflows.errors import RateLimited, ValidationFailed
from workflows.models import AuditEntry
from workflows.ratelimit import hit
from workflows.services import audit_append, transition
from workflows.validation import clean_text

from . import machine
from .models import OPEN, Category, Complaint, Division, new_tracking_code
from .photos import photo_clean

# Filings per client address and hour (a form anyone can post without an account).
FILE_LIMIT, FILE_WINDOW = 10, 3600

DEFAULT_CATEGORIES = [
    # code, Thai, English, days to resolve
    ("road", "ถนน ทางเท้า สะพาน", "Roads, footpaths and bridges", 15),
    ("water", "น้ำประปา ท่อระบายน้ำ น้ำท่วมขัง", "Water supply, drains and flooding", 7),
    ("light", "ไฟฟ้าส่องสว่างสาธารณะ", "Street lights", 7),
    ("waste", "ขยะและความสะอาด", "Waste and cleaning", 3),
    ("nuisance", "เหตุเดือดร้อนรำคาญ เสียง กลิ่น ควัน", "Nuisance: noise, smell, smoke", 15),
    ("animals", "สัตว์จรจัด สัตว์มีพิษ", "Stray and dangerous animals", 7),
    ("staff", "การให้บริการและพฤติกรรมเจ้าหน้าที่", "Service and staff conduct", 30),
    ("other", "เรื่องอื่น ๆ", "Other", 15),
]
DEFAULT_DIVISIONS = [
    ("สำนักปลัด", "Office of the Permanent Secretary"),
    ("กองคลัง", "Finance Division"),
    ("กองช่าง", "Public Works Division"),
    ("กองสาธารณสุขและสิ่งแวดล้อม", "Public Health and Environment Division"),
    ("กองการศึกษา", "Education Division"),
]


def defaults_ensure(*, organisation) -> None:
    """The standard categories and divisions of a Thai municipality, once (idempotent). Staff
    change their names and service levels in the admin."""
    for order, (code, name, name_en, days) in enumerate(DEFAULT_CATEGORIES):
        Category.objects.get_or_create(
            organisation=organisation, code=code, defaults={"name": name, "name_en": name_en, "sla_days": days, "order": order}
        )
    for name, name_en in DEFAULT_DIVISIONS:
        Division.objects.get_or_create(organisation=organisation, name=name, defaults={"name_en": name_en})


def rate_limit(*, scope: str, client_ip: str, limit: int = FILE_LIMIT, window: int = FILE_WINDOW) -> None:
    """A fixed window per client address (keyed hash: the address itself is never stored)."""
    if not client_ip:
        return
    try:
        hits = hit(f"complaints:{scope}:{keyed_hash(client_ip, purpose='ip')[:32]}", window)
    except Exception:  # the cache is down: filing a complaint matters more than the limit
        return
    if hits > limit:
        raise RateLimited(
            _("Too many reports from your network; please try again later."), details={"retry_after_seconds": window}
        )


def clean_contact(*, name: str, email: str, phone: str) -> tuple[str, str, str]:
    name = clean_text(name, "name", max_length=200, required=False)
    email = normalise_email(clean_text(email, "email", max_length=254, required=False))
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise ValidationFailed(details={"email": [_("Enter a valid email address.")]}) from None
    phone = clean_text(phone, "phone", max_length=30, required=False)
    if phone and not all(ch.isdigit() or ch in " +-()" for ch in phone):
        raise ValidationFailed(details={"phone": [_("Use digits only, e.g. 081 234 5678.")]})
    return name, email, phone


def _coordinate(value, field: str, bound: int) -> decimal.Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) > bound:
        raise ValidationFailed(details={field: [_("Not a valid coordinate.")]})
    return number.quantize(decimal.Decimal("0.000001"))


def clean_location(latitude, longitude) -> tuple[decimal.Decimal | None, decimal.Decimal | None]:
    lat, lon = _coordinate(latitude, "latitude", 90), _coordinate(longitude, "longitude", 180)
    if (lat is None) != (lon is None):
        raise ValidationFailed(details={"latitude": [_("Give both latitude and longitude, or neither.")]})
    return lat, lon


def _category(organisation, category) -> Category:
    pk = getattr(category, "pk", category)
    found = None
    if str(pk or "").isdigit():
        found = Category.objects.filter(pk=int(pk), organisation=organisation, active=True).first()
    if found is None:
        raise ValidationFailed(details={"category": [_("Choose a category.")]})
    return found


def _village(organisation, village) -> Village | None:
    pk = getattr(village, "pk", village)
    if pk in (None, ""):
        return None
    found = Village.objects.filter(pk=int(pk), organisation=organisation).first() if str(pk).isdigit() else None
    if found is None:
        raise ValidationFailed(details={"village": [_("Choose a village of this municipality.")]})
    return found


def complaint_file(
    *,
    organisation,
    actor,
    category,
    title: str,
    body: str,
    village=None,
    location_text: str = "",
    latitude=None,
    longitude=None,
    photo=None,
    name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "th",
    client_ip: str = "",
) -> Complaint:
    """File a complaint or request. Anyone may; an account is optional. Returns the complaint with
    its tracking code. The filer (account or email address) is told it was received; staff are told
    a new one is waiting. Nothing is written when any field is refused."""
    category = _category(organisation, category)
    village = _village(organisation, village)
    title = clean_text(title, "title", max_length=200)
    body = clean_text(body, "body", max_length=5000)
    location_text = clean_text(location_text, "location_text", max_length=200, required=False)
    lat, lon = clean_location(latitude, longitude)
    signed_in = bool(getattr(actor, "is_authenticated", False))
    name, email, phone = clean_contact(name=name, email=email, phone=phone)
    if signed_in:
        name, email = name or actor.full_name, email or actor.email
    cleaned_photo = photo_clean(photo) if photo else None
    rate_limit(scope="file", client_ip=client_ip)
    now = timezone.now()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                c = Complaint(
                    organisation=organisation, tracking_code=new_tracking_code("C"), category=category, village=village,
                    title=title, body=body, location_text=location_text, latitude=lat, longitude=lon,
                    filer=actor if signed_in else None, filer_name=name, filer_email=email, filer_phone=phone,
                    language=language if language in ("th", "en") else "th",
                    due_at=now + dt.timedelta(days=category.sla_days), created_at=now, updated_at=now,
                )  # fmt: skip
                if cleaned_photo is not None:
                    c.photo.save(cleaned_photo.name, cleaned_photo, save=False)
                c.save(force_insert=True)
                audit_append(
                    record=c, action=AuditEntry.Action.TRANSITION, name="file", actor=actor if signed_in else None,
                    to_state=c.state, payload={"category": category.code},
                )  # fmt: skip
                _announce_filed(c)
            return c
        except IntegrityError:  # a tracking code drawn twice (about one in 10^11): draw again
            continue
    raise RuntimeError("could not draw a unique tracking code")


def _announce_filed(c: Complaint) -> None:
    audience = machine.filer_audience(c)
    if audience:
        outbox_write(**machine.event(c, "complaint.received", audience))
    staff = machine.event(c, "complaint.filed", {"roles": machine.STAFF_ROLES})
    staff["data"]["url"] = c.get_absolute_url()
    outbox_write(**staff)


def complaint_move(*, complaint: Complaint, actor, name: str, reason: str = "", division=None) -> Complaint:
    """The pages' way to make a move (the API uses the engine's generic endpoint)."""
    payload = {"division": getattr(division, "pk", division)} if name == "assign" else {}
    return transition(complaint, name, actor=actor, reason=reason, payload=payload)


def complaint_sla_alerts(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Tell the organisation's staff once when an open complaint's deadline is near (its
    category's warn_hours) and once when it has passed. Each alert is claimed with a conditional
    UPDATE in the transaction that writes its outbox row, so running this twice, or on two
    workers at once, sends nothing twice."""
    now = now or timezone.now()
    counts = {"warned": 0, "overdue": 0}
    horizon = now + dt.timedelta(hours=max([c.warn_hours for c in Category.objects.all()] or [0]))
    due = Complaint.objects.filter(state__in=OPEN, due_at__lte=horizon).select_related("category")
    for c in due.filter(sla_warned_at__isnull=True, due_at__gt=now):
        if c.due_at - dt.timedelta(hours=c.category.warn_hours) > now:
            continue
        with transaction.atomic():
            if Complaint.objects.filter(pk=c.pk, state__in=OPEN, sla_warned_at__isnull=True).update(sla_warned_at=now):
                outbox_write(**_sla_event(c, "complaint.sla_warning", overdue=False))
                counts["warned"] += 1
    for c in due.filter(sla_overdue_at__isnull=True, due_at__lte=now):
        with transaction.atomic():
            claimed = Complaint.objects.filter(pk=c.pk, state__in=OPEN, sla_overdue_at__isnull=True)
            if claimed.update(sla_overdue_at=now, sla_warned_at=c.sla_warned_at or now):
                outbox_write(**_sla_event(c, "complaint.sla_overdue", overdue=True))
                counts["overdue"] += 1
    return counts


def _sla_event(c: Complaint, name: str, *, overdue: bool) -> dict:
    staff = machine.event(c, name, {"roles": machine.STAFF_ROLES}, overdue=overdue)
    staff["data"]["url"] = c.get_absolute_url()
    return staff
