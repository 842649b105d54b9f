"""Petitions: the record, its sponsors and signatures, the answers it gets.

State changes of a Petition go through workflows.services.transition only (FSMField is
protected). Signatures are a per-signer hot path with their own lean service
(petitions.services.signature_sign / signature_confirm) and are counted in sharded tally rows
(SignatureTally), never by COUNT(*) on page views and never in one hot counter row.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition

from accounts.verification import REQUIREMENTS
from workflows.models import AppendOnly, WorkflowRecord

from . import rules


class Kind(models.TextChoices):
    GENERAL = "general", _("Petition")
    ORDINANCE = "ordinance", _("Local ordinance initiative")


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COLLECTING_SPONSORS = "collecting_sponsors", _("Collecting sponsors")
    AWAITING_MODERATION = "awaiting_moderation", _("Awaiting moderation")
    OPEN = "open", _("Open for signatures")
    CLOSED = "closed", _("Closed")
    SUBMITTED = "submitted", _("Submitted to the council")
    UNDER_CONSIDERATION = "under_consideration", _("Under consideration by the council")
    DECIDED = "decided", _("Decided by the council")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    HIDDEN = "hidden", _("Hidden")


class ResponseState(models.TextChoices):
    NOT_REQUIRED = "not_required", _("No response required yet")
    AWAITING_RESPONSE = "awaiting_response", _("Awaiting the municipality's response")
    RESPONDED = "responded", _("Responded")


class RejectionCode(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicates an existing petition")
    OUTSIDE_POWERS = "outside_powers", _("Outside the municipality's powers")
    OFFENSIVE = "offensive", _("Offensive or abusive")
    LIBELLOUS = "libellous", _("Libellous or defamatory")
    ADVERTISING = "advertising", _("Advertising or spam")
    UNCLEAR = "unclear", _("Unclear what is asked")
    PERSONAL_DATA = "personal_data", _("Contains personal data")


class CouncilDecision(models.TextChoices):
    ADOPTED = "adopted", _("Adopted")
    AMENDED = "amended", _("Adopted with amendments")
    REJECTED = "rejected", _("Not adopted")
    NOTED = "noted", _("Noted; referred to the administration")


# States in which the public sees a petition; the others are seen by its author and staff.
PUBLIC_STATES = frozenset({State.OPEN, State.CLOSED, State.SUBMITTED, State.UNDER_CONSIDERATION, State.DECIDED, State.REJECTED})
# Where `restore` may take a rejected or hidden petition back to.
RESTORE_TARGETS = (State.AWAITING_MODERATION, State.OPEN, State.CLOSED)
# Rejection codes that withhold the text from the public (title, body, background): the page and the
# API show a placeholder and the reason instead. The others (a duplicate, outside the powers…) leave
# the text readable, so that residents see what was refused.
WITHHOLDING_CODES = frozenset(
    {RejectionCode.LIBELLOUS, RejectionCode.OFFENSIVE, RejectionCode.PERSONAL_DATA, RejectionCode.ADVERTISING}
)
# States before submission: an ordinance signer may still withdraw.
WITHDRAWABLE_STATES = frozenset({State.OPEN, State.CLOSED})
# Where a municipal response makes sense (the petition was public).
RESPONDABLE_STATES = frozenset({State.OPEN, State.CLOSED, State.SUBMITTED, State.UNDER_CONSIDERATION, State.DECIDED})


class PetitionPolicy(models.Model):
    """Every number of the petition rules, per organisation. Missing row = these defaults."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="petition_policy")
    sponsors_required = models.PositiveSmallIntegerField(_("sponsors required"), default=5)
    signing_days = models.PositiveSmallIntegerField(_("signing window (days)"), default=90)
    response_threshold = models.PositiveIntegerField(_("signatures for a municipal response"), default=500)
    council_threshold = models.PositiveIntegerField(_("signatures for council consideration"), default=2000)
    ordinance_threshold = models.PositiveIntegerField(_("signatures for a local ordinance initiative"), default=1000)
    report_days = models.PositiveSmallIntegerField(_("days to report an ordinance initiative"), default=15)
    council_days = models.PositiveSmallIntegerField(_("days for the council to decide"), default=60)
    moderation_overdue_days = models.PositiveSmallIntegerField(_("days before moderation is overdue"), default=14)
    reminder_days = models.PositiveSmallIntegerField(_("days before a deadline to remind staff"), default=3)
    # Fraud controls (docs/OPERATIONS.md#fraud-controls). Many honest people share one address (a
    # village meeting on one Wi-Fi, a carrier's NAT), so a busy address is only flagged for staff to
    # review; a request is refused only above limits that no meeting hall reaches. Fixed windows in
    # the cache (Redis in production), per petition and address.
    ip_review_limit = models.PositiveIntegerField(
        _("signatures per address and window before staff are asked to review them"), default=20
    )
    ip_limit = models.PositiveIntegerField(_("sign requests per address and window (refused above: clear abuse)"), default=300)
    ip_window_seconds = models.PositiveIntegerField(_("address window (seconds)"), default=3600)
    petition_limit = models.PositiveIntegerField(_("sign requests per petition and window"), default=6000)
    petition_window_seconds = models.PositiveIntegerField(_("petition window (seconds)"), default=60)
    # A short burst from one address (a script, not a meeting): refused above burst_limit sign
    # requests per petition and address within burst_window_seconds. Admins set every refusing
    # limit through the signing-limits page/API, never below controls.limit_floor (a meeting).
    burst_limit = models.PositiveIntegerField(_("sign requests per address in a short burst (refused above)"), default=60)
    burst_window_seconds = models.PositiveIntegerField(_("burst window (seconds)"), default=10)
    # Trending alert to staff: more than trend_min_signatures in the last trend_window_minutes and
    # more than trend_factor times the previous hour's rate (checked by petitions_check).
    trend_window_minutes = models.PositiveSmallIntegerField(_("trending: window (minutes)"), default=10)
    trend_min_signatures = models.PositiveIntegerField(_("trending: at least this many signatures in the window"), default=50)
    trend_factor = models.PositiveSmallIntegerField(_("trending: times the previous hour's rate"), default=5)
    # Ordinance initiatives (docs/ORDINANCE.md): the objection period of the public notice, and the
    # legal source of each number the law or the council's regulation sets (shown on the filing).
    objection_days = models.PositiveSmallIntegerField(_("days the objection notice is posted"), default=15)
    ordinance_threshold_source = models.CharField(_("legal source of the ordinance signer threshold"), max_length=300, blank=True)
    signing_days_source = models.CharField(_("legal source of the collection window"), max_length=300, blank=True)
    report_days_source = models.CharField(_("legal source of the days to report"), max_length=300, blank=True)
    council_days_source = models.CharField(_("legal source of the council's days"), max_length=300, blank=True)
    objection_days_source = models.CharField(_("legal source of the objection period"), max_length=300, blank=True)
    # The verification level (accounts/verification.py) a signer needs online. Without an account a
    # signer reaches "email" (the confirmation mail); a higher level needs a signed-in, verified
    # account. Paper signatures are verified by their sheet and are not checked against these.
    signing_level = models.CharField(
        _("verification to sign a petition online"), max_length=20, choices=REQUIREMENTS, default="email"
    )
    ordinance_signing_level = models.CharField(
        _("verification to sign a local ordinance initiative online"), max_length=20, choices=REQUIREMENTS, default="email"
    )

    class Meta:
        verbose_name = _("petition policy")
        verbose_name_plural = _("petition policies")

    def __str__(self) -> str:
        return f"petition policy of {self.organisation_id}"

    @classmethod
    def for_organisation(cls, organisation_id: int) -> PetitionPolicy:
        return cls.objects.filter(organisation_id=organisation_id).first() or cls(organisation_id=organisation_id)


