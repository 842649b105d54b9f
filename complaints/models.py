"""Complaints and requests (ร้องเรียน / ร้องทุกข์) as workflow records, and the categories and
divisions they are sorted into.

A Complaint moves received → assigned (to a division) → in_progress → resolved | rejected (with a
reason) through workflows.services.transition only (the FSM field is protected). Its service-level
deadline (`due_at`) comes from its category when it is filed. The filer follows it with the
tracking code, without an account; the public sees only anonymised statistics.

Integrity (corruption and misconduct) reports are a different record with tables of their own:
see complaints/integrity.py.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from workflows.models import WorkflowRecord

from . import rules

# No 0/O, 1/I/L: a code read out over the phone is typed back right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_tracking_code(prefix: str = "C") -> str:
    """`C-7F3K-9QXD`: 8 random characters (31^8 ≈ 8.5e11), a bearer secret for the tracking page."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{prefix}-{raw[:4]}-{raw[4:]}"


def normalise_code(raw: str) -> str:
    """What a person typed (spaces, lower case, no dashes) → the stored form."""
    text = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    if len(text) != 9:
        return ""
    return f"{text[0]}-{text[1:5]}-{text[5:]}"


class Category(models.Model):
    """What a complaint is about (road, water, light…), with its service-level deadline."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    sla_days = models.PositiveSmallIntegerField(_("days to resolve (service level)"), default=15)
    warn_hours = models.PositiveSmallIntegerField(_("hours before the deadline to alert staff"), default=24)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["organisation", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="complaint_category_code")]
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str = "th") -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name


class Division(models.Model):
    """A division of the municipality (กองช่าง, กองสาธารณสุขฯ…) that complaints are assigned to."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="complaint_division_name")]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str = "th") -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Assigned to a division")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Not accepted")


OPEN = [State.RECEIVED, State.ASSIGNED, State.IN_PROGRESS]
OPEN_STATES = frozenset(OPEN)


def photo_path(instance, filename: str) -> str:
    # The stored name never carries what the filer called the file (it may hold their name).
    now = timezone.now()
    return f"complaints/{now:%Y/%m}/{secrets.token_hex(16)}.{filename.rsplit('.', 1)[-1].lower()}"


class Complaint(WorkflowRecord):
    tracking_code = models.CharField(max_length=12, unique=True, editable=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("category"))
    village = models.ForeignKey(
        "accounts.Village", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("village")
    )
    title = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), max_length=5000)
    location_text = models.CharField(_("place"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    photo = models.ImageField(_("photo"), upload_to=photo_path, blank=True)
    # Who filed it: an account, or a name and contact details, or nobody (anonymous). Never public.
    filer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    filer_name = models.CharField(_("name"), max_length=200, blank=True)
    filer_email = models.EmailField(_("email"), blank=True)
    filer_phone = models.CharField(_("phone"), max_length=30, blank=True)
    language = models.CharField(max_length=5, default="th")
    state = FSMField(default=State.RECEIVED, choices=State.choices, protected=True, db_index=True)
    division = models.ForeignKey(
        Division, null=True, blank=True, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("division")
    )
    due_at = models.DateTimeField(_("resolve by"))
    assigned_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)
    rejection_reason = models.TextField(_("reason"), blank=True)
    # The SLA task marks each alert here with a conditional UPDATE, so each is sent once.
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_overdue_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "state", "due_at"], name="complaint_org_state_due_idx")]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"

    def get_absolute_url(self) -> str:
        return f"/complaints/{self.pk}/"

    def tracking_url(self) -> str:
        return f"/complaints/track/{self.tracking_code}/"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at <= timezone.now()

    # --- moves (pure field changes; workflows.services.transition saves and audits) ----------
    @transition(
        field=state, source=[State.RECEIVED, State.ASSIGNED], target=State.ASSIGNED, permission=rules.is_staff,
        custom={"label": _("Assign to a division"), "clean_payload": rules.clean_assignment},
    )  # fmt: skip
    def assign(self, *, actor=None, reason="", payload=None):
        self.division_id = payload["division"]
        self.assigned_at = timezone.now()

    @transition(
        field=state, source=State.ASSIGNED, target=State.IN_PROGRESS, permission=rules.is_staff,
        custom={"label": _("Start work"), "clean_payload": rules.clean_nothing},
    )  # fmt: skip
    def start(self, *, actor=None, reason="", payload=None):
        self.started_at = timezone.now()

    @transition(
        field=state, source=[State.ASSIGNED, State.IN_PROGRESS], target=State.RESOLVED, permission=rules.is_staff,
        custom={"label": _("Mark as resolved"), "reason_required": True, "clean_payload": rules.clean_nothing},
    )  # fmt: skip
    def resolve(self, *, actor=None, reason="", payload=None):
        self.resolution = reason
        self.closed_at = timezone.now()

    @transition(
        field=state, source=OPEN, target=State.REJECTED, permission=rules.is_staff,
        custom={"label": _("Do not accept"), "reason_required": True, "clean_payload": rules.clean_nothing},
    )  # fmt: skip
    def reject(self, *, actor=None, reason="", payload=None):
        self.rejection_reason = reason
        self.closed_at = timezone.now()


