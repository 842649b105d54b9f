"""Who may do what with petitions, and the conditions of their moves.

Permissions take (petition, user) and are used by the @transition declarations and the pages;
conditions take (petition) and carry a `.message` that the 409 answer shows. No side effects.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.selectors import has_role, is_resident_of, is_staff_of
from workflows.errors import ValidationFailed

MAX_TEXT = 10000


def _message(text):
    def decorate(fn):
        fn.message = text
        return fn

    return decorate


# --- permissions --------------------------------------------------------------------------------
def is_author(petition, user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and petition.author_id == user.pk


def is_moderator(petition, user) -> bool:
    return has_role(user, petition.organisation_id, Role.MODERATOR, Role.ADMIN)


def is_clerk(petition, user) -> bool:
    return has_role(user, petition.organisation_id, Role.CLERK, Role.ADMIN)


def is_clerk_or_moderator(petition, user) -> bool:
    return has_role(user, petition.organisation_id, Role.CLERK, Role.MODERATOR, Role.ADMIN)


def is_admin(petition, user) -> bool:
    return has_role(user, petition.organisation_id, Role.ADMIN)


def is_staff(petition, user) -> bool:
    return is_staff_of(user, petition.organisation_id)


def can_create(user, organisation) -> bool:
    """Residents with a confirmed account start petitions (staff too, for residents who call in)."""
    return is_resident_of(user, organisation) or (
        bool(getattr(user, "email_confirmed_at", None)) and is_staff_of(user, organisation)
    )


def can_sponsor(petition, user) -> bool:
    return can_create(user, petition.organisation_id) and not is_author(petition, user)


def can_see(petition, user) -> bool:
    """The public sees public states; author and staff see everything (hidden: staff only)."""
    from .models import State

    if petition.state == State.HIDDEN:
        return is_staff(petition, user)
    return petition.is_public or is_author(petition, user) or is_staff(petition, user)


def sponsor_link_live(petition) -> bool:
    """A rejected or hidden petition's sponsor link answers 404, as its page does for the public
    (a withheld text must not be read there): nobody reads or sponsors it through the link."""
    from .models import State

    return petition.state not in (State.REJECTED, State.HIDDEN)


def can_review_signatures(petition, user) -> bool:
    return is_moderator(petition, user)


def can_enter_paper(petition, user) -> bool:
    """Staff who receive paper sheets at the office: moderators, clerks, administrators."""
    return is_clerk_or_moderator(petition, user)


# --- conditions ---------------------------------------------------------------------------------
@_message(_("the petition needs a title and a text"))
def has_content(petition) -> bool:
    return bool(petition.title.strip() and petition.body.strip())


@_message(_("not enough sponsors yet"))
def enough_sponsors(petition) -> bool:
    return petition.sponsor_count() >= petition.sponsors_required


@_message(_("only general petitions have a separate council threshold"))
def general_kind(petition) -> bool:
    return not petition.is_ordinance


@_message(_("the council threshold is not newly reached"))
def council_threshold_newly_met(petition) -> bool:
    return petition.council_threshold_reached_at is None and petition.confirmed_count() >= petition.council_threshold


@_message(_("the petition reached the council threshold and must be submitted to the council"))
def not_due_for_council(petition) -> bool:
    return petition.is_ordinance or petition.council_threshold_reached_at is None


@_message(_("the petition has not reached the council threshold"))
def threshold_met_for_submission(petition) -> bool:
    # Signers may withdraw and staff invalidate until submission: the live count must still meet it.
    return petition.council_threshold_reached_at is not None and petition.confirmed_count() >= petition.council_threshold


def _window_running(petition) -> bool:
    from django.utils import timezone

    return petition.closes_at is not None and petition.closes_at > timezone.now()


@_message(_("the petition is still at or above its council threshold"))
def council_threshold_lost(petition) -> bool:
    """The count fell below a council threshold it had reached (an ordinance initiative whose
    window still runs goes back to collecting instead: ordinance_back_to_collecting)."""
    if petition.council_threshold_reached_at is None or petition.confirmed_count() >= petition.council_threshold:
        return False
    return not ordinance_back_to_collecting(petition)


@_message(_("the initiative cannot go back to collecting"))
def ordinance_back_to_collecting(petition) -> bool:
    from .models import State

    return (
        petition.is_ordinance
        and petition.state == State.CLOSED
        and petition.council_threshold_reached_at is not None
        and petition.confirmed_count() < petition.council_threshold
        and _window_running(petition)
    )


@_message(_("the petition is still at or above its response threshold"))
def response_threshold_lost(petition) -> bool:
    return petition.response_threshold is None or petition.confirmed_count() < petition.response_threshold


@_message(
    _("the filing is not complete: it needs the draft ordinance and a representative, and no objection pending or period running")
)
def filing_complete(petition) -> bool:
    """An ordinance initiative goes to the council with what the filing needs (petitions.filing)."""
    if not petition.is_ordinance:
        return True
    from django.utils import timezone

    if not petition.draft_ordinance.strip() or not petition.representatives.exists():
        return False
    if petition.objection_closes_at is not None and timezone.now() < petition.objection_closes_at:
        return False
    return not petition.objections.filter(state="open").exists()


@_message(_("there is no ordinance report pending"))
def report_pending(petition) -> bool:
    return petition.is_ordinance and petition.report_due_at is not None


@_message(_("there is no council deadline"))
def council_due_pending(petition) -> bool:
    return petition.council_due_at is not None


@_message(_("the response threshold is not reached"))
def response_threshold_met(petition) -> bool:
    return petition.response_threshold is not None and petition.confirmed_count() >= petition.response_threshold


@_message(_("the petition is not public"))
def respondable(petition) -> bool:
    from .models import RESPONDABLE_STATES

    return petition.state in RESPONDABLE_STATES


# --- payload cleaning (called by the transition service; raise ValidationFailed) ----------------
def clean_rejection(petition, payload: dict) -> dict:
    from .models import RejectionCode

    code = (payload or {}).get("reason_code")
    if code not in RejectionCode.values:
        raise ValidationFailed(
            _("Choose a reason code."),
            details={"reason_code": [_("Choose one of: %(codes)s") % {"codes": ", ".join(RejectionCode.values)}]},
        )
    return {"reason_code": code}


def clean_response(petition, payload: dict) -> dict:
    text = str((payload or {}).get("text", "")).strip()
    if not text:
        raise ValidationFailed(_("Write the response."), details={"text": [_("This field is required.")]})
    if len(text) > MAX_TEXT:
        raise ValidationFailed(details={"text": [_("At most %(n)d characters.") % {"n": MAX_TEXT}]})
    return {"text": text}


def clean_outcome(petition, payload: dict) -> dict:
    from .models import CouncilDecision

    payload = payload or {}
    errors: dict = {}
    decision = payload.get("decision")
    if decision not in CouncilDecision.values:
        errors["decision"] = [_("Choose one of: %(codes)s") % {"codes": ", ".join(CouncilDecision.values)}]
    summary = str(payload.get("summary", "")).strip()
    if not summary:
        errors["summary"] = [_("This field is required.")]
    elif len(summary) > MAX_TEXT:
        errors["summary"] = [_("At most %(n)d characters.") % {"n": MAX_TEXT}]
    meeting = str(payload.get("meeting", "")).strip()
    if len(meeting) > 200:
        errors["meeting"] = [_("At most %(n)d characters.") % {"n": 200}]
    decided_on = payload.get("decided_on")
    try:
        decided = dt.date.fromisoformat(str(decided_on)) if decided_on else None
    except ValueError:
        decided = None
        errors["decided_on"] = [_("Use a date like 2026-11-25.")]
    if errors:
        raise ValidationFailed(details=errors)
    from django.utils import timezone

    return {
        "decision": decision,
        "summary": summary,
        "meeting": meeting,
        "decided_on": (decided or timezone.localdate()).isoformat(),
    }
