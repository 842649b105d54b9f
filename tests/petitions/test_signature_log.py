"""Signatures as a declared machine, each petition's signature log and its checkpoints on the audit
chain, and the receipt a signer checks it with (petitions.siglog, docs/AUDIT.md)."""

import pytest
from django.utils import timezone

from petitions import services, siglog, signing
from petitions.models import Signature, SignatureLogEntry, SignatureLogHead
from petitions.selectors import petition_total
from tests.conftest import requires_postgres
from tests.consultations.test_public_record import _tool, raw
from tests.petitions.conftest import last_confirm_token, sign, sign_and_confirm
from tests.workflows.test_audit_tamper import run_verify
from workflows import anchoring
from workflows.errors import Conflict, TransitionNotAllowed
from workflows.graph import machine_graph
from workflows.models import AuditCheckpoint, AuditEntry
from workflows.selectors import audit_verify
from workflows.services import transition

LOG_TRIGGER = "petitions_signaturelogentry_append_only"


def checkpoints_of(petition) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(record_type="petitions.petition", record_id=str(petition.pk), name=siglog.CHECKPOINT).order_by(
            "id"
        )
    )


# --- the machine -----------------------------------------------------------------------------------
def test_the_signature_graph_is_declared_once_and_read_by_the_sql(db):
    (graph,) = machine_graph(Signature)
    edges = {(e.source, e.target) for e in graph.edges}
    assert graph.initial == "pending"
    assert edges == {
        ("pending", "confirmed"),
        ("pending", "withdrawn"), ("confirmed", "withdrawn"),
        ("pending", "invalidated"), ("confirmed", "invalidated"),
        ("pending", "fraudulent"), ("confirmed", "fraudulent"),
        ("invalidated", "confirmed"), ("invalidated", "pending"),  # staff restore one (with a reason)
    }  # fmt: skip
    assert signing.MOVES["confirm"] == (frozenset({"pending"}), "confirmed")
    assert "t.state IN ('pending')" in signing._CONFIRM_SQL and "'confirmed'" in signing._CONFIRM_SQL
    assert "state IN ('pending')" in signing._CONFIRM_PORTABLE_SQL


@pytest.mark.parametrize(
    ("name", "state"),
    [("confirm", "confirmed"), ("confirm", "withdrawn"), ("withdraw", "invalidated"), ("invalidate", "withdrawn"),
     ("void", "fraudulent"), ("confirm", "fraudulent"), ("unknown", "pending")],
)  # fmt: skip
def test_a_move_the_graph_does_not_have_is_refused(db, name, state):
    assert not signing.allowed(name, state)
    with pytest.raises(Conflict):
        signing.check(name, state)


def test_ending_moves_move_only_signatures_in_their_source_states(open_ordinance):
    counted = sign_and_confirm(open_ordinance, 1)
    ended = sign_and_confirm(open_ordinance, 2)
    signing.end("invalidate", [ended.pk], now=timezone.now())
    assert signing.end("withdraw", [counted.pk, ended.pk], now=timezone.now()) == 1
    assert dict(Signature.objects.values_list("pk", "state")) == {counted.pk: "withdrawn", ended.pk: "invalidated"}
    with pytest.raises(ValueError):
        signing.end("confirm", [counted.pk], now=timezone.now())


def test_an_invalidated_signature_cannot_be_withdrawn_or_confirmed_again(open_ordinance, moderator):
    signature = sign_and_confirm(open_ordinance, 1)
    token = last_confirm_token("signer1@example.org")
    services.signatures_invalidate(petition=open_ordinance, actor=moderator, reason="ทดสอบ", ip_hash=signature_ip(signature))
    with pytest.raises(Conflict) as refused:
        services.signature_withdraw(token=token)
    assert refused.value.details == {"state": "invalidated", "move": "withdraw"}
    with pytest.raises(Conflict):
        services.signature_confirm(token=token)
    assert Signature.objects.get(pk=signature.pk).state == "invalidated"
    assert petition_total(open_ordinance.pk) == 0


def test_the_portable_confirm_follows_the_same_graph(open_petition):
    signature, _outcome = sign(open_petition, 1)
    now = timezone.now()
    found = signing.confirm_portable(pk=signature.pk, salt=signature.salt, now=now, shard=0, hour_bucket="h2026010100")
    assert found.confirmed and Signature.objects.get(pk=signature.pk).state == "confirmed"
    again = signing.confirm_portable(pk=signature.pk, salt=signature.salt, now=now, shard=0, hour_bucket="h2026010100")
    assert not again.confirmed and petition_total(open_petition.pk) == 1


