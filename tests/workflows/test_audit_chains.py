"""One audit chain per organisation: each verifies alone and with the whole, a tampered chain fails
itself and the whole but not its neighbour, moves in different organisations do not wait for each
other while moves in one organisation stay in one line, and a database written with the one chain
of before migrates into the legacy chain and stays verifiable."""

import threading

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connection, connections, transaction

from tests.conftest import requires_postgres
from tests.testapp.models import Ticket
from tests.workflows.conftest import moved
from tests.workflows.test_audit_tamper import raw, rewrite_chain, run_verify
from workflows import anchoring
from workflows.models import (
    GENESIS_HASH,
    LEGACY_CHAIN,
    AuditChainHead,
    AuditCheckpoint,
    AuditEntry,
    chain_genesis,
    checkpoint_statement,
)
from workflows.selectors import audit_verify
from workflows.services import transition


@pytest.fixture(autouse=True)
def _fresh_verify_throttle():
    from django.core.cache import cache

    cache.delete("throttle_audit_verify_127.0.0.1")


def interleaved(org, other_org) -> tuple[list[Ticket], list[Ticket]]:
    ours = [Ticket.objects.create(organisation=org, title=f"ours {i}") for i in range(3)]
    theirs = [Ticket.objects.create(organisation=other_org, title=f"theirs {i}") for i in range(3)]
    for step in ("submit", "assign"):
        for a, b in zip(ours, theirs, strict=True):
            moved(a, step)
            moved(b, step)
    return ours, theirs


def chain(organisation_id: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(format__gte=3, organisation_id=organisation_id).order_by("id"))


def test_interleaved_moves_of_two_organisations_make_two_linear_chains(org, other_org, capsys, api):
    interleaved(org, other_org)
    for organisation in (org, other_org):
        entries = chain(organisation.pk)
        assert len(entries) == 6
        genesis = chain_genesis(organisation.pk, legacy_hash=GENESIS_HASH, legacy_entries=0)
        assert [e.prev_hash for e in entries] == [genesis] + [e.hash for e in entries[:-1]]
        head = AuditChainHead.objects.get(pk=organisation.pk)
        assert (head.last_entry_id, head.last_hash, head.entries) == (entries[-1].pk, entries[-1].hash, 6)
        report = audit_verify(organisation=organisation.pk)
        assert report.ok and report.entries == 6
        assert report.extra["chains"] == {f"organisation:{organisation.pk}": 6}
    whole = audit_verify()
    assert whole.ok and whole.entries == 12
    assert whole.extra["chains"] == {f"organisation:{org.pk}": 6, f"organisation:{other_org.pk}": 6}
    code, output = run_verify(capsys)
    assert code == 0 and output.startswith("OK: 12 entries in 2 chains")
    call_command("verify_audit", "--organisation", org.slug)
    assert capsys.readouterr().out.startswith("OK: 6 entries in 1 chain")
    body = api().get(f"/api/v1/audit/verify/?organisation={other_org.pk}").json()
    assert body == {"ok": True, "entries": 6, "chains": {f"organisation:{other_org.pk}": 6}}
    whole_chain = api().get(f"/api/v1/audit/?chain=organisation:{org.pk}&page_size=200").json()["results"]
    assert [e["id"] for e in whole_chain] == [e.pk for e in reversed(chain(org.pk))]


def test_an_unknown_organisation_or_chain_is_a_clear_error(db, api, capsys):
    response = api().get("/api/v1/audit/verify/?organisation=no-such-place")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    response = api().get("/api/v1/audit/?chain=organisation:x")
    assert response.status_code == 400 and response.json()["error"]["details"]["chain"]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("verify_audit", "--organisation", "no-such-place")


@requires_postgres
def test_tampering_one_organisations_chain_fails_it_and_the_whole_but_not_the_other(org, other_org, capsys, api):
    interleaved(org, other_org)
    target = chain(org.pk)[2]
    raw("UPDATE workflows_auditentry SET reason = 'forged' WHERE id = %s", [target.pk])
    ours = audit_verify(organisation=org.pk)
    assert not ours.ok and ours.code == "hash_mismatch" and ours.first_broken["id"] == target.pk
    assert audit_verify(organisation=other_org.pk).ok
    whole = audit_verify()
    assert not whole.ok and whole.first_broken["id"] == target.pk
    assert run_verify(capsys)[0] == 1
    assert api().get(f"/api/v1/audit/verify/?organisation={other_org.pk}").json()["ok"] is True
    assert api().get(f"/api/v1/audit/verify/?organisation={org.pk}").json()["code"] == "hash_mismatch"


