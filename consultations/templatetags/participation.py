"""Consultation page helpers.

{% take_part consultation as doing %}: what a resident can do in the current stage (the rules
table, consultations.rules, asked as a resident would be), for the card shown to visitors who
are not signed in.

{% ballot_phase consultation stages results as phase %}: what the ballot section says in each
stage (consultations/_ballot.html): before deliberation when voting opens, during it the form,
after it that voting closed, when, and which alternatives had the most votes."""

from django import template
from django.utils.translation import gettext_lazy as _

from consultations import rules
from consultations.models import State, stages_for_level

register = template.Library()

AFTER_VOTING = (State.DECIDING, State.DECIDED, State.IMPLEMENTING, State.CLOSED)


@register.simple_tag
def ballot_phase(consultation, stages=None, results=None) -> dict:
    row = next((s for s in stages or [] if s["name"] == State.DELIBERATION), {})
    state = consultation.state
    if state == State.DELIBERATION:
        phase = "open"
    elif state == State.CANCELLED:
        phase = "cancelled"
    elif state in AFTER_VOTING:
        phase = "closed"
    elif State.DELIBERATION in stages_for_level(consultation.level):
        phase = "before"
    else:
        phase = "none"
    rows = (results or {}).get("alternatives", [])
    return {
        "phase": phase,
        "opens": row.get("starts_at"),
        "closes": row.get("ends_at"),
        "winners": [r for r in rows if r.get("winner")] if any(r.get("votes") for r in rows) else [],
    }


# What a resident may do, in the order a visitor reads it; "read" is always there while open.
TAKE_PART = (
    ("submit_problem", _("Raise a problem or need of your village")),
    ("support_problem", _("Support the problems you share")),
    ("propose_alternative", _("Propose an alternative")),
    ("vote", _("Vote for the alternatives you support")),
    ("comment", _("Comment and discuss")),
)
OPEN_STAGES = (State.INFORMING, State.PROBLEM_IDENTIFICATION, State.ALTERNATIVES, State.DELIBERATION)


@register.simple_tag
def take_part(consultation) -> list[str]:
    """[] when the consultation is not open to residents now; else what a signed-in resident may do."""
    if consultation.state not in OPEN_STAGES:
        return []
    doing = [
        str(text)
        for action, text in TAKE_PART
        if rules.refusal(action, roles=rules.RESIDENT, state=consultation.state, level=consultation.level) is None
    ]
    return [*doing, str(_("Follow it to hear when the next stage opens"))]
