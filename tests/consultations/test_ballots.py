"""Ballots: one per eligible resident, changeable while voting is open, secret, exact tallies."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.models import Role
from consultations import selectors, services
from consultations.models import Ballot, BallotChoice, Consultation, State
from tests.conftest import requires_postgres
from workflows.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed

from .conftest import add_alternative, force_state


@pytest.fixture
def voting(make_consultation):
    c = make_consultation("consult", State.DELIBERATION)
    return c, add_alternative(c, title="ก"), add_alternative(c, title="ข")


def test_a_resident_votes_once_and_can_change_it(voting, resident, api):
    c, a, b = voting
    url = f"/api/v1/consultations/{c.pk}/ballot/"
    assert api(resident).put(url, {"alternative_ids": [a.pk]}, format="json").json()["alternative_ids"] == [a.pk]
    response = api(resident).put(url, {"alternative_ids": [b.pk]}, format="json")
    assert response.status_code == 200 and response.json()["alternative_ids"] == [b.pk]
    assert Ballot.objects.count() == 1 and list(BallotChoice.objects.values_list("alternative_id", flat=True)) == [b.pk]
    assert Ballot.objects.get().changes == 1


def test_single_choice_takes_one_and_approval_takes_many(voting, resident, make_consultation):
    c, a, b = voting
    with pytest.raises(ValidationFailed):
        services.ballot_cast(consultation=c, actor=resident, alternative_ids=[a.pk, b.pk])
    approval = make_consultation("consult", State.DELIBERATION, voting="approval")
    x, y = add_alternative(approval), add_alternative(approval, title="y")
    services.ballot_cast(consultation=approval, actor=resident, alternative_ids=[x.pk, y.pk])
    assert selectors.tally(approval) == {"ballots": 1, "counts": {x.pk: 1, y.pk: 1}}


def test_votes_stop_when_the_stage_closes(voting, resident):
    c, a, b = voting
    services.ballot_cast(consultation=c, actor=resident, alternative_ids=[a.pk])
    c = force_state(c, State.DECIDING)
    with pytest.raises(TransitionNotAllowed):
        services.ballot_cast(consultation=c, actor=resident, alternative_ids=[b.pk])
    assert list(BallotChoice.objects.values_list("alternative_id", flat=True)) == [a.pk]


def test_a_vote_limited_to_villages_refuses_other_villages(make_consultation, make_user, org):
    v1, v2 = org.villages.all()[:2]
    c = make_consultation("consult", State.DELIBERATION, village_ids=[v1.pk])
    a = add_alternative(c)
    inside, outside = make_user(Role.RESIDENT, org=org, village=v1), make_user(Role.RESIDENT, org=org, village=v2)
    services.ballot_cast(consultation=c, actor=inside, alternative_ids=[a.pk])
    with pytest.raises(PermissionDenied):
        services.ballot_cast(consultation=c, actor=outside, alternative_ids=[a.pk])
    assert Ballot.objects.count() == 1


def test_tallies_are_hidden_while_voting_unless_the_consultation_shows_them(voting, resident, api, make_consultation):
    c, a, b = voting
    services.ballot_cast(consultation=c, actor=resident, alternative_ids=[a.pk])
    response = api().get(f"/api/v1/consultations/{c.pk}/results/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "results_hidden"
    open_tally = make_consultation("consult", State.DELIBERATION, show_tallies_during_voting=True)
    x = add_alternative(open_tally)
    services.ballot_cast(consultation=open_tally, actor=resident, alternative_ids=[x.pk])
    body = api().get(f"/api/v1/consultations/{open_tally.pk}/results/").json()
    assert body["final"] is False and body["alternatives"][0]["votes"] == 1
    c = force_state(c, State.DECIDING)
    body = api().get(f"/api/v1/consultations/{c.pk}/results/").json()
    assert body["final"] is True and [r["votes"] for r in body["alternatives"]] == [1, 0]


def test_ballots_are_secret(voting, residents, api):
    c, a, b = voting
    services.ballot_cast(consultation=c, actor=residents[0], alternative_ids=[a.pk])
    assert api(residents[1]).get(f"/api/v1/consultations/{c.pk}/ballot/").json() == {
        "voted": False,
        "alternative_ids": [],
        "updated_at": None,
        "can_change": True,
    }
    c = force_state(c, State.CLOSED)
    record = api().get(f"/api/v1/consultations/{c.pk}/record/").content.decode()
    assert residents[0].email not in record and residents[0].full_name not in record


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_it_counts_300_residents_casting_and_changing_concurrently(org, make_user, moderator):
    from consultations.models import Consultation as C

    c = C.objects.create(organisation=org, title="ลงคะแนน", level="consult")
    c = force_state(c, State.DELIBERATION)
    a, b = add_alternative(c, title="ก"), add_alternative(c, title="ข")
    voters = [make_user(Role.RESIDENT, org=org, email=f"v{i}@example.com") for i in range(300)]

    def vote(i):
        voter = voters[i]
        try:
            first = a if i % 2 else b
            services.ballot_cast(consultation=c, actor=voter, alternative_ids=[first.pk])
            if i % 3 == 0:  # a third change their mind: every one ends on a
                services.ballot_cast(consultation=c, actor=voter, alternative_ids=[a.pk])
                services.ballot_cast(consultation=c, actor=voter, alternative_ids=[a.pk])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(vote, range(300)))
    expected_a = sum(1 for i in range(300) if i % 2 or i % 3 == 0)
    assert selectors.tally(c) == {"ballots": 300, "counts": {a.pk: expected_a, b.pk: 300 - expected_a}}
    assert BallotChoice.objects.count() == 300
    assert Consultation.objects.get(pk=c.pk).state == State.DELIBERATION