# --- Integrity (corruption and misconduct) reports ------------------------------------------------
# Kept apart from general complaints: tables of their own, seen only by the integrity role
# (accounts.Role.INTEGRITY), not registered in the Django admin, their audit entries out of the
# public trail, and the reporter's identity in a table of its own that only an audited look opens.


class IntegrityKind(models.TextChoices):
    CORRUPTION = "corruption", _("Corruption")
    BRIBERY = "bribery", _("Bribery or extortion")
    MISCONDUCT = "misconduct", _("Misconduct by an official")
    CONFLICT = "conflict_of_interest", _("Conflict of interest")


class IntegrityState(models.TextChoices):
    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Being investigated")
    COMPLETED = "completed", _("Completed")


class IntegrityOutcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("Substantiated: action taken")
    UNSUBSTANTIATED = "unsubstantiated", _("Not substantiated")
    REFERRED = "referred", _("Referred to another agency (e.g. NACC)")
    NOT_ADMISSIBLE = "not_admissible", _("Not enough to act on")


def _integrity_officer(report, user) -> bool:
    from .integrity import is_officer

    return is_officer(user, report.organisation_id)


def _clean_outcome(report, payload: dict) -> dict:
    from .integrity import clean_outcome

    return clean_outcome(report, payload)


class IntegrityReport(WorkflowRecord):
    reference = models.CharField(max_length=12, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=IntegrityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("what happened"), max_length=5000)
    involved = models.CharField(_("who was involved (name, position or division)"), max_length=300, blank=True)
    when_text = models.CharField(_("when"), max_length=100, blank=True)
    where_text = models.CharField(_("where"), max_length=200, blank=True)
    state = FSMField(default=IntegrityState.RECEIVED, choices=IntegrityState.choices, protected=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=IntegrityOutcome.choices, blank=True)
    investigating_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("integrity report")
        verbose_name_plural = _("integrity reports")

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return f"/integrity/{self.pk}/"

    def tracking_url(self) -> str:
        return f"/integrity/track/{self.reference}/"

    @transition(
        field=state, source=IntegrityState.RECEIVED, target=IntegrityState.INVESTIGATING, permission=_integrity_officer,
        custom={"label": _("Start investigating"), "clean_payload": rules.clean_nothing},
    )  # fmt: skip
    def investigate(self, *, actor=None, reason="", payload=None):
        self.investigating_at = timezone.now()

    @transition(
        field=state, source=[IntegrityState.RECEIVED, IntegrityState.INVESTIGATING], target=IntegrityState.COMPLETED,
        permission=_integrity_officer,
        custom={"label": _("Complete"), "reason_required": True, "clean_payload": _clean_outcome},
    )  # fmt: skip
    def complete(self, *, actor=None, reason="", payload=None):
        self.outcome = payload["outcome"]
        self.completed_at = timezone.now()


class IntegrityReporter(models.Model):
    """Who made a report, if they said: a table of its own so that reading a report never reads
    them. Only complaints.integrity.reporter_reveal opens it, for the integrity role, audited."""

    report = models.OneToOneField(IntegrityReport, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "complaints_integrity_reporter"

    def __str__(self) -> str:
        return f"reporter of {self.report_id}"