@requires_postgres
def test_an_entry_moved_to_another_chain_is_caught(org, other_org):
    interleaved(org, other_org)
    target = chain(org.pk)[-1]
    raw("UPDATE workflows_auditentry SET organisation_id = %s WHERE id = %s", [other_org.pk, target.pk])
    report = audit_verify(organisation=other_org.pk)
    assert not report.ok and report.first_broken["id"] == target.pk and report.code == "link_broken"
    assert not audit_verify(organisation=org.pk).ok  # its own chain's head now names a missing entry
    assert not audit_verify().ok


@requires_postgres
def test_a_rewrite_of_one_chain_with_every_hash_recomputed_contradicts_the_checkpoint(org, other_org):
    interleaved(org, other_org)
    checkpoint = anchoring.checkpoint_create(reason="test")
    assert checkpoint.version == 2
    assert {h["chain"] for h in checkpoint.heads} == {f"organisation:{org.pk}", f"organisation:{other_org.pk}"}
    rewrite_chain(chain(other_org.pk), "forged")  # a database superuser rewrites the whole chain and its head
    report = audit_verify(organisation=other_org.pk)
    assert not report.ok and report.code == "checkpoint_mismatch"
    assert report.first_broken["chain"] == f"organisation:{other_org.pk}"
    assert audit_verify(organisation=org.pk).ok
    assert audit_verify().code == "checkpoint_mismatch"


def test_the_daily_checkpoint_signs_again_when_any_chain_grew(org, other_org):
    interleaved(org, other_org)
    first = anchoring.checkpoint_daily()
    assert first is not None and first.entries == 12 and anchoring.signature_valid(first)
    assert anchoring.checkpoint_daily() is None
    moved(Ticket.objects.create(organisation=other_org, title="new"), "submit")
    second = anchoring.checkpoint_daily()
    assert second is not None and second.entries == 13
    heads = {h["chain"]: h["entries"] for h in second.heads}
    assert heads == {f"organisation:{org.pk}": 6, f"organisation:{other_org.pk}": 7}


def _hold_head_lock(chain_id: int):
    """Another connection (another process, as far as PostgreSQL can tell) that holds one chain's
    head row locked in an open transaction."""
    db = settings.DATABASES["default"]
    conn = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
        dbname=connection.settings_dict["NAME"],
    )  # fmt: skip
    conn.execute("SELECT 1 FROM workflows_auditchainhead WHERE chain = %s FOR UPDATE", [chain_id])
    return conn


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_move_in_one_organisation_does_not_wait_for_another_organisations_chain(org, other_org):
    ours, theirs = (Ticket.objects.create(organisation=o, title="x") for o in (org, other_org))
    moved(ours, "submit")
    moved(theirs, "submit")  # both chains exist
    holder = _hold_head_lock(org.pk)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        # the other organisation's move commits while our chain's head is held
        transition(Ticket.objects.get(pk=theirs.pk), "assign", actor=None)
        assert chain(other_org.pk)[-1].name == "assign"
        # and a move in the held organisation is what has to wait (it gives up at lock_timeout)
        with pytest.raises(OperationalError), transaction.atomic():
            transition(Ticket.objects.get(pk=ours.pk), "assign", actor=None)
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    transition(Ticket.objects.get(pk=ours.pk), "assign", actor=None)
    assert audit_verify().ok


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_in_one_organisation_keep_its_chain_linear(org, other_org):
    n = 12
    tickets = [Ticket.objects.create(organisation=org if i % 3 else other_org, title=f"race {i}") for i in range(n)]
    barrier = threading.Barrier(n)
    errors = []

    def move(ticket):
        try:
            barrier.wait(timeout=30)
            transition(Ticket(pk=ticket.pk), "submit", actor=None)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move, args=(t,)) for t in tickets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    for organisation, expected in ((org, 8), (other_org, 4)):
        entries = chain(organisation.pk)
        assert len(entries) == expected
        prevs = [e.prev_hash for e in entries]
        assert len(set(prevs)) == expected  # no two entries name the same predecessor: no fork
        assert prevs[1:] == [e.hash for e in entries[:-1]]
        assert AuditChainHead.objects.get(pk=organisation.pk).entries == expected
    assert audit_verify().ok


# --- The one chain of before, migrated ---------------------------------------------------------------


