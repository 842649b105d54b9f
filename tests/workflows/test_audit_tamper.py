"""Editing an audit row by hand makes verify_audit (and the API) fail, naming that row."""

import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import error_of, requires_postgres
from tests.workflows.conftest import moved
from workflows.models import AuditChainHead, AuditEntry


@pytest.fixture(autouse=True)
def _fresh_verify_throttle():
    """The public check is rate limited per client; each test starts with a fresh allowance."""
    from django.core.cache import cache

    cache.delete("throttle_audit_verify_127.0.0.1")


def run_verify(capsys) -> tuple[int, str]:
    try:
        call_command("verify_audit")
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


def raw(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE workflows_auditentry DISABLE TRIGGER workflows_auditentry_append_only")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE workflows_auditentry ENABLE TRIGGER workflows_auditentry_append_only")


def rewrite_chain(rows: list[AuditEntry], reason: str) -> None:
    """What someone who controls the database can do: change the reason of the first of `rows` (a
    chain, from some entry to its end), recompute every hash after it and point the head at the last."""
    rows[0].reason = reason
    prev = rows[0].prev_hash
    for entry in rows:
        entry.prev_hash = prev
        entry.hash = entry.compute_hash()
        raw("UPDATE workflows_auditentry SET reason=%s, prev_hash=%s, hash=%s WHERE id=%s",
            [entry.reason, entry.prev_hash, entry.hash, entry.pk])  # fmt: skip
        prev = entry.hash
    AuditChainHead.objects.filter(pk=rows[0].chain).update(last_hash=prev)


def test_it_reports_ok_with_the_number_of_entries(make_ticket, org, capsys, api):
    moved(make_ticket(), "submit", "assign")
    moved(make_ticket(), "submit")
    assert run_verify(capsys) == (0, f"OK: 3 entries in 1 chain\n  organisation:{org.pk}: 3\n")
    assert api().get("/api/v1/audit/verify/").json() == {"ok": True, "entries": 3, "chains": {f"organisation:{org.pk}": 3}}


def test_it_reports_ok_on_an_empty_chain(db, capsys):
    assert run_verify(capsys) == (0, "OK: 0 entries in 0 chains\n")


@requires_postgres
def test_it_names_the_entry_whose_reason_was_edited_by_sql_with_the_trigger_disabled(make_ticket, capsys, api):
    moved(make_ticket(), "submit", "assign", "resolve")
    target = AuditEntry.objects.order_by("id")[1]
    raw("UPDATE workflows_auditentry SET reason = 'nothing to see' WHERE id = %s", [target.pk])
    code, output = run_verify(capsys)
    assert code == 1
    assert f"#{target.pk} " in output and "hash_mismatch" in output
    body = api().get("/api/v1/audit/verify/").json()
    assert body["ok"] is False
    assert body["first_broken"]["id"] == target.pk
    assert body["code"] == "hash_mismatch" and body["entries"] == 1 and body["problem"]


@pytest.mark.parametrize(
    "column,value",
    [("to_state", "closed"), ("actor_role", "admin"), ("created_at", "2020-01-01T00:00:00Z"), ("payload_digest", "0" * 64)],
)
def test_it_catches_an_edit_of_any_covered_column(make_ticket, capsys, column, value):
    moved(make_ticket(), "submit", "assign")
    target = AuditEntry.objects.order_by("id").first()
    raw(f"UPDATE workflows_auditentry SET {column} = %s WHERE id = %s", [value, target.pk])  # noqa: S608
    code, output = run_verify(capsys)
    assert code == 1 and f"#{target.pk} " in output


def test_it_catches_a_recomputed_hash_by_the_broken_link_that_follows(make_ticket, capsys):
    moved(make_ticket(), "submit", "assign", "resolve")
    first, second, _third = AuditEntry.objects.order_by("id")
    # A careful forger rewrites the reason and recomputes this row's hash ...
    first.reason = "forged"
    forged_hash = first.compute_hash()
    raw("UPDATE workflows_auditentry SET reason = %s, hash = %s WHERE id = %s", ["forged", forged_hash, first.pk])
    # ... and the next row, which still names the old hash, gives it away.
    code, output = run_verify(capsys)
    assert code == 1 and f"#{second.pk} " in output and "link_broken" in output


def test_it_catches_a_deleted_entry_in_the_middle_and_at_the_end(make_ticket, capsys):
    moved(make_ticket(), "submit", "assign", "resolve")
    first, second, third = AuditEntry.objects.order_by("id")
    raw("DELETE FROM workflows_auditentry WHERE id = %s", [third.pk])
    code, output = run_verify(capsys)
    assert code == 1 and f"#{third.pk} " in output and "head_mismatch" in output
    raw("DELETE FROM workflows_auditentry WHERE id = %s", [first.pk])
    code, output = run_verify(capsys)
    assert code == 1 and f"#{second.pk} " in output and "link_broken" in output
    assert AuditChainHead.objects.get().last_entry_id == third.pk


def test_the_public_check_is_rate_limited_per_client(api, db):
    import random

    client = api()
    address = f"198.51.100.{random.randint(1, 254)}"
    other = f"203.0.113.{random.randint(1, 254)}"
    from django.core.cache import cache

    cache.delete_many([f"throttle_audit_verify_{ip}" for ip in (address, other)])
    codes = [client.get("/api/v1/audit/verify/", REMOTE_ADDR=address).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]
    assert error_of(client.get("/api/v1/audit/verify/", REMOTE_ADDR=address))["code"] == "rate_limited"
    assert client.get("/api/v1/audit/verify/", REMOTE_ADDR=other).status_code == 200
