"""The ballot lane (workflows.jsonviews.TokenLane, consultations.api.BALLOT_ROUTES) answers exactly
as Django does, and casts and changes made through it concurrently leave an exact tally.

Each request is sent through real WSGI calls: to the lane over an app that fails the test if the
plain case reaches it (or counts what it hands on), and to Django itself, each with its own voter
holding an API token. Status, body and the set of headers must be the same (the ballot's
updated_at differs between two voters and is compared by shape). The database is used outside a
test transaction, as in production.
"""

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.throttling import UserRateThrottle

from accounts.models import Role
from consultations import selectors
from consultations.api import BALLOT_ROUTES
from consultations.models import Ballot, BallotChoice, State, Visibility
from notifications.models import Subscription
from tests.conftest import requires_postgres
from tests.wsgi_calls import call as wsgi_call
from workflows.jsonviews import TokenLane

from .conftest import add_alternative, force_state

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _not_django(environ, start_response):
    raise AssertionError(f"the lane handed {environ['REQUEST_METHOD']} {environ['PATH_INFO']} to Django")


class ToDjango:
    def __init__(self):
        self.calls = 0
        self.django = WSGIHandler()

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


LANE_ONLY = TokenLane(_not_django, BALLOT_ROUTES)


def call(app, path, body, token=None, *, method="PUT", **meta):
    if token is not None:
        meta["HTTP_AUTHORIZATION"] = f"Token {token}"
    return wsgi_call(app, path, body, method=method, **meta)


STAMP = re.compile(rb'"updated_at":"[0-9T:.+-]+Z"')


def assert_same(lane, django, status):
    assert lane[0] == django[0] and lane[0].startswith(str(status)), (lane, django)
    assert STAMP.sub(b"T", lane[2]) == STAMP.sub(b"T", django[2]), (lane[2], django[2])
    assert lane[1] == django[1]


@pytest.fixture
def voters(make_user, org):
    def make(n=2, *roles, **extra):
        roles = roles or (Role.RESIDENT,)
        users = [make_user(*roles, org=org, **extra) for _ in range(n)]
        return users, [Token.objects.create(user=u).key for u in users]

    return make


@pytest.fixture
def voting(make_consultation):
    c = make_consultation("consult", State.DELIBERATION)
    return c, add_alternative(c, title="ก"), add_alternative(c, title="ข")


def url(c):
    return f"/api/v1/consultations/{c.pk if hasattr(c, 'pk') else c}/ballot/"


def test_a_cast_and_a_change_are_answered_here_as_django_answers_them(voting, voters):
    c, a, b = voting
    users, tokens = voters()
    lane = call(LANE_ONLY, url(c), {"alternative_ids": [a.pk]}, tokens[0])
    django = call(WSGIHandler(), url(c), {"alternative_ids": [a.pk]}, tokens[1])
    assert_same(lane, django, 200)
    assert json.loads(lane[2])["alternative_ids"] == [a.pk] and ("allow", "GET, PUT, HEAD, OPTIONS") in lane[1]
    lane = call(LANE_ONLY, url(c), {"alternative_ids": [b.pk]}, tokens[0], HTTP_ACCEPT_LANGUAGE="en")
    django = call(WSGIHandler(), url(c), {"alternative_ids": [b.pk]}, tokens[1], HTTP_ACCEPT_LANGUAGE="en")
    assert_same(lane, django, 200)
    assert ("content-language", "en") in lane[1]
    for user in users:
        ballot = Ballot.objects.get(consultation=c, voter=user)
        assert ballot.changes == 1 and list(
            BallotChoice.objects.filter(ballot=ballot).values_list("alternative_id", flat=True)
        ) == [b.pk]
        assert Subscription.objects.filter(
            user=user, record_type="consultations.consultation", record_id=str(c.pk), auto=True
        ).exists()
    assert selectors.tally(c) == {"ballots": 2, "counts": {b.pk: 2}}


def test_approval_voting_takes_several(make_consultation, voters):
    c = make_consultation("consult", State.DELIBERATION, voting="approval")
    x, y = add_alternative(c, title="x"), add_alternative(c, title="y")
    _, tokens = voters()
    lane = call(LANE_ONLY, url(c), {"alternative_ids": [y.pk, x.pk]}, tokens[0])
    django = call(WSGIHandler(), url(c), {"alternative_ids": [y.pk, x.pk]}, tokens[1])
    assert_same(lane, django, 200)
    assert selectors.tally(c) == {"ballots": 2, "counts": {x.pk: 2, y.pk: 2}}