def _system_only(instance, user) -> bool:
    """Moves the system makes (deadlines, thresholds): no person may make them."""
    return False


def _restore_target(petition) -> str:
    """Where `restore` takes a rejected or hidden petition: back to signing (open or closed) if it
    was hidden from there, else to the moderators' desk."""
    came_from = petition.moderated_from if petition.state == State.HIDDEN else ""
    return came_from if came_from in (State.OPEN, State.CLOSED) else State.AWAITING_MODERATION


class Petition(WorkflowRecord):
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("what we ask for"), max_length=5000)
    background = models.TextField(_("background"), max_length=5000, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="petitions")
    state = FSMField(default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    response_state = FSMField(default=ResponseState.NOT_REQUIRED, choices=ResponseState.choices, protected=True)
    sponsor_token = models.CharField(max_length=64, editable=False)
    # Thresholds copied from the policy when the petition is created: a policy change later does
    # not move the goalposts of a running petition. Ordinance petitions have no response threshold.
    sponsors_required = models.PositiveSmallIntegerField(default=5)
    response_threshold = models.PositiveIntegerField(null=True, blank=True)
    council_threshold = models.PositiveIntegerField()
    moderation_requested_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    response_threshold_reached_at = models.DateTimeField(null=True, blank=True)
    council_threshold_reached_at = models.DateTimeField(null=True, blank=True)
    report_due_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    council_due_at = models.DateTimeField(null=True, blank=True)
    rejection_code = models.CharField(max_length=30, choices=RejectionCode.choices, blank=True)
    rejection_reason = models.TextField(blank=True)
    # The state a rejection or hiding came from: where `restore` takes the petition back to.
    moderated_from = models.CharField(max_length=30, blank=True, default="")
    # A moderator's correction of the text (services.petition_edit): the page shows "edited by the
    # municipality" with the date and the reason; the audit entry holds the old text's hash only.
    municipal_edit_at = models.DateTimeField(null=True, blank=True)
    municipal_edit_reason = models.CharField(max_length=500, blank=True, default="")
    # What an ordinance initiative's filing carries (petitions.filing): the draft ordinance itself,
    # the council regulation that sets the collection window, and the objection notice's period.
    draft_ordinance = models.TextField(_("draft ordinance"), max_length=50000, blank=True, default="")
    collection_regulation = models.CharField(
        _("council regulation on collecting signatures"), max_length=300, blank=True, default=""
    )
    objection_opens_at = models.DateTimeField(null=True, blank=True)
    objection_closes_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "state"], name="petition_org_state_idx"),
            # The lists' orders, read from an index instead of sorting every public petition (with
            # 50,000 petitions a list page sorted 20,000 open ones: docs/PERFORMANCE.md#scale): the
            # default "newest" (petitions.filters) and the Meta ordering (home, open data).
            models.Index(Coalesce("opened_at", "created_at"), F("id"), name="petition_opened_sort_idx"),
            models.Index(fields=["opened_at", "id"], name="petition_opened_idx"),
        ]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/petitions/{self.pk}/"

    @property
    def is_ordinance(self) -> bool:
        return self.kind == Kind.ORDINANCE

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def author_may_edit(self) -> bool:
        """The author edits the text until the petition is sponsored: while a draft, and while it
        collects sponsors and nobody has sponsored it yet (sponsors back the text they read)."""
        if self.state == State.DRAFT:
            return True
        return self.state == State.COLLECTING_SPONSORS and not self.sponsors.exists()

    @property
    def text_withheld(self) -> bool:
        """Rejected or hidden for libel, offence, personal data or advertising: the public reads the
        placeholder and the reason, not the title, body or background (selectors.public_text)."""
        return self.state in (State.REJECTED, State.HIDDEN) and self.rejection_code in WITHHOLDING_CODES

    @property
    def accepting_signatures(self) -> bool:
        return self.state == State.OPEN and (self.closes_at is None or timezone.now() < self.closes_at)

    def policy(self) -> PetitionPolicy:
        return PetitionPolicy.for_organisation(self.organisation_id)

    def confirmed_count(self) -> int:
        from .selectors import petition_total

        return petition_total(self.pk)

    def sponsor_count(self) -> int:
        return self.sponsors.count()

    def moderation_due_at(self) -> dt.datetime | None:
        if self.moderation_requested_at is None:
            return None
        return self.moderation_requested_at + dt.timedelta(days=self.policy().moderation_overdue_days)

    # --- state: the author's moves -------------------------------------------------------------
    @transition(
        field=state, source=State.DRAFT, target=State.COLLECTING_SPONSORS,
        conditions=[rules.has_content], permission=rules.is_author,
        custom={"label": _("Ask for sponsors")},
    )  # fmt: skip
    def request_sponsors(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state, source=State.COLLECTING_SPONSORS, target=State.AWAITING_MODERATION,
        conditions=[rules.enough_sponsors], permission=_system_only,
        custom={"label": _("Enough sponsors")},
    )  # fmt: skip
    def sponsors_complete(self, *, actor=None, reason="", payload=None):
        self.moderation_requested_at = timezone.now()

    @transition(
        field=state, source=[State.DRAFT, State.COLLECTING_SPONSORS, State.AWAITING_MODERATION], target=State.WITHDRAWN,
        permission=rules.is_author, custom={"label": _("Withdraw the petition")},
    )  # fmt: skip
    def withdraw(self, *, actor=None, reason="", payload=None):
        pass

    # --- state: moderation ---------------------------------------------------------------------
    # "moderates": the engine refuses these moves to the petition's author (a staff member who
    # started a petition for a resident who called in): another moderator decides on it.
    @transition(
        field=state, source=State.AWAITING_MODERATION, target=State.OPEN,
        permission=rules.is_moderator, custom={"label": _("Open for signing"), "moderates": True},
    )  # fmt: skip
    def open(self, *, actor=None, reason="", payload=None):
        now = timezone.now()
        self.opened_at = now
        self.closes_at = now + dt.timedelta(days=self.policy().signing_days)

    @transition(
        field=state, source=State.AWAITING_MODERATION, target=State.REJECTED, permission=rules.is_moderator,
        custom={
            "label": _("Reject (public)"), "reason_required": True, "clean_payload": rules.clean_rejection,
            "moderates": True,
        },
    )  # fmt: skip
    def reject(self, *, actor=None, reason="", payload=None):
        self.moderated_from = self.state
        self.rejection_code = payload["reason_code"]
        self.rejection_reason = reason

    @transition(
        field=state, source=[State.AWAITING_MODERATION, State.OPEN, State.CLOSED, State.REJECTED], target=State.HIDDEN,
        permission=rules.is_moderator,
        custom={"label": _("Hide"), "reason_required": True, "clean_payload": rules.clean_rejection, "moderates": True},
    )  # fmt: skip
    def hide(self, *, actor=None, reason="", payload=None):
        if self.state != State.REJECTED:  # hiding a rejected petition: a restore reconsiders it
            self.moderated_from = self.state
        self.rejection_code = payload["reason_code"]
        self.rejection_reason = reason
        if self.closed_at is None:
            self.closed_at = timezone.now()

    @transition(
        field=state, source=[State.REJECTED, State.HIDDEN], target=RETURN_VALUE(*RESTORE_TARGETS),
        permission=rules.is_moderator,
        custom={"label": _("Restore"), "reason_required": True, "moderates": True, "target_of": _restore_target},
    )  # fmt: skip
    def restore(self, *, actor=None, reason="", payload=None):
        """Undo a rejection or a hiding: the petition goes back to where it was hidden from (open or
        closed), or to the moderators' desk (awaiting moderation) if it had been rejected. Its text
        is shown again; the reason code and reason leave the record (the audit trail keeps them)."""
        target = _restore_target(self)
        if target == State.OPEN:
            self.closed_at = None  # set by the hiding
        if target == State.AWAITING_MODERATION:
            self.moderation_requested_at = timezone.now()  # a new moderation, with its own days
        self.rejection_code = ""
        self.rejection_reason = ""
        self.moderated_from = ""
        return target

    @transition(field=state, source=State.AWAITING_MODERATION, target=None, permission=_system_only)
    def moderation_overdue(self, *, actor=None, reason="", payload=None):
        """A deadline move: the audit shows the moderation went past the policy's days."""

    # --- state: signing ends -------------------------------------------------------------------
    @transition(
        field=state, source=State.OPEN, target=None,
        conditions=[rules.general_kind, rules.council_threshold_newly_met], permission=_system_only,
    )  # fmt: skip
    def reach_council_threshold(self, *, actor=None, reason="", payload=None):
        self.council_threshold_reached_at = timezone.now()

    @transition(
        field=state, source=State.OPEN, target=State.CLOSED, conditions=[rules.not_due_for_council],
        permission=_system_only,
    )  # fmt: skip
    def close(self, *, actor=None, reason="", payload=None):
        """Signing ends: the window's deadline, or an ordinance initiative reaching its threshold
        (collection closes and the report clock starts)."""
        self._end_signing()

    @transition(
        field=state, source=State.OPEN, target=State.CLOSED, conditions=[rules.not_due_for_council],
        permission=rules.is_moderator,
        custom={"label": _("Close signing early"), "reason_required": True, "moderates": True},
    )  # fmt: skip
    def close_early(self, *, actor=None, reason="", payload=None):
        self._end_signing()

    def _end_signing(self) -> None:
        now = timezone.now()
        self.closed_at = now
        if self.is_ordinance and self.council_threshold_reached_at is None and self.confirmed_count() >= self.council_threshold:
            self.council_threshold_reached_at = now
            self.report_due_at = now + dt.timedelta(days=self.policy().report_days)

    @transition(
        field=state, source=[State.OPEN, State.CLOSED], target=State.SUBMITTED,
        conditions=[rules.threshold_met_for_submission, rules.filing_complete], permission=rules.is_clerk_or_moderator,
        custom={"label": _("Submit to the council")},
    )  # fmt: skip
    def submit(self, *, actor=None, reason="", payload=None):
        now = timezone.now()
        self.submitted_at = now
        self.closed_at = self.closed_at or now
        if self.is_ordinance:  # the law gives the council a deadline for ordinance initiatives
            self.council_due_at = now + dt.timedelta(days=self.policy().council_days)

    @transition(
        field=state, source=State.CLOSED, target=None, conditions=[rules.council_threshold_newly_met],
        permission=_system_only,
    )  # fmt: skip
    def reach_threshold_after_close(self, *, actor=None, reason="", payload=None):
        """Signatures made while it was open and confirmed in the grace after the close
        (settings.PETITION_CONFIRM_GRACE_HOURS) took it to the council threshold."""
        now = timezone.now()
        self.council_threshold_reached_at = now
        if self.is_ordinance:
            self.report_due_at = now + dt.timedelta(days=self.policy().report_days)

    @transition(
        field=state, source=[State.OPEN, State.CLOSED], target=None, conditions=[rules.council_threshold_lost],
        permission=_system_only,
    )  # fmt: skip
    def council_threshold_lost(self, *, actor=None, reason="", payload=None):
        """Invalidated or withdrawn signatures took the count below the council threshold it had
        reached: it can no longer be submitted (until the count reaches the threshold again)."""
        self.council_threshold_reached_at = None
        self.report_due_at = None

    @transition(
        field=state, source=State.CLOSED, target=State.OPEN, conditions=[rules.ordinance_back_to_collecting],
        permission=_system_only,
    )  # fmt: skip
    def reopen_collecting(self, *, actor=None, reason="", payload=None):
        """An ordinance initiative closed at its threshold fell below it while its window still
        runs: it collects signatures again, and closes again when it reaches the threshold."""
        self.council_threshold_reached_at = None
        self.report_due_at = None
        self.closed_at = None

    @transition(field=state, source=State.CLOSED, target=None, conditions=[rules.report_pending], permission=_system_only)
    def report_overdue(self, *, actor=None, reason="", payload=None):
        """A deadline move: the ordinance initiative was not reported within the policy's days."""

    # --- state: the council --------------------------------------------------------------------
    @transition(
        field=state, source=State.SUBMITTED, target=State.UNDER_CONSIDERATION,
        permission=rules.is_clerk, custom={"label": _("Council is considering it")},
    )  # fmt: skip
    def consider(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state, source=State.UNDER_CONSIDERATION, target=State.DECIDED, permission=rules.is_clerk,
        custom={"label": _("Record the council's decision"), "clean_payload": rules.clean_outcome},
    )  # fmt: skip
    def decide(self, *, actor=None, reason="", payload=None):
        pass

    @transition(
        field=state, source=[State.SUBMITTED, State.UNDER_CONSIDERATION], target=None,
        conditions=[rules.council_due_pending], permission=_system_only,
    )  # fmt: skip
    def council_overdue(self, *, actor=None, reason="", payload=None):
        """A deadline move: the council did not decide within the policy's days."""

    # --- response_state ------------------------------------------------------------------------
    @transition(
        field=response_state, source=ResponseState.NOT_REQUIRED, target=ResponseState.AWAITING_RESPONSE,
        conditions=[rules.response_threshold_met], permission=_system_only,
    )  # fmt: skip
    def require_response(self, *, actor=None, reason="", payload=None):
        self.response_threshold_reached_at = timezone.now()

    @transition(
        field=response_state, source=ResponseState.AWAITING_RESPONSE, target=ResponseState.NOT_REQUIRED,
        conditions=[rules.response_threshold_lost], permission=_system_only,
    )  # fmt: skip
    def response_threshold_lost(self, *, actor=None, reason="", payload=None):
        """The count fell below the response threshold before the response: no longer awaiting one."""
        self.response_threshold_reached_at = None

    @transition(
        field=response_state, source=[ResponseState.NOT_REQUIRED, ResponseState.AWAITING_RESPONSE],
        target=ResponseState.RESPONDED, conditions=[rules.respondable], permission=rules.is_moderator,
        custom={"label": _("Publish the municipality's response"), "clean_payload": rules.clean_response},
    )  # fmt: skip
    def respond(self, *, actor=None, reason="", payload=None):
        pass


