"""Who may do what, in which stage, at which participation level.

`refusal(action, roles=..., state=..., level=...)` is the whole table as a pure function (tests
walk it role × stage × level); `check(action, user, consultation)` applies it to a person and
raises the domain error the API and pages show.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.selectors import roles_for
from workflows.errors import PermissionDenied, TransitionNotAllowed

from .models import HEARING_STAGES, LEVEL_RANK, Level, State

RESIDENT = frozenset({Role.RESIDENT})
STAFF = frozenset({Role.MODERATOR, Role.CLERK, Role.ADMIN})
MODERATORS = frozenset({Role.MODERATOR, Role.ADMIN})
DECIDERS = frozenset({Role.CLERK, Role.ADMIN})
PUBLISHED_STATES = frozenset(State.values) - {State.DRAFT}


@dataclass(frozen=True)
class Rule:
    roles: frozenset
    states: frozenset
    min_level: str = Level.INFORM
    label: str = ""


RULES: dict[str, Rule] = {
    "submit_problem": Rule(RESIDENT, frozenset({State.PROBLEM_IDENTIFICATION}), Level.INVOLVE),
    "support_problem": Rule(RESIDENT, frozenset({State.PROBLEM_IDENTIFICATION, State.ALTERNATIVES}), Level.INVOLVE),
    "merge_problems": Rule(
        MODERATORS, frozenset({State.PROBLEM_IDENTIFICATION, State.ALTERNATIVES, State.DELIBERATION}), Level.INVOLVE
    ),
    "propose_alternative": Rule(RESIDENT, frozenset({State.ALTERNATIVES}), Level.COLLABORATE),
    "draft_alternative": Rule(
        STAFF, frozenset({State.DRAFT, State.INFORMING, State.PROBLEM_IDENTIFICATION, State.ALTERNATIVES}), Level.CONSULT
    ),
    "comment": Rule(
        RESIDENT | STAFF, frozenset({State.PROBLEM_IDENTIFICATION, State.ALTERNATIVES, State.DELIBERATION}), Level.CONSULT
    ),
    # Staff answer as the municipality (official: true) from informing to implementation, also in
    # the stages where residents cannot comment (e.g. answers to questions while deciding).
    "comment_official": Rule(STAFF, PUBLISHED_STATES - {State.CLOSED, State.CANCELLED}, Level.CONSULT),
    "report": Rule(RESIDENT, PUBLISHED_STATES, Level.CONSULT),
    # An author withdraws what they wrote (services.contribution_withdraw) while the hearing runs.
    "withdraw": Rule(
        RESIDENT | STAFF, frozenset({State.PROBLEM_IDENTIFICATION, State.ALTERNATIVES, State.DELIBERATION}), Level.CONSULT
    ),
    "vote": Rule(RESIDENT, frozenset({State.DELIBERATION}), Level.CONSULT),
    "moderate": Rule(MODERATORS, PUBLISHED_STATES, Level.CONSULT),
    "record_decision": Rule(DECIDERS, frozenset({State.DECIDING}), Level.CONSULT),
    "progress_update": Rule(STAFF, frozenset({State.IMPLEMENTING}), Level.CONSULT),
    # A village meeting's paper ballots or show of hands (consultations.meetings), entered while
    # voting runs or while the decision is prepared, before the result is final.
    "record_meeting": Rule(STAFF, frozenset({State.DELIBERATION, State.DECIDING}), Level.CONSULT),
    "edit_schedule": Rule(STAFF, frozenset({State.DRAFT}), Level.INFORM),
    # A running hearing stage given more time (services.consultation_stage_extend), with a reason.
    "extend_stage": Rule(STAFF, frozenset(HEARING_STAGES), Level.INFORM),
    "add_document": Rule(STAFF, frozenset(State.values) - {State.CLOSED, State.CANCELLED}, Level.INFORM),
}
ACTIONS = tuple(RULES)
# "change vote" is the vote action on an existing ballot: same rule.

MESSAGES = {
    "not_member": _("Only residents of this municipality with a confirmed email can take part."),
    "forbidden": _("Your role does not allow this."),
    "unconfirmed": _(
        "Your email address is not confirmed yet, so you cannot take part. Open the link we mailed you, or ask for a new one."
    ),
    "level": _("This consultation's participation level does not include this."),
    "stage": _("This is not possible in the consultation's current stage."),
}


def refusal(action: str, *, roles: frozenset, state: str, level: str) -> str | None:
    """None when allowed, otherwise a code: not_member, forbidden, level, stage."""
    rule = RULES[action]
    if not roles & rule.roles:
        return "not_member" if not roles and rule.roles & RESIDENT else "forbidden"
    if LEVEL_RANK[level] < LEVEL_RANK[rule.min_level]:
        return "level"
    if state not in rule.states:
        return "stage"
    return None


def effective_roles(user, organisation_id) -> frozenset:
    """Roles that count: a resident membership counts only with a confirmed email."""
    roles = roles_for(user, organisation_id)
    if Role.RESIDENT in roles and not getattr(user, "email_confirmed_at", None):
        roles = roles - {Role.RESIDENT}
    return frozenset(roles)


def can(action: str, user, consultation) -> bool:
    return (
        refusal(
            action, roles=effective_roles(user, consultation.organisation_id), state=consultation.state, level=consultation.level
        )
        is None
    )


def check(action: str, user, consultation) -> None:
    code = refusal(
        action, roles=effective_roles(user, consultation.organisation_id), state=consultation.state, level=consultation.level
    )
    if code is None:
        return
    details = {"action": action, "state": consultation.state, "level": consultation.level}
    if code == "not_member" and unconfirmed(user):
        raise PermissionDenied(
            MESSAGES["unconfirmed"], code="unconfirmed", details=details | {"resend": "/api/v1/me/confirmation/"}
        )
    if code in ("not_member", "forbidden"):
        raise PermissionDenied(MESSAGES[code], code=code if code != "forbidden" else None, details=details)
    raise TransitionNotAllowed(MESSAGES[code], code=f"not_in_{code}", details=details)


def unconfirmed(user) -> bool:
    """Signed in, but the email address is not confirmed: what holds a resident back."""
    return bool(getattr(user, "is_authenticated", False)) and not getattr(user, "email_confirmed_at", None)


PARTICIPATION = ("submit_problem", "support_problem", "propose_alternative", "comment", "vote")


def held_back(user, consultation) -> list[str]:
    """The ways of taking part open now that `user` would have with a confirmed email (empty for
    anyone else): the page says why, and how to confirm, instead of the forms."""
    if not unconfirmed(user):
        return []
    roles = roles_for(user, consultation.organisation_id)
    if Role.RESIDENT not in roles:
        return []
    return [
        a for a in PARTICIPATION if refusal(a, roles=frozenset(roles), state=consultation.state, level=consultation.level) is None
    ]


def allowed_actions(user, consultation) -> dict[str, bool]:
    roles = effective_roles(user, consultation.organisation_id)
    return {a: refusal(a, roles=roles, state=consultation.state, level=consultation.level) is None for a in ACTIONS}


def may_see(user, consultation) -> bool:
    return consultation.state != State.DRAFT or bool(effective_roles(user, consultation.organisation_id) & STAFF)
