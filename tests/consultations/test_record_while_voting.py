"""While the ballot is open, the participation record (its page, JSON and CSV, and the statistics
built from it) counts no voters: neither in the total nor per village, and no number of ballots,
even when the consultation shows the running tally. Once voting closes they count."""

import csv
import io

import pytest

from consultations import selectors
from consultations.models import Ballot, BallotChoice, State
from opendata import stats
from opendata.datasets import Scope

from .conftest import add_alternative, add_problem, force_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def voting(make_consultation, residents):
    """Deliberation, running tally shown: residents[0] raised a problem, residents[1] and [2] voted."""
    c = make_consultation("involve", State.DELIBERATION, show_tallies_during_voting=True)
    add_problem(c, residents[0])
    alternative = add_alternative(c)
    for voter in residents[1:]:
        ballot = Ballot.objects.create(consultation=c, voter=voter, village_id=voter.village_id)
        BallotChoice.objects.create(ballot=ballot, alternative=alternative)
    return c


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_record_counts_no_voter_while_voting_is_open(voting, residents):
    record = selectors.participation_record(voting)
    assert record["participants"]["total"] == 1 and record["participants"]["ballots_counted"] is False
    assert [r["count"] for r in record["participants"]["by_village"]] == [1]
    assert record["said"]["ballots"] is None
    closed = selectors.participation_record(force_state(voting, State.DECIDING))
    assert closed["participants"]["total"] == 3 and closed["participants"]["ballots_counted"] is True
    assert sum(r["count"] for r in closed["participants"]["by_village"]) == 3
    assert closed["said"]["ballots"] == 2


def test_the_json_and_csv_exports_and_the_statistics_agree(voting, api, client, org):
    body = api().get(f"/api/v1/consultations/{voting.pk}/record/").json()
    assert body["participants"]["total"] == 1 and body["said"]["ballots"] is None
    rows = csv_rows(client.get(f"/consultations/{voting.pk}/record.csv"))
    assert ["จำนวนผู้เข้าร่วม (ไม่นับซ้ำ)", "1"] in rows
    assert ["ผู้ลงคะแนน", "นับเมื่อปิดการลงคะแนน"] in rows
    assert sum(r["count"] for r in body["participants"]["by_village"]) == 1
    records = stats.records(Scope(organisation_id=org.pk))
    assert sum(r["participants"]["total"] for r in records) == 1
    villages = stats.by_village(Scope(organisation_id=org.pk), org.pk, records)
    assert sum(row["values"][1] for row in villages.rows) == 1  # consultation participants per village
    page = client.get(f"/consultations/{voting.pk}/record/").content.decode()
    assert 'data-testid="voters-later"' in page
    force_state(voting, State.DECIDING)
    body = api().get(f"/api/v1/consultations/{voting.pk}/record/").json()
    assert body["participants"]["total"] == 3 and body["said"]["ballots"] == 2
    rows = csv_rows(client.get(f"/consultations/{voting.pk}/record.csv"))
    assert ["ผู้ลงคะแนน", "นับเมื่อปิดการลงคะแนน"] not in rows and ["จำนวนผู้เข้าร่วม (ไม่นับซ้ำ)", "3"] in rows
    assert 'data-testid="voters-later"' not in client.get(f"/consultations/{voting.pk}/record/").content.decode()