def test_the_transition_service_and_the_generic_api_refuse_signatures(open_petition, moderator, api):
    signature = sign_and_confirm(open_petition, 1)
    with pytest.raises(TransitionNotAllowed):
        transition(Signature.objects.get(pk=signature.pk), "invalidate", actor=moderator, reason="x")
    assert api(moderator).post(f"/api/v1/signatures/{signature.pk}/transitions/invalidate/", {}, format="json").status_code == 404
    assert Signature.objects.get(pk=signature.pk).state == "confirmed"


def signature_ip(signature) -> str:
    return Signature.objects.get(pk=signature.pk).ip_hash


# --- the log ---------------------------------------------------------------------------------------
def test_a_seal_appends_each_move_in_order_and_checkpoints_the_log_on_the_chain(open_ordinance, moderator):
    sign_and_confirm(open_ordinance, 1, village=1)
    second = sign_and_confirm(open_ordinance, 2, village=2, ip="198.51.100.7")
    sign(open_ordinance, 3)  # pending: not counted, not in the log
    services.signature_withdraw(token=last_confirm_token("signer1@example.org"))
    entry = siglog.seal(open_ordinance.pk)
    rows = list(SignatureLogEntry.objects.filter(petition=open_ordinance).values_list("position", "event", "village_number"))
    assert rows == [(1, "confirmed", 2), (2, "confirmed", 1), (3, "withdrawn", 1)]  # by the time of each move
    assert entry.payload == {"entries": 3, "head": SignatureLogEntry.objects.get(position=3).hash, "valid": 1, "appended": 3}
    assert (entry.from_state, entry.to_state, entry.actor_role) == ("0", "1", "system")
    assert entry.payload["valid"] == petition_total(open_ordinance.pk)
    assert siglog.seal(open_ordinance.pk) is None  # nothing new: no entry
    services.signatures_invalidate(petition=open_ordinance, actor=moderator, reason="ซ้ำ", ip_hash=signature_ip(second))
    later = siglog.seal(open_ordinance.pk)
    assert later.payload["entries"] == 4 and later.payload["valid"] == 0
    assert SignatureLogEntry.objects.get(position=4).event == "invalidated"
    assert audit_verify().ok
    assert "@" not in str(list(SignatureLogEntry.objects.values()))  # no email, no name
    assert not {"name", "email"} & set(entry.payload)


def test_signatures_confirmed_before_the_log_existed_are_appended_by_the_first_seal(open_petition):
    """The migration backfills nothing: an existing confirmed signature is not in the log yet."""
    signature = sign_and_confirm(open_petition, 1)
    Signature.objects.filter(pk=signature.pk).update(logged_state="")  # as migration 0004 leaves old rows
    SignatureLogHead.objects.filter(petition=open_petition).delete()
    assert siglog.seal_all() == 1
    assert SignatureLogEntry.objects.filter(petition=open_petition).count() == 1
    assert Signature.objects.get(pk=signature.pk).logged_state == "confirmed"


def test_a_threshold_crossing_checkpoints_the_log_and_signs_the_chain(open_petition, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):  # the fixture policy's response threshold
            sign_and_confirm(open_petition, n)
    (entry,) = checkpoints_of(open_petition)
    assert entry.reason == "require_response" and entry.payload["valid"] == 3
    assert AuditCheckpoint.objects.filter(reason__endswith="signature_log:require_response").exists()


def test_the_hourly_checkpoint_seals_every_log_first(open_petition):
    sign_and_confirm(open_petition, 1)
    checkpoint = anchoring.checkpoint_daily()
    (entry,) = checkpoints_of(open_petition)
    assert checkpoint.entry_id == entry.pk  # the signed head covers the log's checkpoint


# --- tampering -------------------------------------------------------------------------------------
def sealed(petition, n: int):
    for i in range(n):
        sign_and_confirm(petition, i, village=1 + i % 2)
    siglog.seal(petition.pk)


def log_raw(sql: str, params=None) -> None:
    raw(sql, params, table="petitions_signaturelogentry", trigger=LOG_TRIGGER)


@requires_postgres
def test_a_log_row_edited_in_the_database_is_caught(open_petition, capsys):
    sealed(open_petition, 2)
    assert run_verify(capsys)[0] == 0
    log_raw("UPDATE petitions_signaturelogentry SET village_number = 9 WHERE position = 1")
    code, out = run_verify(capsys)
    assert code == 1 and "(signature_log_hash_mismatch)" in out


@requires_postgres
def test_a_log_row_deleted_in_the_database_is_caught(open_petition, capsys):
    sealed(open_petition, 3)
    log_raw("DELETE FROM petitions_signaturelogentry WHERE position = 2")
    code, out = run_verify(capsys)
    assert code == 1 and "(signature_log_gap)" in out


