"""The ballot follows the stage (issue 14): before deliberation it says when voting opens; after it,
that voting closed, when, and what came of it (never "voting will open" once it has closed)."""

import re

import pytest

from consultations.models import Ballot, BallotChoice, State

from .conftest import add_alternative, force_state


def _ballot(page: str) -> str:
    return re.search(r'<section id="ballot".*?</section>', page, re.S).group(0)


def _voted(c, residents, alternative):
    for r in residents:
        BallotChoice.objects.create(ballot=Ballot.objects.create(consultation=c, voter=r), alternative=alternative)


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def test_before_deliberation_it_says_when_voting_opens(make_consultation, en):
    c = make_consultation("consult", State.INFORMING)
    ballot = _ballot(en.get(f"/consultations/{c.pk}/").content.decode())
    assert 'data-phase="before"' in ballot and "Voting opens in the deliberation stage, on" in ballot


@pytest.mark.parametrize("state", [State.DECIDING, State.DECIDED, State.CLOSED])
def test_after_voting_closed_it_says_so_with_the_result(make_consultation, residents, en, state):
    c = make_consultation("consult", State.DELIBERATION)
    road, _bridge = add_alternative(c, title="ถนนคอนกรีต"), add_alternative(c, title="สะพาน")
    _voted(c, residents, road)
    c = force_state(c, state)
    ballot = _ballot(en.get(f"/consultations/{c.pk}/").content.decode())
    assert "Voting opens" not in ballot and "deliberation stage" not in ballot
    assert 'data-phase="closed"' in ballot and "Voting has closed." in ballot and "It closed on" in ballot
    assert "3 ballots were cast online." in ballot
    assert re.search(r"Most votes: <strong>ถนนคอนกรีต</strong> \(3\)", ballot)
    assert 'href="#results"' in ballot
    if state == State.DECIDING:
        assert "publishes its decision on the results next" in ballot


def test_in_thai_after_voting_closed(make_consultation, residents, client):
    c = make_consultation("consult", State.DELIBERATION)
    _voted(c, residents, add_alternative(c))
    c = force_state(c, State.DECIDING)
    ballot = _ballot(client.get(f"/consultations/{c.pk}/", headers={"Cookie": "django_language=th"}).content.decode())
    assert "ปิดการลงคะแนนแล้ว" in ballot and "คะแนนสูงสุด" in ballot


def test_a_cancelled_consultation_says_no_vote_took_place(make_consultation, en):
    c = force_state(make_consultation("consult", State.INFORMING), State.CANCELLED)
    ballot = _ballot(en.get(f"/consultations/{c.pk}/").content.decode())
    assert 'data-phase="cancelled"' in ballot and "no vote took place" in ballot and "Voting opens" not in ballot


def test_during_deliberation_a_visitor_is_asked_to_sign_in_and_comes_back(make_consultation, en):
    c = make_consultation("consult", State.DELIBERATION)
    add_alternative(c)
    ballot = _ballot(en.get(f"/consultations/{c.pk}/").content.decode())
    assert f'href="/accounts/login/?next=/consultations/{c.pk}/"' in ballot
    assert f'href="/accounts/register/?next=/consultations/{c.pk}/"' in ballot