class Sponsor(models.Model):
    """A resident who backs a petition before moderation (via the sponsor link)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="sponsors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["petition", "user"], name="sponsor_once_per_petition")]

    def __str__(self) -> str:
        return f"{self.user_id} sponsors {self.petition_id}"


class SignatureState(models.TextChoices):
    PENDING = "pending", _("Waiting for email confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    INVALIDATED = "invalidated", _("Invalidated by staff")
    WITHDRAWN = "withdrawn", _("Withdrawn by the signer")
    # Set by an earlier version's rate limits; nothing sets it now (busy addresses are flagged for
    # review instead, AddressFlag). Migration 0002 gave such signatures back their pending state.
    FRAUDULENT = "fraudulent", _("Voided by the old rate limits")


# A signature counts while confirmed; these are the states it can leave (the partial unique
# indexes below and the signing statement's ON CONFLICT name the same two).
SIGNATURE_ACTIVE = [SignatureState.PENDING, SignatureState.CONFIRMED]


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper sheet")


class Signature(models.Model):
    """One person's signature. PDPA: the national ID is kept only as a keyed hash plus its last
    four digits; the IP address only as a keyed hash. Emails and IDs are never published.

    The partial unique indexes are the real guarantee of "one signature per person":
    - one pending-or-confirmed signature per (petition, folded email, name), so a repeat or a
      concurrent duplicate creates nothing new (a household sharing one address signs with
      distinct names, up to settings.PETITION_HOUSEHOLD_SIGNATURES, in one village);
    - one confirmed signature per (petition, national ID hash).
    """

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    # A declared machine (the moves below, registered in PetitionsConfig.ready()). Its moves are
    # made by petitions.signing (the hot path's SQL and the portable path), never by
    # workflows.services.transition: a chain entry per signature would serialise signing.
    state = FSMField(default=SignatureState.PENDING, choices=SignatureState.choices)
    # The last state the petition's signature log recorded ("" = not in it yet); the log's seal
    # appends what changed since (petitions.siglog). A database default: the signing statement
    # need not name it.
    logged_state = models.CharField(max_length=20, blank=True, default="", db_default="")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    village_number = models.PositiveSmallIntegerField()
    national_id_hash = models.CharField(max_length=64, null=True, blank=True)
    national_id_last4 = models.CharField(max_length=4, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=5, default="th")
    salt = models.CharField(max_length=32)  # part of the confirmation token (see services.signature_token)
    consented_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # invalidated or withdrawn
    # The signer hears what becomes of the petition (its response, the submission to the council and
    # the council's decision) unless they said no when signing or stopped it from a mail (close the
    # loop). A database default, so the one-statement signing path need not name it.
    notify_outcome = models.BooleanField(default=True, db_default=True)
    # Signed in with a confirmed email: the signature is confirmed at once and shown as theirs. No
    # index of its own (found with the petition's); the signing hot path pays for no extra index.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # A paper signature (petitions.paper) names its sheet and line; database defaults, so that the
    # one-statement signing path need not name them.
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE, db_default=Channel.ONLINE)
    paper_sheet = models.ForeignKey("PaperSheet", null=True, blank=True, on_delete=models.PROTECT, related_name="signatures")
    sheet_line = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One active signature per (petition, folded email, name): a household sharing an
            # address signs with distinct names (at most PETITION_HOUSEHOLD_SIGNATURES, one village).
            models.UniqueConstraint(
                "petition",
                "email",
                Lower("name"),
                condition=models.Q(state__in=["pending", "confirmed"]),
                name="signature_one_active_per_email_name",
            ),
            models.UniqueConstraint(
                fields=["petition", "national_id_hash"],
                condition=models.Q(state="confirmed", national_id_hash__isnull=False),
                name="signature_one_confirmed_per_national_id",
            ),
            models.UniqueConstraint(
                fields=["paper_sheet", "sheet_line"],
                condition=models.Q(paper_sheet__isnull=False),
                name="signature_one_per_sheet_line",
            ),
        ]
        indexes = [
            models.Index(fields=["petition", "ip_hash"], name="signature_petition_ip_idx"),
            models.Index(fields=["petition", "created_at"], name="signature_petition_time_idx"),
            # What the next seal of the log must append: small (only confirmed signatures whose
            # state the log has not recorded yet), so a seal never scans a petition's signatures.
            # Small partial indexes for what a petition of 250,000 signatures made a scan of them all
            # (docs/PERFORMANCE.md#scale); an anonymous online signature enters neither:
            # its paper signatures (the open-data exports' paper counts) …
            models.Index(fields=["petition"], name="signature_paper_idx", condition=models.Q(channel="paper")),
            # … and a signed-in person's own signature ("you signed this" on the page, selectors.signature_of).
            models.Index(fields=["petition", "user"], name="signature_petition_user_idx", condition=models.Q(user__isnull=False)),
            models.Index(
                fields=["petition"],
                name="signature_unlogged_idx",
                condition=models.Q(confirmed_at__isnull=False) & ~models.Q(logged_state=models.F("state")),
            ),
        ]

    def __str__(self) -> str:
        return f"signature {self.pk} on {self.petition_id} ({self.state})"

    # --- the machine: pending -> confirmed -> withdrawn / invalidated / fraudulent ---------------
    # The graph only; the moves' SQL is petitions.signing (signing.MOVES reads these declarations).
    @transition(field=state, source=SignatureState.PENDING, target=SignatureState.CONFIRMED,
                custom={"label": _("Confirm the signature")})  # fmt: skip
    def confirm(self):
        pass

    @transition(field=state, source=SIGNATURE_ACTIVE, target=SignatureState.WITHDRAWN,
                custom={"label": _("Withdraw the signature")})  # fmt: skip
    def withdraw(self):
        pass

    @transition(field=state, source=SIGNATURE_ACTIVE, target=SignatureState.INVALIDATED,
                custom={"label": _("Invalidate the signature"), "reason_required": True})  # fmt: skip
    def invalidate(self):
        pass

    # Staff undo an invalidation of one signature (services.signature_restore_one, with a reason):
    # back to confirmed if it had been confirmed (it counts again), else back to pending (its mailed
    # link works again).
    @transition(field=state, source=SignatureState.INVALIDATED, target=SignatureState.CONFIRMED,
                custom={"label": _("Restore the signature"), "reason_required": True})  # fmt: skip
    def restore(self):
        pass

    @transition(field=state, source=SignatureState.INVALIDATED, target=SignatureState.PENDING,
                custom={"label": _("Restore the signature to pending"), "reason_required": True})  # fmt: skip
    def restore_pending(self):
        pass

    @transition(field=state, source=SIGNATURE_ACTIVE, target=SignatureState.FRAUDULENT,
                custom={"label": _("Void the signature as fraudulent"), "reason_required": True})  # fmt: skip
    def void(self):
        pass


class SignatureLogEvent(models.TextChoices):
    CONFIRMED = "confirmed", _("counted")
    WITHDRAWN = "withdrawn", _("withdrawn by the signer")
    INVALIDATED = "invalidated", _("invalidated by staff")
    FRAUDULENT = "fraudulent", _("voided as fraudulent")
    RESTORED = "restored", _("restored by staff (counted again)")


class SignatureLogEntry(AppendOnly):
    """One event of a petition's public signature log: an append-only hash-linked list, sealed in
    batches (petitions.siglog.seal), never on the signing path. No personal data: a signature is
    named by its receipt (a keyed hash the signer got) and its village. The main audit chain holds
    signed checkpoints of each log (its length, head hash and valid count). docs/AUDIT.md."""

    petition = models.ForeignKey(Petition, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    position = models.PositiveIntegerField()  # 1, 2, 3… per petition
    event = models.CharField(max_length=20, choices=SignatureLogEvent.choices)
    receipt = models.CharField(max_length=32, db_index=True)
    village_number = models.PositiveSmallIntegerField()
    sealed_at = models.DateTimeField(default=timezone.now)  # not hashed: when the batch was sealed
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["petition", "position"]
        constraints = [models.UniqueConstraint(fields=["petition", "position"], name="signature_log_one_entry_per_position")]
        verbose_name = _("signature log entry")
        verbose_name_plural = _("signature log entries")

    def __str__(self) -> str:
        return f"{self.petition_id}#{self.position} {self.event}"


class SignatureLogHead(models.Model):
    """The end of one petition's log, locked while a batch is sealed (one seal at a time per
    petition; signing never touches it). A convenience: verification recomputes it from the
    entries and the main chain's checkpoints."""

    petition = models.OneToOneField(Petition, on_delete=models.CASCADE, primary_key=True, related_name="+")
    entries = models.PositiveIntegerField(default=0)
    valid = models.IntegerField(default=0)
    head_hash = models.CharField(max_length=64, default="0" * 64)
    checkpointed = models.PositiveIntegerField(default=0)  # entries covered by the newest main-chain checkpoint

    def __str__(self) -> str:
        return f"signature log of {self.petition_id} at {self.entries}"


