"""On PostgreSQL, signing and confirming are one statement each (petitions/signing.py). What that
must not cost: a dead persistent connection is not a 500, a statement that did nothing is
explained exactly as the portable path explains it, and the mail row is the one outbox_write
would have written."""

import threading
import time

import psycopg
import pytest
from django.db import connection

from notifications.models import OutboxEvent
from petitions import services, siglog, signing
from petitions.models import Petition, Signature, SignatureTally
from petitions.selectors import petition_counts, petition_total
from tests.conftest import requires_postgres
from workflows.errors import Conflict, NotFound, TransitionNotAllowed

from .conftest import last_confirm_token, sign

pytestmark = [requires_postgres, pytest.mark.postgres]


def kill_own_backend() -> int:
    """Terminate this test's database connection from another one, as a database restart would."""
    pid = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    return pid


@pytest.mark.django_db(transaction=True)  # autocommit, as a request runs
def test_a_dead_connection_is_reopened_and_the_signer_sees_nothing(api, open_petition):
    first, _ = sign(open_petition, 1)
    old = kill_own_backend()
    response = api().post(
        f"/api/v1/petitions/{open_petition.pk}/signatures/",
        {"name": "สมหญิง", "email": "after-restart@example.org", "village": 2, "consent": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert connection.connection.info.backend_pid != old
    assert Signature.objects.filter(email="after-restart@example.org", state="pending").count() == 1
    token = last_confirm_token(first.email)
    kill_own_backend()
    response = api().post("/api/v1/signatures/confirm/", {"token": token}, format="json")
    assert response.status_code == 200 and response.json()["already_confirmed"] is False
    assert petition_total(open_petition.pk) == 1


@pytest.mark.django_db(transaction=True)
def test_the_mail_row_is_what_outbox_write_writes(open_petition):
    signature, outcome = sign(open_petition, 1, village=4)
    assert outcome == "created"
    event = OutboxEvent.objects.get(event="signature.confirm_requested")
    stored = Signature.objects.get(pk=signature.pk)
    link = services.confirm_path(stored)
    assert event.data == {
        "title": open_petition.title, "petition_url": f"/petitions/{open_petition.pk}/", "name": "ผู้ลงชื่อ 1",
        "kind": "general", "petition_id": open_petition.pk, "url": link, "confirm_url": link,
        "receipt": siglog.receipt(stored.salt), "receipt_url": "/petitions/receipts/",
    }  # fmt: skip
    assert event.audience == {"emails": [{"email": "signer1@example.org", "name": "ผู้ลงชื่อ 1", "language": "th"}]}
    assert (event.organisation_id, event.record_type, event.record_id) == (
        open_petition.organisation_id,
        "petitions.petition",
        str(open_petition.pk),
    )
    assert (event.relayed_at, event.attempts, event.last_error) == (None, 0, "")


@pytest.mark.django_db(transaction=True)
def test_a_petition_closed_after_this_process_read_it_is_refused_with_nothing_written(open_petition):
    from workflows.services import transition

    sign(open_petition, 1)  # this process now holds its reading of the open petition
    transition(Petition.objects.get(pk=open_petition.pk), "close", actor=None)
    before = (Signature.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(TransitionNotAllowed) as caught:
        sign(open_petition, 2)
    assert caught.value.code == "signing_closed"
    assert (Signature.objects.count(), OutboxEvent.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_a_petition_hidden_after_this_process_read_it_is_not_found(open_petition, moderator):
    from workflows.services import transition

    sign(open_petition, 1)
    transition(
        Petition.objects.get(pk=open_petition.pk), "hide", actor=moderator, reason="ละเมิด", payload={"reason_code": "offensive"}
    )
    with pytest.raises(NotFound):
        sign(open_petition, 2)
    assert Signature.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_statements_do_nothing_where_the_portable_path_explains(open_ordinance):
    from .conftest import valid_national_id

    nid = valid_national_id(9)
    first, _ = sign(open_ordinance, 1, national_id=nid)
    services.signature_confirm(token=services.signature_token(first))
    with pytest.raises(Conflict) as caught:  # the NOT EXISTS of the sign statement, then the explanation
        sign(open_ordinance, 2, national_id=nid)
    assert caught.value.code == "already_signed"
    with pytest.raises(Conflict) as caught:  # the email's active signature: ON CONFLICT DO NOTHING
        sign(open_ordinance, 1, national_id=valid_national_id(10))
    assert caught.value.code == "already_signed"
    assert Signature.objects.filter(petition=open_ordinance).count() == 1
    assert OutboxEvent.objects.filter(event="signature.confirm_requested").count() == 1


@pytest.mark.django_db(transaction=True)
def test_confirm_of_a_made_up_or_moved_token_reads_nothing(open_petition, django_assert_num_queries):
    signature, _ = sign(open_petition, 1)
    token = services.signature_token(Signature.objects.get(pk=signature.pk))
    pk, salt, mac = token.split(".")
    for bad in (f"{pk}.{salt}.{'0' * 40}", f"{pk}.{'a' * 16}.{mac}", f"{pk}{salt}{mac}"):
        with django_assert_num_queries(0), pytest.raises(NotFound):  # the MAC is checked before any read
            services.signature_confirm(token=bad)
    other, _ = sign(open_petition, 2)
    with pytest.raises(NotFound):  # a valid (salt, mac) pair moved to another signature's id
        services.signature_confirm(token=f"{other.pk}.{salt}.{mac}")
    assert set(Signature.objects.values_list("state", flat=True)) == {"pending"}


@pytest.mark.django_db(transaction=True)
def test_the_tally_follows_village_and_hour_and_the_threshold_moves_happen(open_petition):
    # The policy's thresholds were copied onto the petition: a response at 3, the council at 5.
    for n in range(5):
        signature, _ = sign(open_petition, n, village=n % 2 + 1)
        assert services.signature_confirm(token=services.signature_token(signature))[1] is False
    counts = petition_counts(open_petition.pk, fresh=True)
    assert counts.total == 5 and counts.villages == {1: 3, 2: 2} and sum(n for _h, n in counts.hours) == 5
    petition = Petition.objects.get(pk=open_petition.pk)
    assert petition.response_state == "awaiting_response" and petition.council_threshold_reached_at is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("recheck", [1000, 0])
def test_two_confirmations_that_miss_each_other_still_reach_the_threshold(open_petition, monkeypatch, recheck):
    """The count 4 → 5 (the council threshold) made by two confirmations whose statements both
    started at 3: each one's snapshot misses the other, so each counts 4. The one that commits
    last reads the count again and makes the move. With no re-check window (recheck=0) the move
    waits for the periodic check: the test shows the window is what makes it now."""
    monkeypatch.setattr(signing, "RECHECK", recheck)
    for n in range(3):
        services.signature_confirm(token=services.signature_token(sign(open_petition, n)[0]))
    pending = [services.signature_token(sign(open_petition, n)[0]) for n in (3, 4)]
    # Every shard's total row exists, and another connection holds them all: both statements take
    # their snapshot, then wait for the row lock of their shard.
    for shard in range(services.SHARDS):
        SignatureTally.objects.get_or_create(petition_id=open_petition.pk, bucket="t", shard=shard)
    params = connection.get_connection_params()
    blocker = psycopg.connect(**params)
    blocker.execute(
        "SELECT 1 FROM petitions_signaturetally WHERE petition_id = %s AND bucket = 't' FOR UPDATE", [open_petition.pk]
    )
    results, errors = [], []

    def confirm(token):
        try:
            results.append(services.signature_confirm(token=token)[1])
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(token,), daemon=True) for token in pending]  # a failure never hangs
    for thread in threads:
        thread.start()
    with psycopg.connect(**params, autocommit=True) as watcher:
        for _ in range(200):
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND query LIKE '%%signaturetally%%'"  # this test's database only: others share the server
            ).fetchone()[0]
            if waiting == 2:
                break
            time.sleep(0.05)
    blocker.rollback()  # before the assertion: a failure must not leave the tally rows locked
    blocker.close()
    assert waiting == 2
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and results == [False, False]
    assert petition_total(open_petition.pk) == 5
    petition = Petition.objects.get(pk=open_petition.pk)
    if recheck:
        assert petition.council_threshold_reached_at is not None
        assert services.thresholds_check(open_petition.pk) == []  # nothing was left for the check
    else:
        assert petition.council_threshold_reached_at is None
        assert services.thresholds_check(open_petition.pk) == ["reach_council_threshold"]
    assert OutboxEvent.objects.filter(event="petition.council_threshold_reached").count() == 1