def _old_shape(org) -> list[AuditEntry]:
    """Three format-2 entries on the one chain, its head row (id 1) and a version-1 checkpoint,
    written as the code before migration 0006 wrote them (the tables are in their 0005 shape)."""
    import datetime as dt

    from django.utils import timezone

    from workflows.models import payload_digest

    prev, rows = GENESIS_HASH, []
    for i in range(3):
        e = AuditEntry(
            format=2, organisation_id=org.pk if i != 1 else None, record_type="testapp.ticket", record_id=str(i + 1),
            action="transition", name="submit", actor_ref="", actor_role="system",
            created_at=timezone.now(), from_state="new", to_state="submitted", reason="", payload={"n": i},
            prev_hash=prev,
        )  # fmt: skip
        e.payload_digest = payload_digest(e.payload)
        e.hash = e.compute_hash()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO workflows_auditentry (format, organisation_id, record_type, record_id, action, name, "
                "actor_id, actor_ref, actor_role, created_at, from_state, to_state, reason, payload_digest, payload, "
                "prev_hash, hash) VALUES (%s,%s,%s,%s,%s,%s,NULL,%s,%s,%s,%s,%s,%s,%s,%s::jsonb,%s,%s) RETURNING id",
                [e.format, e.organisation_id, e.record_type, e.record_id, e.action, e.name, e.actor_ref, e.actor_role,
                 e.created_at, e.from_state, e.to_state, e.reason, e.payload_digest, f'{{"n": {i}}}', e.prev_hash,
                 e.hash],
            )  # fmt: skip
            e.pk = cursor.fetchone()[0]
        prev = e.hash
        rows.append(e)
    created = timezone.now()
    statement = checkpoint_statement(
        entry_id=rows[-1].pk, entry_hash=rows[-1].hash, entries=3,
        created_at=created.astimezone(dt.UTC).isoformat(timespec="microseconds"), reason="scheduled",
    )  # fmt: skip
    signature = anchoring.signing_key().sign(statement).hex()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO workflows_auditchainhead (id, last_hash, last_entry_id) VALUES (1, %s, %s)",
                       [prev, rows[-1].pk])  # fmt: skip
        cursor.execute(
            "INSERT INTO workflows_auditcheckpoint (entry_id, entry_hash, entries, created_at, reason, key_id, signature) "
            "VALUES (%s, %s, 3, %s, 'scheduled', %s, %s)",
            [rows[-1].pk, rows[-1].hash, created, anchoring.public_key_hex(), signature],
        )
    return rows


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_entries_of_the_one_chain_of_before_migrate_into_the_legacy_chain_and_stay_verifiable(org, other_org):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("workflows", "0005_merge_0004_attachment_0004_pg_trgm")])
    try:
        legacy = _old_shape(org)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    head = AuditChainHead.objects.get()
    assert (head.chain, head.last_hash, head.last_entry_id, head.entries) == (
        LEGACY_CHAIN, legacy[-1].hash, legacy[-1].pk, 3
    )  # fmt: skip
    old = AuditCheckpoint.objects.get()
    assert old.version == 1 and anchoring.signature_valid(old)
    report = audit_verify()
    assert report.ok and report.extra["chains"] == {"legacy": 3}

    # new moves start each organisation's chain from a genesis that binds the legacy head
    moved(Ticket.objects.create(organisation=org, title="after"), "submit")
    moved(Ticket.objects.create(organisation=other_org, title="after"), "submit")
    first = chain(org.pk)[0]
    assert first.prev_hash == chain_genesis(org.pk, legacy_hash=legacy[-1].hash, legacy_entries=3)
    assert anchoring.checkpoint_create(reason="test").heads[0] == {
        "chain": "legacy", "entry_id": legacy[-1].pk, "entry_hash": legacy[-1].hash, "entries": 3
    }  # fmt: skip
    report = audit_verify()
    assert report.ok and report.extra["chains"] == {"legacy": 3, f"organisation:{org.pk}": 1,
                                                   f"organisation:{other_org.pk}": 1}  # fmt: skip
    assert audit_verify(organisation=org.pk).ok

    # a legacy entry edited afterwards is still caught, by the whole and by the old checkpoint
    raw("UPDATE workflows_auditentry SET reason = 'forged' WHERE id = %s", [legacy[0].pk])
    assert audit_verify().code == "hash_mismatch"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_outside_verifier_checks_each_chain_alone_and_all_of_them(live_server, tmp_path, org, other_org):
    from tests.consultations.test_public_record import _tool

    interleaved(org, other_org)
    anchoring.checkpoint_create(reason="test")
    whole = _tool(live_server.url, cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr
    assert whole.stdout.startswith("OK: 12 entries in 2 chains, 1 signed checkpoints")
    alone = _tool(live_server.url, "--organisation", str(org.pk), cwd=tmp_path)
    assert alone.returncode == 0 and alone.stdout.startswith("OK: 6 entries in 1 chain,"), alone.stderr
    target = chain(org.pk)[1]
    raw("UPDATE workflows_auditentry SET reason = 'forged' WHERE id = %s", [target.pk])
    assert f"BROKEN at entry #{target.pk} (hash_mismatch)" in _tool(live_server.url, cwd=tmp_path).stderr
    ours = _tool(live_server.url, "--organisation", str(org.pk), cwd=tmp_path)
    assert ours.returncode == 1 and f"#{target.pk} (hash_mismatch)" in ours.stderr
    assert _tool(live_server.url, "--organisation", str(other_org.pk), cwd=tmp_path).returncode == 0