class SignatureTally(models.Model):
    """Sharded counters of confirmed signatures: bucket "t" (total), "v<N>" (หมู่ที่ N) and
    "h<YYYYMMDDHH>" (the UTC hour of confirmation). A confirmation adds 1 to the three buckets of
    one random shard in one upsert, so concurrent signers rarely touch the same row; a page reads
    the small sums (cached briefly)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="+")
    bucket = models.CharField(max_length=16)
    shard = models.PositiveSmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["petition", "bucket", "shard"], name="tally_one_row_per_bucket_shard")]

    def __str__(self) -> str:
        return f"{self.petition_id}:{self.bucket}:{self.shard}={self.count}"


class Response(models.Model):
    """The municipality's published answer (one per petition)."""

    petition = models.OneToOneField(Petition, on_delete=models.CASCADE, related_name="response")
    text = models.TextField(max_length=10000)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"response to {self.petition_id}"


class CouncilOutcome(models.Model):
    """What the council decided, recorded by the clerk."""

    petition = models.OneToOneField(Petition, on_delete=models.CASCADE, related_name="council_outcome")
    decision = models.CharField(max_length=20, choices=CouncilDecision.choices)
    summary = models.TextField(max_length=10000)
    meeting = models.CharField(max_length=200, blank=True)
    decided_on = models.DateField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"council outcome of {self.petition_id}: {self.decision}"


