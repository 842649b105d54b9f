"""Who may do what with surveys, by role and state (tests walk the grid in tests/surveys).

build (title, questions)     staff of the organisation, while draft
open, close                  staff (close on time: also the system, by deadline)
answer                       while open and within its period: a signed-in person once, or
                             anyone without an account where the survey allows it (per device)
see the results              anyone once open (text answers only after moderation); staff always
moderate text answers        moderators and admins
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.selectors import has_role, is_staff_of


def _message(text):
    def decorate(fn):
        fn.message = text
        return fn

    return decorate


def is_staff(survey, user) -> bool:
    return is_staff_of(user, survey.organisation_id)


def is_moderator(survey, user) -> bool:
    return has_role(user, survey.organisation_id, Role.MODERATOR, Role.ADMIN)


def can_see(survey, user) -> bool:
    from .models import State

    return survey.state != State.DRAFT or is_staff(survey, user)


@_message(_("the survey has no questions yet"))
def has_questions(survey) -> bool:
    return survey.questions.exists()


@_message(_("give the survey an end in the future"))
def closes_in_future(survey) -> bool:
    return survey.closes_at is not None and survey.closes_at > timezone.now()


@_message(_("the survey's period has not ended; closing it early needs a reason (use the early step)"))
def period_ended(survey) -> bool:
    return survey.closes_at is None or survey.closes_at <= timezone.now()


@_message(_("the survey's period has already ended"))
def period_running(survey) -> bool:
    return survey.closes_at is not None and survey.closes_at > timezone.now()


def clean_nothing(survey, payload: dict) -> dict:
    return {k: v for k, v in (payload or {}).items() if k == "deadline"}
