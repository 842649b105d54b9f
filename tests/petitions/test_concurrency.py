"""On PostgreSQL: many people signing at once, half of them twice, leave exact counts."""

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from notifications.models import OutboxEvent
from petitions import services
from petitions.models import Petition, PetitionPolicy, Signature, SignatureTally
from petitions.selectors import petition_counts, petition_total
from tests.conftest import requires_postgres
from workflows.errors import Conflict

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.slow]

PEOPLE = 250
REQUESTS = 500  # every person twice, interleaved


@pytest.mark.django_db(transaction=True)
def test_it_counts_500_concurrent_sign_requests_with_half_duplicates_exactly(org, resident, sponsors, moderator):
    from .conftest import make_petition

    PetitionPolicy.objects.create(
        organisation=org, sponsors_required=2, response_threshold=100, council_threshold=200, ip_limit=10**6, petition_limit=10**6
    )
    petition = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    requests = [person for person in range(PEOPLE) for _ in range(2)]
    random.Random(5).shuffle(requests)
    assert len(requests) == REQUESTS

    def one(person: int) -> str:
        try:
            signature, _outcome = services.signature_sign(
                petition_id=petition.pk, name=f"ผู้ลงชื่อ {person}", email=f"Person{person}@Example.org",
                village_number=person % 5 + 1, consent=True, ip=f"10.0.{person % 250}.{person % 7}",
            )  # fmt: skip
            _signature, already = services.signature_confirm(token=services.signature_token(signature))
            return "already" if already else "confirmed"
        except Conflict as exc:
            return exc.code
        finally:
            connection.close()  # each worker thread has its own connection

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, requests))

    assert results.count("confirmed") == PEOPLE, {r: results.count(r) for r in set(results)}
    assert set(results) <= {"confirmed", "already", "already_signed"}
    assert Signature.objects.filter(petition=petition).count() == PEOPLE
    assert Signature.objects.filter(petition=petition, state="confirmed").count() == PEOPLE
    assert petition_total(petition.pk) == PEOPLE
    counts = petition_counts(petition.pk, fresh=True)
    assert counts.total == PEOPLE and sum(counts.villages.values()) == PEOPLE == sum(n for _h, n in counts.hours)
    assert counts.villages == {v: PEOPLE // 5 for v in range(1, 6)}
    assert SignatureTally.objects.filter(petition=petition, bucket="t").count() > 1  # spread over shards
    # Both thresholds were reached by the confirmations themselves (nothing is left for the periodic
    # check), and each is announced exactly once.
    petition = Petition.objects.get(pk=petition.pk)
    assert petition.response_state == "awaiting_response" and petition.council_threshold_reached_at
    assert services.thresholds_check(petition.pk) == []
    assert OutboxEvent.objects.filter(event="petition.response_threshold_reached").count() == 1
    assert OutboxEvent.objects.filter(event="petition.council_threshold_reached").count() == 1
    # At most one confirmation mail per person (duplicates arrived within the re-send interval).
    assert OutboxEvent.objects.filter(event="signature.confirm_requested").count() == PEOPLE