class SigningBlock(models.Model):
    """An email domain or one exact (folded) address that may not sign the organisation's
    petitions, online or on paper (petitions.controls). A domain also covers its subdomains.
    Added and removed by the organisation's administrators, each act audited."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", _("email domain")
        EMAIL = "email", _("email address")

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="signing_blocks")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=254)  # a folded address, or a lower-case (IDNA) domain
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["organisation", "value"], name="signing_block_once")]
        verbose_name = _("signing block")
        verbose_name_plural = _("signing blocks")

    def __str__(self) -> str:
        return f"{self.kind} block of {self.organisation_id}"


class AddressFlag(models.Model):
    """A busy address on one petition, for staff to review (the UK petitions service's way): its
    signatures keep counting once confirmed by email; staff look at the pattern (selectors.
    address_flags) and either clear the flag or invalidate the address's signatures in bulk
    (services.address_flag_clear / address_flag_invalidate, both audited).

    Opened by the signing path when an address passes the policy's ip_review_limit within its
    window; a reviewed flag opens again when as many new signatures come from the address after
    the review (`since_review`)."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        CLEARED = "cleared", _("Cleared: the signatures stand")
        INVALIDATED = "invalidated", _("Signatures invalidated")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="address_flags")
    ip_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    flagged_at = models.DateTimeField(default=timezone.now)  # opened, or opened again after a review
    last_seen = models.DateTimeField(default=timezone.now)  # the address's latest signature
    since_review = models.PositiveIntegerField(default=0)  # signatures from it since it was flagged or reviewed
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-flagged_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["petition", "ip_hash"], name="address_flag_once_per_petition")]
        indexes = [models.Index(fields=["state", "petition"], name="address_flag_state_idx")]
        verbose_name = _("flagged address")
        verbose_name_plural = _("flagged addresses")

    def __str__(self) -> str:
        return f"address {self.ip_hash[:8]} on {self.petition_id} ({self.state})"