REFUSALS = {
    # name: (how to make the case, body, status, error code)
    "two in a single vote": ("plain", lambda a, b: {"alternative_ids": [a, b]}, 400, "invalid"),
    "twice the same": ("plain", lambda a, b: {"alternative_ids": [a, a]}, 400, "invalid"),
    "empty": ("plain", lambda a, b: {"alternative_ids": []}, 400, "invalid"),
    "not numbers": ("plain", lambda a, b: {"alternative_ids": ["x"]}, 400, "invalid"),
    "numbers as text": ("plain", lambda a, b: {"alternative_ids": [str(a)]}, 200, None),
    "a boolean": ("plain", lambda a, b: {"alternative_ids": [True]}, 400, "invalid"),
    "no list": ("plain", lambda a, b: {"alternative_ids": a}, 400, "invalid"),
    "nothing": ("plain", lambda a, b: {}, 400, "invalid"),
    "huge number": ("plain", lambda a, b: {"alternative_ids": [10**30]}, 400, "invalid"),
    "unknown alternative": ("plain", lambda a, b: {"alternative_ids": [999999]}, 400, "invalid"),
    "malformed": ("plain", lambda a, b: b"{not json", 400, "malformed_request"),
    "an array": ("plain", lambda a, b: [a], 400, None),
    "hidden alternative": ("hidden", lambda a, b: {"alternative_ids": [a]}, 400, "invalid"),
    "stage closed": ("deciding", lambda a, b: {"alternative_ids": [a]}, 409, "not_in_stage"),
    "draft": ("draft", lambda a, b: {"alternative_ids": [a]}, 404, "not_found"),
    "unknown consultation": ("unknown", lambda a, b: {"alternative_ids": [a]}, 404, "not_found"),
    "inform level": ("inform", lambda a, b: {"alternative_ids": [a]}, 409, "not_in_level"),
    "other villages": ("villages", lambda a, b: {"alternative_ids": [a]}, 403, "not_eligible"),
    "not a member": ("stranger", lambda a, b: {"alternative_ids": [a]}, 403, "not_member"),
    "unconfirmed email": ("unconfirmed", lambda a, b: {"alternative_ids": [a]}, 403, "unconfirmed"),
    "staff": ("staff", lambda a, b: {"alternative_ids": [a]}, 403, None),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_every_refusal_is_django_s_own_answer(name, make_consultation, voters, org, make_user):
    case, make_body, status, code = REFUSALS[name]
    level = "inform" if case == "inform" else "consult"
    village_ids = [org.villages.get(number=1).pk] if case == "villages" else None
    c = make_consultation(level, State.DELIBERATION, **({"village_ids": village_ids} if village_ids else {}))
    a, b = add_alternative(c, title="ก"), add_alternative(c, title="ข")
    if case == "hidden":
        type(a).objects.filter(pk=a.pk).update(visibility=Visibility.PENDING)
    if case in ("deciding", "draft"):
        c = force_state(c, State.DECIDING if case == "deciding" else State.DRAFT)
    roles = {"stranger": (), "staff": (Role.MODERATOR,)}.get(case, (Role.RESIDENT,))
    extra = {"confirmed": False} if case == "unconfirmed" else {}
    if case == "villages":
        extra["village"] = org.villages.get(number=2)
    users = [make_user(*roles, org=org, **extra) for _ in range(2)]
    tokens = [Token.objects.create(user=u).key for u in users]
    path = url(999999 if case == "unknown" else c)
    to_django = ToDjango()
    lane = call(TokenLane(to_django, BALLOT_ROUTES), path, make_body(a.pk, b.pk), tokens[0])
    django = call(WSGIHandler(), path, make_body(a.pk, b.pk), tokens[1])
    assert_same(lane, django, status)
    if code is not None:
        assert json.loads(lane[2])["error"]["code"] == code
    if status == 200:  # numbers as text: DRF's IntegerField takes them; the lane leaves that to the view
        assert to_django.calls == 1 and Ballot.objects.count() == 2
    else:
        assert to_django.calls == 1 and Ballot.objects.count() == 0 and BallotChoice.objects.count() == 0


@pytest.mark.parametrize(
    "meta,status",
    [
        ({"HTTP_AUTHORIZATION": "Token nosuchkey"}, 401),
        ({"HTTP_AUTHORIZATION": ""}, 401),
        ({"HTTP_AUTHORIZATION": "Token a b"}, 401),
        ({"HTTP_ACCEPT": "text/html"}, 200),
        ({"QUERY_STRING": "format=json"}, 200),
        ({"HTTP_HOST": "evil.example"}, 400),
    ],
    ids=["unknown token", "no token", "malformed header", "browser accept", "format override", "bad host"],
)
def test_what_the_lane_does_not_take_reaches_django(voting, voters, meta, status):
    c, a, b = voting
    _, tokens = voters(1)
    meta = {"HTTP_AUTHORIZATION": f"Token {tokens[0]}", **meta}
    to_django = ToDjango()
    answer = call(TokenLane(to_django, BALLOT_ROUTES), url(c), {"alternative_ids": [a.pk]}, **meta)
    assert to_django.calls == 1 and answer[0].startswith(str(status)), answer
    assert Ballot.objects.count() == (1 if status == 200 else 0)


def test_the_throttle_counts_each_request_once_on_both_paths(voting, voters, monkeypatch):
    c, a, b = voting
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, "user": "3/hour"})
    _, tokens = voters()
    lane_app = TokenLane(ToDjango(), BALLOT_ROUTES)
    # Three requests are allowed, a refused one among them (handed to Django, not counted twice).
    bodies = [{"alternative_ids": [a.pk]}, {"alternative_ids": [a.pk, b.pk]}, {"alternative_ids": [b.pk]}]
    for body in bodies:
        lane, django = call(lane_app, url(c), body, tokens[0]), call(WSGIHandler(), url(c), body, tokens[1])
        assert_same(lane, django, lane[0][:3])
    lane = call(lane_app, url(c), bodies[0], tokens[0])
    django = call(WSGIHandler(), url(c), bodies[0], tokens[1])
    assert lane[0].startswith("429") and lane[0] == django[0]
    assert json.loads(lane[2])["error"]["code"] == json.loads(django[2])["error"]["code"] == "rate_limited"
    assert [n for n, _ in lane[1]] == [n for n, _ in django[1]]
    assert selectors.tally(c) == {"ballots": 2, "counts": {b.pk: 2}}


