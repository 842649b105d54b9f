"""Role × stage × level: every action allowed or refused as specified, through the real services.

The specification below is written out here on purpose (not imported from consultations.rules):
it is what the issue and DESIGN.md ask for, and the services must agree with it.
"""

import pytest

from accounts.models import Role
from consultations import services
from consultations.models import (
    Alternative,
    Ballot,
    BallotChoice,
    Comment,
    Decision,
    Problem,
    ProgressUpdate,
    ReasonCode,
    Report,
    State,
    Support,
)
from workflows.errors import PermissionDenied, TransitionNotAllowed

from .conftest import add_alternative, add_problem

LEVELS = ["inform", "consult", "involve", "collaborate", "empower"]
RANK = {level: i for i, level in enumerate(LEVELS)}
STATES = [s.value for s in State]
ROLES = ["resident", "unconfirmed", "outsider", "moderator", "clerk", "admin"]
HEARING = {"problem_identification", "alternatives", "deliberation"}
PUBLISHED = set(STATES) - {"draft"}
STAFF = {"moderator", "clerk", "admin"}

# action: (roles allowed, states allowed, lowest level)
SPEC = {
    "submit_problem": ({"resident"}, {"problem_identification"}, "involve"),
    "support": ({"resident"}, {"problem_identification", "alternatives"}, "involve"),
    "propose_alternative": ({"resident"}, {"alternatives"}, "collaborate"),
    "draft_alternative": (STAFF, {"draft", "informing", "problem_identification", "alternatives"}, "consult"),
    "comment": ({"resident"} | STAFF, HEARING, "consult"),
    "comment_official": (STAFF, PUBLISHED - {"closed", "cancelled"}, "consult"),
    "report": ({"resident"}, PUBLISHED, "consult"),
    "vote": ({"resident"}, {"deliberation"}, "consult"),
    "change_vote": ({"resident"}, {"deliberation"}, "consult"),
    "moderate": ({"moderator", "admin"}, PUBLISHED, "consult"),
    "merge": ({"moderator", "admin"}, HEARING, "involve"),
    "record_decision": ({"clerk", "admin"}, {"deciding"}, "consult"),
    "progress_update": (STAFF, {"implementing"}, "consult"),
}


def expected(action, role, state, level):
    roles, states, lowest = SPEC[action]
    if action == "propose_alternative" and role in STAFF:
        return None  # staff draft instead: covered by draft_alternative
    if action == "draft_alternative" and role not in STAFF:
        return None
    if role not in roles:
        return PermissionDenied
    if RANK[level] < RANK[lowest] or state not in states:
        return TransitionNotAllowed
    return True


def _actor(role, make_user, org, other_org):
    village = org.villages.first()
    if role == "unconfirmed":
        return make_user(Role.RESIDENT, org=org, confirmed=False, village=village)
    if role == "outsider":
        return make_user(Role.RESIDENT, org=other_org, village=None)
    return make_user(role, org=org, village=village)


def _counts():
    return [
        m.objects.count()
        for m in (Problem, Support, Alternative, Comment, Report, Ballot, BallotChoice, Decision, ProgressUpdate)
    ]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_it_allows_or_refuses_each_action_as_specified(
    role, state, level, make_consultation, make_user, org, other_org, residents
):
    c = make_consultation(level, state)
    other = residents[0]
    actor = _actor(role, make_user, org, other_org)
    problem, spare = add_problem(c, other), add_problem(c, other, title="ไฟดับ")
    a1, a2 = add_alternative(c), add_alternative(c, title="ซ่อมถนนเดิม")
    comment = Comment.objects.create(consultation=c, author=other, body="เห็นด้วย")
    ballot = Ballot.objects.create(consultation=c, voter=residents[1])
    BallotChoice.objects.create(ballot=ballot, alternative=a1)

    def change_vote():
        own, created = Ballot.objects.get_or_create(consultation=c, voter=actor)
        BallotChoice.objects.filter(ballot=own).delete()
        BallotChoice.objects.create(ballot=own, alternative=a1)
        before = _counts()
        try:
            services.ballot_cast(consultation=c, actor=actor, alternative_ids=[a2.pk])
        except Exception:
            assert _counts() == before
            if created:
                own.delete()
            raise
        assert list(BallotChoice.objects.filter(ballot=own).values_list("alternative_id", flat=True)) == [a2.pk]

    attempts = {
        "submit_problem": lambda: services.problem_submit(consultation=c, actor=actor, title="น้ำไม่ไหล"),
        "support": lambda: services.problem_support(problem=problem, actor=actor),
        "propose_alternative": lambda: services.alternative_create(consultation=c, actor=actor, title="ทางเลือกใหม่"),
        "draft_alternative": lambda: services.alternative_create(consultation=c, actor=actor, title="ทางเลือกของเทศบาล"),
        "comment": lambda: services.comment_post(consultation=c, actor=actor, body="ความเห็น"),
        "comment_official": lambda: services.comment_post(consultation=c, actor=actor, body="คำตอบ", official=True),
        "report": lambda: services.report_file(
            consultation=c, actor=actor, kind="comment", object_id=comment.pk, reason_code=ReasonCode.OFF_TOPIC
        ),
        "vote": lambda: services.ballot_cast(consultation=c, actor=actor, alternative_ids=[a1.pk]),
        "change_vote": change_vote,
        "moderate": lambda: services.moderation_decide(
            consultation=c, actor=actor, kind="problem", object_id=spare.pk, outcome="remove", reason_code=ReasonCode.SPAM
        ),
        "merge": lambda: services.problem_merge(problem=spare, into=problem, actor=actor),
        "record_decision": lambda: services.decision_record(
            consultation=c, actor=actor, chosen_ids=[a1.pk], rationale="เหตุผล", council_resolution="มติที่ 1/2565"
        ),
        "progress_update": lambda: services.progress_update_post(consultation=c, actor=actor, body="คืบหน้า"),
    }
    outcomes = {}
    for action, attempt in attempts.items():
        want = expected(action, role, state, level)
        if want is None:
            continue
        before = _counts()
        try:
            attempt()
            got = True
        except (PermissionDenied, TransitionNotAllowed) as exc:
            got = type(exc)
            assert _counts() == before, f"{action} refused but changed something"
        outcomes[action] = got
        if action in ("moderate", "merge") and got is True:  # put the spare problem back for the next action
            Problem.objects.filter(pk=spare.pk).update(visibility="published", merged_into=None)
    wanted = {a: expected(a, role, state, level) for a in outcomes}
    assert outcomes == wanted
