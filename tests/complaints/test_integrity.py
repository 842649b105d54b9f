"""Integrity (corruption and misconduct) reports: anyone may report, anonymously; only the
integrity role reads or moves them; the reporter is held apart; the public sees counts per Thai
fiscal year. The grid at the end walks every other role through every page, API and export."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from complaints import integrity
from complaints.models import IntegrityReport, IntegrityReporter
from notifications.models import Delivery, Notification, OutboxEvent, WebhookEndpoint
from notifications.relay import relay_pending
from workflows.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.services import transition

SECRET = "นายก่อเกียรติรับเงินใต้โต๊ะ"  # what must never leak
REPORTER = "ผู้แจ้งลับที่สุด"


@pytest.fixture
def officer(make_user, org):
    return make_user(Role.INTEGRITY, org=org, email="integrity@example.com")


@pytest.fixture
def report(org, officer, make_user):
    WebhookEndpoint.objects.create(organisation=org, url="http://127.0.0.1:9/hook")
    r = integrity.report_file(
        organisation=org, actor=AnonymousUser(), kind="bribery", subject=SECRET, body=f"รายละเอียด {SECRET}",
        involved="กองช่าง", name=REPORTER, email="whistle@example.com", phone="0899999999",
    )  # fmt: skip
    r = transition(r, "investigate", actor=officer)
    relay_pending()
    return r


def test_anyone_reports_anonymously_and_follows_the_state_by_reference(client, org, officer):
    response = client.post("/integrity/new/", {"kind": "corruption", "subject": "จัดซื้อไม่โปร่งใส", "body": "ล็อกสเปก"})
    r = IntegrityReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/integrity/track/{r.reference}/"
    assert not IntegrityReporter.objects.exists()  # nothing given: nothing kept
    page = client.get(response["Location"]).content.decode()
    assert "ได้รับเรื่อง" in page and "จัดซื้อไม่โปร่งใส" not in page and "ล็อกสเปก" not in page
    assert OutboxEvent.objects.get(event="integrity.received").audience == {"roles": ["integrity"]}


def test_the_reporter_is_kept_apart_and_revealed_only_with_an_audit_entry(report, officer, client):
    reporter = IntegrityReporter.objects.get()
    assert (reporter.name, reporter.report_id) == (REPORTER, report.pk)
    assert not hasattr(report, "reporter")
    client.force_login(officer)
    assert REPORTER not in client.get(f"/integrity/{report.pk}/").content.decode()  # not on the record itself
    page = client.post(f"/integrity/{report.pk}/reporter/").content.decode()
    assert REPORTER in page and "whistle@example.com" in page
    entry = AuditEntry.objects.filter(record_type="complaints.integrityreport", name="reporter_reveal").get()
    assert (entry.actor_id, entry.actor_role) == (officer.pk, "integrity")
    filing = AuditEntry.objects.filter(record_type="complaints.integrityreport", name="file").get()
    assert filing.actor_id is None  # the chain never names the reporter


ROLES = ["anonymous", "resident", "moderator", "clerk", "admin", "integrity", "outsider"]
SOURCES = {"investigate": {"received"}, "complete": {"received", "investigating"}}


@pytest.mark.parametrize("state", ["received", "investigating", "completed"])
@pytest.mark.parametrize("role", ROLES)
def test_only_the_integrity_role_moves_a_report(role, state, org, other_org, make_user):
    actor = {
        "anonymous": AnonymousUser(),
        "outsider": make_user(Role.INTEGRITY, org=other_org) if role == "outsider" else None,
    }.get(role) or make_user(role, org=org)
    for move, sources in SOURCES.items():
        r = integrity.report_file(organisation=org, actor=None, kind="misconduct", subject="ส", body="ร")
        IntegrityReport.objects.filter(pk=r.pk).update(state=state)
        r = IntegrityReport.objects.get(pk=r.pk)
        allowed = True if role == "integrity" else PermissionDenied
        want = allowed if state in sources else TransitionNotAllowed
        try:
            transition(r, move, actor=actor, reason="ส่ง ป.ป.ช.", payload={"outcome": "referred"})
            got = True
        except (PermissionDenied, TransitionNotAllowed) as exc:
            got = type(exc)
        assert got == want, (move, role, state)


def test_completing_needs_an_outcome_and_a_note(report, officer):
    with pytest.raises(ValidationFailed):
        transition(report, "complete", actor=officer, reason="มีมูล", payload={"outcome": "maybe"})
    with pytest.raises(ValidationFailed):
        transition(report, "complete", actor=officer, payload={"outcome": "substantiated"})
    r = transition(report, "complete", actor=officer, reason="ลงโทษทางวินัยแล้ว", payload={"outcome": "substantiated"})
    assert (r.state, r.outcome) == ("completed", "substantiated")


def test_counts_per_thai_fiscal_year_are_public(org, api, client):
    for when, state in [((2024, 9, 30), "completed"), ((2024, 10, 1), "investigating"), ((2024, 12, 5), "completed")]:
        r = integrity.report_file(organisation=org, actor=None, kind="corruption", subject=SECRET, body="x")
        IntegrityReport.objects.filter(pk=r.pk).update(state=state, created_at=timezone.make_aware(dt.datetime(*when, 12)))
    body = api().get("/api/v1/integrity-reports/statistics/").json()
    assert body["by_fiscal_year"] == [
        {"fiscal_year": 2568, "received": 2, "in_progress": 1, "completed": 1},
        {"fiscal_year": 2567, "received": 1, "in_progress": 0, "completed": 1},
    ]
    csv = client.get("/integrity/statistics.csv").content.decode("utf-8-sig").replace("\r", "")
    assert "2568,2,1,1" in csv and SECRET not in csv
    assert "2568" in client.get("/integrity/").content.decode()


def _superuser(make_user):
    return make_user(email="root@example.com", is_staff=True, is_superuser=True)


def _urls(r):
    return [
        ("get", "/integrity/"),
        ("get", "/integrity/reports/"),
        ("get", f"/integrity/{r.pk}/"),
        ("post", f"/integrity/{r.pk}/reporter/"),
        ("post", f"/integrity/{r.pk}/act/complete/"),
        ("get", f"/integrity/track/{r.reference}/"),
        ("get", "/integrity/statistics.csv"),
        ("get", "/api/v1/integrity-reports/"),
        ("get", f"/api/v1/integrity-reports/{r.pk}/"),
        ("get", f"/api/v1/integrity-reports/{r.pk}/transitions/"),
        ("post", f"/api/v1/integrity-reports/{r.pk}/transitions/complete/"),
        ("get", f"/api/v1/integrity-reports/track/{r.reference}/"),
        ("get", "/api/v1/integrity-reports/statistics/"),
        ("get", "/api/v1/integrity-reports/statistics.csv"),
        ("get", "/audit/"),
        ("get", "/audit/?record_type=complaints.integrityreport"),
        ("get", "/api/v1/audit/"),
        ("get", f"/api/v1/audit/?record_type=complaints.integrityreport&record_id={r.pk}"),
        ("get", "/api/v1/audit/verify/"),
        ("get", "/complaints/staff/"),
        ("get", "/complaints/statistics/"),
        ("get", "/complaints/statistics.csv"),
        ("get", "/api/v1/complaints/"),
        ("get", "/notifications/"),
        ("get", "/api/v1/notifications/"),
        ("get", "/admin/"),
        ("get", "/admin/workflows/auditentry/"),
        ("get", "/admin/notifications/outboxevent/"),
        ("get", "/admin/complaints/"),
        ("get", "/admin/complaints/integrityreport/"),
        ("get", "/admin/complaints/integrityreporter/"),
        ("get", "/api/schema/"),
    ]


@pytest.mark.parametrize("role", ["anonymous", "resident", "moderator", "clerk", "admin", "outsider", "superuser"])
def test_an_integrity_report_is_invisible_to_every_other_role_everywhere(role, report, make_user, org, other_org):
    user = {
        "anonymous": None,
        "outsider": lambda: make_user(Role.INTEGRITY, org=other_org),
        "superuser": lambda: _superuser(make_user),
    }.get(role, lambda: make_user(role, org=org, is_staff=role == "admin"))
    client = Client()
    if user is not None:
        client.force_login(user())
    for method, url in _urls(report):
        response = getattr(client, method)(url)
        assert response.status_code < 500, (url, response.status_code)
        text = response.content.decode("utf-8", "replace")
        for secret in (SECRET, REPORTER, "whistle@example.com", "0899999999", "กองช่าง" if "integrity" in url else SECRET):
            assert secret not in text, (role, url, secret)
        officer_elsewhere = role == "outsider" and url.endswith("/reports/")  # their own (empty) list
        if "/integrity" in url and (f"/{report.pk}/" in url or url.endswith("/reports/")) and not officer_elsewhere:
            assert response.status_code in (302, 401, 403, 404), (role, url, response.status_code)
    assert not Notification.objects.filter(event__startswith="integrity.").exclude(user__memberships__role="integrity").exists()
    assert not Delivery.objects.filter(channel="webhook", event__event__startswith="integrity.").exists()
    assert IntegrityReport.objects.get(pk=report.pk).state == "investigating"  # the POSTs changed nothing


def test_the_integrity_officer_sees_and_handles_the_report(report, officer, client, api):
    client.force_login(officer)
    assert SECRET in client.get("/integrity/reports/").content.decode()
    assert SECRET in client.get(f"/integrity/{report.pk}/").content.decode()
    assert api(officer).get(f"/api/v1/integrity-reports/{report.pk}/").json()["subject"] == SECRET
    assert [r["id"] for r in api(officer).get("/api/v1/integrity-reports/").json()["results"]] == [report.pk]
    response = client.post(f"/integrity/{report.pk}/act/complete/", {"outcome": "referred", "reason": "ส่ง ป.ป.ช. แล้ว"})
    assert response.status_code == 302
    assert IntegrityReport.objects.get(pk=report.pk).state == "completed"
    assert Notification.objects.filter(user=officer, event="integrity.received").exists()


def test_the_audit_chain_still_covers_integrity_reports(report, api):
    assert AuditEntry.objects.filter(record_type="complaints.integrityreport").count() == 2
    assert api().get("/api/v1/audit/verify/").json()["ok"] is True
    assert api().get("/api/v1/audit/verify/").json()["entries"] == AuditEntry.objects.count()


def test_the_admin_grants_the_integrity_role(api, admin_user, make_user, org):
    person = make_user(email="new-officer@example.com")
    response = api(admin_user).post(
        "/api/v1/organisations/ban-song/members/", {"email": person.email, "role": "integrity"}, format="json"
    )
    assert response.status_code == 201
    assert integrity.is_officer(person, org)


def test_the_public_audit_trail_leaves_integrity_reports_out(report, api, client, make_user):
    query = {"record_type": "complaints.integrityreport"}
    assert api().get("/api/v1/audit/", query).json()["results"] == []
    rows = api().get("/api/v1/audit/").json()["results"]
    assert all(e.get("record_type") != "complaints.integrityreport" for e in rows)
    assert all(
        set(e) == {"id", "redacted", "format", "organisation", "prev_hash", "hash"} for e in rows if e.get("redacted")
    )  # links only
    assert "integrityreport" not in client.get("/audit/").content.decode()
    client.force_login(_superuser(make_user))
    admin_page = client.get("/admin/workflows/auditentry/").content.decode()
    for entry in AuditEntry.objects.filter(record_type="complaints.integrityreport"):
        assert f"/admin/workflows/auditentry/{entry.pk}/change/" not in admin_page
    assert client.get(f"/admin/workflows/auditentry/{entry.pk}/change/").status_code == 302  # not found: back to the list
    assert client.get("/admin/complaints/integrityreport/").status_code == 404