class Reminder(models.Model):
    """A staff alert sent once (petitions_check): unique per petition, kind and due date. Kinds:
    "deadline near" reminders (due_at = the deadline) and trending alerts ("trending", due_at = the
    start of the window in which the petition's signing rate jumped)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["petition", "kind", "due_at"], name="reminder_once")]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.petition_id}"


# --- paper signatures and the ordinance filing (petitions.paper, petitions.filing) -----------------
def _sheet_upload(instance, filename: str) -> str:
    return f"paper-sheets/{instance.petition_id}/{timezone.now():%Y%m%d%H%M%S}-{filename[-80:]}"


class PaperSheet(models.Model):
    """A signature sheet collected on paper, its scan kept through the storage API (MEDIA, or
    whatever STORAGES["default"] says). Its lines are entered by staff (PaperEntry); a line counts
    as a Signature (channel "paper") once entered (general petitions) or entered alike by two
    different staff (ordinance initiatives)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="paper_sheets")
    number = models.PositiveIntegerField(_("sheet number"))
    scan = models.FileField(_("scanned sheet"), upload_to=_sheet_upload, max_length=300)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["petition", "number"]
        constraints = [models.UniqueConstraint(fields=["petition", "number"], name="paper_sheet_number_once")]

    def __str__(self) -> str:
        return f"sheet {self.number} of {self.petition_id}"


