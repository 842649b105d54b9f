"""Role × state for every survey action, through the real services and the one transition path.
The specification is written out here on purpose."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import Role
from surveys import services
from surveys.models import Answer, Question, Response, Survey
from workflows.errors import Conflict, PermissionDenied, TransitionNotAllowed
from workflows.services import transition

from .conftest import answers_for

STATES = ["draft", "open", "closed"]
ROLES = ["anonymous", "resident", "outsider", "moderator", "clerk", "admin"]
STAFF = {"moderator", "clerk", "admin"}
SPEC = {
    # action: (roles, states)
    "add_question": (STAFF, {"draft"}),
    "open": (STAFF, {"draft"}),
    "close_early": (STAFF, {"open"}),
    "answer": ({"resident", "outsider", "moderator", "clerk", "admin"}, {"open"}),  # any account, once
    "moderate": ({"moderator", "admin"}, {"draft", "open", "closed"}),
}


def expected(action, role, state):
    roles, states = SPEC[action]
    if action in ("open", "close_early", "answer") and state not in states:
        return TransitionNotAllowed  # the move (or the open period) does not exist from here
    if role not in roles:
        return PermissionDenied
    if state not in states:
        return TransitionNotAllowed
    return True


def _actor(role, make_user, org, other_org):
    if role == "anonymous":
        return AnonymousUser()
    if role == "outsider":
        return make_user(Role.RESIDENT, org=other_org)
    return make_user(role, org=org)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_each_action_is_allowed_or_refused_as_specified(role, state, make_survey, make_user, org, other_org, resident):
    actor = _actor(role, make_user, org, other_org)
    s = make_survey(state)
    counts = lambda: (Question.objects.count(), Response.objects.count(), Survey.objects.get(pk=s.pk).state)  # noqa: E731
    done = (
        services.response_submit(survey=s, actor=resident, answers=answers_for(s, text="ขอที่จอดรถเพิ่ม"))
        if state == "open"
        else None
    )
    text = Answer.objects.filter(response=done).exclude(text="").first() if done else None
    attempts = {
        "add_question": lambda: services.question_add(survey=s, actor=actor, kind="text", text="อื่น ๆ"),
        "open": lambda: transition(s, "open", actor=actor),
        "close_early": lambda: transition(s, "close_early", actor=actor, reason="ได้ข้อมูลพอแล้ว"),
        "answer": lambda: services.response_submit(survey=s, actor=actor, answers=answers_for(s)),
        "moderate": lambda: (
            services.answer_moderate(answer=text, actor=actor, publish=True) if text else _moderate_none(actor, s)
        ),
    }
    outcomes, wanted = {}, {}
    for action, attempt in attempts.items():
        before = counts()
        try:
            attempt()
            got = True
        except (PermissionDenied, TransitionNotAllowed) as exc:
            got = type(exc)
            assert counts() == before, f"{action} refused but changed something"
        outcomes[action], wanted[action] = got, expected(action, role, state)
        s = Survey.objects.get(pk=s.pk)
        if action == "open" and got is True:
            s = _back_to(s, state)
        if action == "close_early" and got is True:
            s = _back_to(s, state)
    assert outcomes == wanted


def _back_to(s, state):
    Survey.objects.filter(pk=s.pk).update(state=state, closes_at=timezone.now() + dt.timedelta(days=3))
    return Survey.objects.get(pk=s.pk)


def _moderate_none(actor, s):
    """No text answer exists outside the open state: check the role with a stand-in answer."""
    from surveys import rules

    if not rules.is_moderator(s, actor):
        raise PermissionDenied()
    return True


def test_anyone_may_answer_only_once_per_account(make_survey, resident):
    s = make_survey("open")
    services.response_submit(survey=s, actor=resident, answers=answers_for(s))
    with pytest.raises(Conflict):
        services.response_submit(survey=s, actor=resident, answers=answers_for(s))
    assert Response.objects.count() == 1