@requires_postgres
def test_removing_the_newest_log_rows_and_their_head_contradicts_the_checkpoint(open_petition, capsys):
    sealed(open_petition, 3)
    log_raw("DELETE FROM petitions_signaturelogentry WHERE position = 3")
    previous = SignatureLogEntry.objects.get(position=2)
    SignatureLogHead.objects.filter(petition=open_petition).update(entries=2, head_hash=previous.hash, valid=2)
    code, out = run_verify(capsys)
    assert code == 1 and "(signature_log_checkpoint_missing)" in out


@requires_postgres
def test_the_log_api_publishes_no_personal_data_and_the_verifier_catches_an_edit_from_outside(open_petition, api):
    sealed(open_petition, 2)
    page = api().get(f"/api/v1/petitions/{open_petition.pk}/signature-log/?page_size=1").json()
    assert page["entries"] == 2 and len(page["results"]) == 1 and page["next"]
    assert set(page["results"][0]) == {"position", "event", "receipt", "village", "prev_hash", "hash"}
    second = api().get(page["next"]).json()
    assert [r["position"] for r in second["results"]] == [2] and second["next"] is None
    assert api().get("/api/v1/petitions/999999/signature-log/").status_code == 404
    refused = api().get(f"/api/v1/petitions/{open_petition.pk}/signature-log/?after=x&page_size=-3")
    assert refused.status_code == 400 and set(refused.json()["error"]["details"]) == {"after"}  # refused, not bent
    too_many = api().get(f"/api/v1/petitions/{open_petition.pk}/signature-log/?page_size=100000")
    assert too_many.status_code == 400 and too_many.json()["error"]["details"]["page_size"]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_standalone_verifier_recomputes_the_signature_logs(live_server, tmp_path, org, policy, resident, sponsors, moderator):
    from tests.petitions.conftest import make_petition

    petition = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    sealed(petition, 2)
    ok = _tool(live_server.url, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "1 signature logs (2 log entries)" in ok.stdout
    log_raw("UPDATE petitions_signaturelogentry SET event = 'withdrawn' WHERE position = 2")
    caught = _tool(live_server.url, cwd=tmp_path)
    assert caught.returncode == 1 and "(signature_log_hash_mismatch)" in caught.stderr
    # recomputing the edited row's hash does not help: the chain's checkpoint holds the old head and count
    row = SignatureLogEntry.objects.get(petition=petition, position=2)
    digest = siglog.entry_hash(
        row.prev_hash, petition_id=petition.pk, position=2, event=row.event, receipt=row.receipt, village=row.village_number
    )
    log_raw("UPDATE petitions_signaturelogentry SET hash = %s WHERE id = %s", [digest, row.pk])
    rewritten = _tool(live_server.url, cwd=tmp_path)
    assert rewritten.returncode == 1 and "(signature_log_checkpoint_mismatch)" in rewritten.stderr


# --- receipts --------------------------------------------------------------------------------------
def test_a_signer_finds_their_receipt_in_the_log_without_anyone_learning_who_signed(open_petition, client, api):
    signature, _outcome = sign(open_petition, 1)
    token = last_confirm_token(signature.email)
    page = client.post(f"/petitions/signatures/confirm/{token}/")
    receipt = siglog.receipt(Signature.objects.get(pk=signature.pk).salt)
    assert receipt in page.content.decode() and 'data-testid="receipt"' in page.content.decode()
    from notifications.models import OutboxEvent

    assert OutboxEvent.objects.filter(event="signature.confirm_requested").latest("id").data["receipt"] == receipt

    assert api().get(f"/api/v1/signature-receipts/{receipt}/").status_code == 404  # not sealed yet
    missing = client.get("/petitions/receipts/", {"receipt": receipt})
    assert 'data-testid="receipt-missing"' in missing.content.decode()

    sign_and_confirm(open_petition, 2)
    entry = siglog.seal(open_petition.pk)
    found = api().get(f"/api/v1/signature-receipts/{receipt.upper()}/").json()
    assert found["petition"]["id"] == open_petition.pk and found["counted"] is True
    assert found["entries"] == [{"position": 1, "event": "confirmed"}]
    assert found["checkpoint"]["audit_entry"] == entry.pk and found["checkpoint"]["entries"] == 2
    assert "signer1" not in str(found) and "ผู้ลงชื่อ" not in str(found)
    shown = client.get("/petitions/receipts/", {"receipt": receipt}).content.decode()
    assert 'data-testid="receipt-checkpoint"' in shown and f"#{entry.pk}" in shown
    assert client.get("/petitions/receipts/", {"receipt": "ไม่ใช่"}).status_code == 400
    assert api().get("/api/v1/signature-receipts/zz/").status_code == 404