class PaperEntry(models.Model):
    """One staff member's reading of one line of a sheet. Re-entering a line replaces the same
    person's reading (a correction); a second person's reading is the double entry."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the second entry")
        MISMATCH = "mismatch", _("The two entries differ")
        COUNTED = "counted", _("Counted")
        DUPLICATE = "duplicate", _("Duplicate: this person has already signed")

    sheet = models.ForeignKey(PaperSheet, on_delete=models.CASCADE, related_name="entries")
    line = models.PositiveSmallIntegerField(_("line"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    village_number = models.PositiveSmallIntegerField()
    email = models.CharField(max_length=254, blank=True)  # folded; optional on paper
    national_id_hash = models.CharField(max_length=64, null=True, blank=True)
    national_id_last4 = models.CharField(max_length=4, blank=True)
    signed_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    note = models.CharField(max_length=300, blank=True)  # what it duplicates
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sheet", "line", "entered_at", "id"]
        constraints = [models.UniqueConstraint(fields=["sheet", "line", "entered_by"], name="paper_entry_once_per_person")]

    def __str__(self) -> str:
        return f"sheet {self.sheet_id} line {self.line} by {self.entered_by_id}"

    def reading(self) -> tuple:
        """What two entries must agree on."""
        return (" ".join(self.name.split()), self.village_number, self.email, self.national_id_hash, self.signed_on)


class Representative(models.Model):
    """A representative of the signers of an ordinance initiative (ผู้แทนผู้เข้าชื่อ), with the
    declaration they signed. Their name is on the filing; the address is not published."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="representatives")
    name = models.CharField(_("name"), max_length=200)
    village_number = models.PositiveSmallIntegerField(_("village (หมู่ที่)"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    declaration = models.TextField(_("declaration"), max_length=5000)
    declared_on = models.DateField(_("declared on"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["petition", "id"]

    def __str__(self) -> str:
        return f"representative {self.name} of {self.petition_id}"


class Objection(models.Model):
    """An objection to one entry of the posted signer list (during the notice's period); staff
    uphold it (the signature is invalidated) or dismiss it, with a reason; both audited."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for staff")
        UPHELD = "upheld", _("Upheld: the entry was removed")
        DISMISSED = "dismissed", _("Dismissed: the entry stands")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="objections")
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="objections")
    objector_name = models.CharField(max_length=200)
    objector_contact = models.CharField(max_length=200, blank=True)  # never published
    reason = models.TextField(max_length=5000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["petition", "created_at", "id"]

    def __str__(self) -> str:
        return f"objection {self.pk} to signature {self.signature_id} ({self.state})"
