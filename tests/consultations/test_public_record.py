"""The public record, verified from outside: every hash recomputable from /api/v1/audit/, the
published decision bound into the chain, signed checkpoints that a database superuser cannot
rewrite around, and tools/verify_record.py (standard library only) that says so from a fresh
directory over HTTP."""

import hashlib
import hmac
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from consultations import services as consultation_services
from consultations.models import Decision, State
from tests.conftest import requires_postgres
from tests.consultations.conftest import add_alternative, force_state
from tests.workflows.test_audit_tamper import rewrite_chain, run_verify
from tools import verify_record
from workflows import anchoring
from workflows.models import AuditChainHead, AuditCheckpoint, AuditEntry, AuditWebhook
from workflows.services import membership_grant, transition

TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_record.py"


def raw(sql: str, params=None, *, table="workflows_auditentry", trigger="workflows_auditentry_append_only") -> None:
    """What a database superuser can do: switch the append-only trigger off and write."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        cursor.execute(sql, params or [])
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def public_entries(api) -> list[dict]:
    rows, url = [], "/api/v1/audit/?page_size=200"
    while url:
        page = api().get(url).json()
        rows += page["results"]
        url = page["next"]
    return sorted(rows, key=lambda e: e["id"])


def decided(make_consultation, clerk, api, *, rationale="เลือกถนนคอนกรีตเพราะทนทาน"):
    c = make_consultation("consult", State.DELIBERATION)
    alt = add_alternative(c, title="ถนนคอนกรีต")
    force_state(c, State.DECIDING)
    consultation_services.decision_record(
        consultation=c, actor=clerk, chosen_ids=[alt.pk], rationale=rationale, council_resolution="มติสภา 4/2569",
        alternative_answers={alt.pk: "รับไปทำในปีงบประมาณ 2570"},
    )  # fmt: skip
    response = api(clerk).post(f"/api/v1/consultations/{c.pk}/transitions/decide/", {}, format="json")
    assert response.status_code == 200, response.json()
    return c, alt


def test_the_pure_python_verifier_agrees_with_cryptography():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    for message in (b"", b"ruamkid", "ร่วมคิด".encode() * 40):
        signature = key.sign(message)
        assert verify_record.ed25519_verify(public, signature, message)
        assert not verify_record.ed25519_verify(public, signature, message + b"x")
        assert not verify_record.ed25519_verify(other, signature, message)
        tampered = bytes([signature[0] ^ 1]) + signature[1:]
        assert not verify_record.ed25519_verify(public, tampered, message)


def grants(org, make_user, n: int) -> None:
    for _ in range(n):
        membership_grant(admin=None, user=make_user(), organisation=org, role="moderator")


def test_every_hash_recomputes_from_what_the_api_publishes_and_no_user_id_is_in_it(make_consultation, org, make_user, api):
    c = make_consultation("consult", State.DRAFT)
    transition(c, "publish", actor=None, reason="เริ่ม")
    resident = make_user()
    membership_grant(admin=None, user=resident, organisation=org, role="moderator")
    entries = public_entries(api)
    assert len(entries) >= 2
    assert verify_record.verify_chain(entries) == 0  # all format 2: nothing left unrecomputed
    grant = entries[-1]
    assert grant["payload"] == {"user": grant["payload"]["user"], "role": "moderator"}
    assert grant["payload"]["user"] != resident.pk and len(grant["payload"]["user"]) == 20  # a pseudonym
    # the same person keeps the same pseudonym
    membership_grant(admin=None, user=resident, organisation=org, role="clerk")
    assert public_entries(api)[-1]["payload"]["user"] == grant["payload"]["user"]
    # a changed byte anywhere is caught by the outside recomputation
    entries[1]["reason"] = "แก้ไข"
    with pytest.raises(verify_record.Broken) as broken:
        verify_record.verify_chain(entries)
    assert broken.value.code == "hash_mismatch" and broken.value.where["id"] == entries[1]["id"]


def test_the_published_decision_text_and_answers_are_bound_into_the_chain(make_consultation, clerk, api, capsys):
    c, alt = decided(make_consultation, clerk, api)
    bound = AuditEntry.objects.filter(record_id=str(c.pk), name="decide:published").get()
    assert bound.payload["published"]["decision"]["rationale"] == "เลือกถนนคอนกรีตเพราะทนทาน"
    assert bound.payload["published"]["decision"]["chosen"] == [alt.pk]
    assert bound.payload["published"]["answers"]["alternatives"] == {str(alt.pk): "รับไปทำในปีงบประมาณ 2570"}
    assert (
        api().get(f"/api/v1/audit/published/consultations.consultation/{c.pk}/").json()["published"]
        == (bound.payload["published"])
    )
    # a progress update is bound too, with the whole published record as it now reads
    force_state(c, State.IMPLEMENTING)
    consultation_services.progress_update_post(consultation=c, actor=clerk, body="เริ่มก่อสร้างแล้ว", percent_complete=10)
    latest = AuditEntry.objects.filter(record_id=str(c.pk), name="progress_update").get()
    assert latest.payload["published"]["progress"][0]["body"] == "เริ่มก่อสร้างแล้ว"
    assert run_verify(capsys)[0] == 0


@requires_postgres
def test_changing_a_published_decision_in_the_database_is_caught(make_consultation, clerk, api, capsys):
    c, _alt = decided(make_consultation, clerk, api)
    assert run_verify(capsys)[0] == 0
    Decision.objects.filter(consultation=c).update(rationale="เหตุผลที่ถูกแก้ภายหลัง")  # not an audit row: no trigger
    code, output = run_verify(capsys)
    assert code == 1 and "content_mismatch" in output


@requires_postgres
def test_a_rewrite_with_every_hash_recomputed_contradicts_the_signed_checkpoint(make_consultation, clerk, api, capsys):
    decided(make_consultation, clerk, api)
    assert AuditCheckpoint.objects.filter(reason__endswith=":decide:published").count() == 1
    victim = AuditEntry.objects.order_by("id").first()
    rows = [e for e in AuditEntry.objects.order_by("id") if e.chain == victim.chain]  # its chain, from its start
    rewrite_chain(rows, "ไม่มีอะไร")
    code, output = run_verify(capsys)
    assert code == 1 and "checkpoint_mismatch" in output


@requires_postgres
def test_removing_the_newest_entries_is_caught_by_the_checkpoint(make_consultation, clerk, api, capsys):
    decided(make_consultation, clerk, api)
    newest = AuditEntry.objects.order_by("-id").first()
    raw("DELETE FROM workflows_auditentry WHERE id = %s", [newest.pk])
    before = [e for e in AuditEntry.objects.order_by("-id") if e.chain == newest.chain][0]  # the chain's new last entry
    AuditChainHead.objects.filter(pk=newest.chain).update(
        last_hash=before.hash, last_entry_id=before.pk, entries=F("entries") - 1
    )
    code, output = run_verify(capsys)
    assert code == 1 and "checkpoint_missing" in output


def test_the_daily_checkpoint_signs_only_a_grown_chain(org, make_user):
    assert anchoring.checkpoint_daily() is None  # empty chain
    grants(org, make_user, 1)
    first = anchoring.checkpoint_daily()
    assert first is not None and anchoring.signature_valid(first)
    assert anchoring.checkpoint_daily() is None  # nothing new, less than a day
    grants(org, make_user, 1)
    assert anchoring.checkpoint_daily().entries == 2


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_checkpoints_are_pushed_to_webhook_subscribers_signed(org, make_user):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Receiver.received = []
    try:
        AuditWebhook.objects.create(url=f"http://127.0.0.1:{server.server_port}/ruamkid", secret="s3cret")
        grants(org, make_user, 1)
        checkpoint = anchoring.checkpoint_create(reason="test")
        assert anchoring.checkpoint_push(checkpoint.pk) == {"sent": 1, "failed": 0}
    finally:
        server.shutdown()
    headers, body = _Receiver.received[-1]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Ruamkid-Signature"] == expected
    sent = json.loads(body)
    assert sent["checkpoint"]["entry_hash"] == checkpoint.entry_hash
    statement = verify_record.checkpoint_statement(sent["checkpoint"])
    assert verify_record.ed25519_verify(
        bytes.fromhex(sent["public_key"]), bytes.fromhex(sent["checkpoint"]["signature"]), statement
    )
    assert AuditWebhook.objects.get().last_status == "204"


def _tool(base_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The verifier as an outsider runs it: a copy in an empty directory, Python's isolated mode
    (no project, no site-packages on its path)."""
    script = cwd / "verify_record.py"
    shutil.copy(TOOL, script)
    env = {"PATH": os.environ.get("PATH", ""), "NO_PROXY": "*"}
    return subprocess.run(
        [sys.executable, "-I", str(script), base_url, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_standalone_verifier_checks_the_site_from_outside(
    live_server, tmp_path, org, make_user, make_consultation, clerk, api
):
    decided(make_consultation, clerk, api)
    grants(org, make_user, 1)  # an act that publishes no text: only a checkpoint shows it was there
    anchoring.checkpoint_create(reason="scheduled")
    ok = _tool(live_server.url, "--save-checkpoint", "held.json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    entries = AuditEntry.objects.count()
    chains = len({e.chain for e in AuditEntry.objects.all()})
    assert chains >= 1
    plural = "" if chains == 1 else "s"
    assert ok.stdout.startswith(f"OK: {entries} entries in {chains} chain{plural}, 3 signed checkpoints, 1 published records")
    held = json.loads((tmp_path / "held.json").read_text())
    assert held["checkpoint"]["entry_id"] == AuditEntry.objects.order_by("-id").first().pk

    # someone with the database removes the newest entry and every checkpoint: the held copy catches it
    newest = AuditEntry.objects.order_by("-id").first()
    raw("DELETE FROM workflows_auditentry WHERE id = %s", [newest.pk])
    raw(
        "DELETE FROM workflows_auditcheckpoint",
        table="workflows_auditcheckpoint",
        trigger="workflows_auditcheckpoint_append_only",
    )
    without = _tool(live_server.url, cwd=tmp_path)
    assert without.returncode == 0  # without a copy from outside, a clean truncation cannot be seen
    caught = _tool(live_server.url, "--checkpoint", "held.json", cwd=tmp_path)
    assert caught.returncode == 1
    assert f"BROKEN at entry #{newest.pk} (checkpoint_missing)" in caught.stderr


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_standalone_verifier_catches_a_changed_decision(live_server, tmp_path, org, make_consultation, clerk, api):
    c, _alt = decided(make_consultation, clerk, api)
    Decision.objects.filter(consultation=c).update(council_resolution="มติที่ไม่เคยมี")
    caught = _tool(live_server.url, cwd=tmp_path)
    assert caught.returncode == 1
    assert "(content_mismatch)" in caught.stderr
    assert _tool("http://127.0.0.1:9/", cwd=tmp_path).returncode == 2  # nothing there: cannot read, not "broken"


def test_an_integrity_report_keeps_its_place_in_the_public_chain_but_nothing_of_it(org, make_user, api):
    from complaints import integrity

    grants(org, make_user, 1)
    integrity.report_file(organisation=org, actor=None, kind="bribery", subject="เรื่องลับมาก", body="รายละเอียดลับ")
    grants(org, make_user, 1)
    entries = public_entries(api)
    redacted = [e for e in entries if e.get("redacted")]
    assert len(redacted) >= 1 and set(redacted[0]) == {"id", "redacted", "format", "organisation", "prev_hash", "hash"}
    assert "เรื่องลับ" not in json.dumps(entries, ensure_ascii=False)
    assert verify_record.verify_chain(entries) == len(redacted)  # links checked across it, the rest recomputed


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_standalone_verifier_checks_the_demo_install_over_http(live_server, tmp_path):
    import io

    call_command("seed_demo", stdout=io.StringIO())
    ok = _tool(live_server.url, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"OK: {AuditEntry.objects.count()} entries")
    assert AuditEntry.objects.count() > 50  # the demo's moves, moderation and decisions