def test_many_voters_casting_and_changing_at_once_leave_an_exact_tally(make_consultation, voters):
    """40 voters through the lane on 8 threads: each casts, then sends two changes at the same time
    (two clicks that two workers serve), some of them the same choice. Every ballot ends with one
    choice, the one its last change wrote, and the tally counts each ballot once."""
    c = make_consultation("consult", State.DELIBERATION)
    alts = [add_alternative(c, title=t) for t in ("ก", "ข", "ค")]
    users, tokens = voters(40)
    from config.wsgi import application

    def cast(args):
        token, alt = args
        try:
            status = call(application, url(c), {"alternative_ids": [alt.pk]}, token)[0]
            assert status.startswith("200"), status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(cast, [(t, alts[i % 3]) for i, t in enumerate(tokens)]))
        clicks = []
        for i, t in enumerate(tokens):
            clicks += [(t, alts[(i + 1) % 3]), (t, alts[(i + 1) % 3] if i % 2 else alts[(i + 2) % 3])]
        list(pool.map(cast, clicks))
    assert Ballot.objects.filter(consultation=c).count() == 40
    assert BallotChoice.objects.filter(ballot__consultation=c).count() == 40
    assert set(Ballot.objects.filter(consultation=c).values_list("changes", flat=True)) == {2}
    per_ballot = {}
    for ballot_id, alt in BallotChoice.objects.filter(ballot__consultation=c).values_list("ballot_id", "alternative_id"):
        per_ballot[ballot_id] = alt
    counts = {}
    for alt in per_ballot.values():
        counts[alt] = counts.get(alt, 0) + 1
    assert selectors.tally(c) == {"ballots": 40, "counts": counts}
    for i, u in enumerate(users):
        if i % 2:  # both clicks chose the same: that is the result
            choice = BallotChoice.objects.get(ballot__consultation=c, ballot__voter=u).alternative_id
            assert choice == alts[(i + 1) % 3].pk


def test_a_stage_move_waits_for_casts_in_flight_and_none_lands_after(make_consultation, voters, moderator):
    """Casts on threads while the stage moves on: every cast answered 200 is counted, every cast
    that starts after the move committed is refused (not_in_stage), and the tally is the 200s."""
    from workflows.services import transition

    c = make_consultation("consult", State.DELIBERATION)
    a = add_alternative(c)
    users, tokens = voters(30)
    from config.wsgi import application

    answers = {}
    moved = threading.Event()

    def cast(i):
        try:
            after = moved.is_set()
            status, _, body = call(application, url(c), {"alternative_ids": [a.pk]}, tokens[i])
            answers[i] = (status[:3], after, json.loads(body).get("error", {}).get("code"))
        finally:
            connection.close()

    def move():
        try:
            transition(c, "open_deciding_early", actor=moderator, reason="ปิดการลงคะแนนก่อนกำหนด")
            moved.set()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(cast, i) for i in range(15)]
        futures.append(pool.submit(move))
        for f in futures:
            f.result()
        assert moved.is_set()
        for f in [pool.submit(cast, i) for i in range(15, 30)]:
            f.result()
    ok = sum(1 for status, _, _ in answers.values() if status == "200")
    assert all(code == "not_in_stage" for status, _, code in answers.values() if status != "200")
    assert all(status == "409" for status, after, _ in answers.values() if after)
    assert [answers[i][0] for i in range(15, 30)] == ["409"] * 15
    assert Ballot.objects.filter(consultation=c).count() == ok == BallotChoice.objects.filter(ballot__consultation=c).count()
    assert selectors.tally(c) == {"ballots": ok, "counts": {a.pk: ok} if ok else {}}


def test_the_plain_cast_is_the_token_query_and_one_call(voting, voters):
    """What makes it fast: the lane reads the token (one query) and casts in one call of
    consultations_ballot_cast; nothing else reaches the database."""
    from django.test.utils import CaptureQueriesContext

    c, a, b = voting
    _, tokens = voters(1)
    with CaptureQueriesContext(connection) as queries:
        status = call(LANE_ONLY, url(c), {"alternative_ids": [a.pk]}, tokens[0])[0]
    assert status.startswith("200")
    assert len(queries) == 2 and "consultations_ballot_cast" in queries[1]["sql"], [q["sql"] for q in queries]
