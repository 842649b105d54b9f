"""The petition pages: Thai by default, English on request, and no GET that changes anything."""

import datetime as dt

import pytest
from django.utils import timezone

from petitions import services
from petitions.models import Petition, Signature

from .conftest import make_petition, sign, sign_and_confirm

pytestmark = pytest.mark.django_db


def test_the_list_and_detail_show_counts_chart_and_villages(client, open_petition):
    for n in range(2):
        sign_and_confirm(open_petition, n, village=3)
    page = client.get("/petitions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert open_petition.title in html and "ลงชื่อ" in html
    detail = client.get(f"/petitions/{open_petition.pk}/").content.decode()
    assert 'data-testid="signature-chart"' in detail and "<polyline" in detail
    assert 'data-testid="village-counts"' in detail
    assert 'data-testid="progress-response"' in detail and 'data-testid="progress-council"' in detail
    assert "หมู่ที่ 3" in detail  # Thai by default
    assert 'data-state="open"' in detail


def test_the_pages_speak_english_on_request(client, open_petition):
    client.cookies["django_language"] = "en"
    html = client.get(f"/petitions/{open_petition.pk}/").content.decode()
    assert "Sign this petition" in html


def test_form_errors_come_back_in_the_page_language(client, open_petition):
    response = client.post(f"/petitions/{open_petition.pk}/sign/", {"name": "", "email": "x", "village": "3"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "errorlist" in html and "ยินยอม" in html or "จำเป็น" in html
    client.cookies["django_language"] = "en"
    response = client.post(f"/petitions/{open_petition.pk}/sign/", {"name": "A", "email": "a@example.org", "village": "3"})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert Signature.objects.count() == 0


def test_signing_on_the_page_and_confirming_with_the_button(client, open_petition):
    response = client.post(
        f"/petitions/{open_petition.pk}/sign/", {"name": "สมหญิง", "email": "s@example.org", "village": "2", "consent": "on"}
    )
    assert response.status_code == 200 and 'data-testid="sign-done"' in response.content.decode()
    signature = Signature.objects.get()
    confirm_url = f"/petitions/signatures/confirm/{services.signature_token(signature)}/"
    for _ in range(2):  # a mail scanner following the link confirms nothing
        page = client.get(confirm_url)
        assert page.status_code == 200 and 'data-testid="confirm-button"' in page.content.decode()
    assert Signature.objects.get().state == "pending"
    done = client.post(confirm_url)
    assert 'data-testid="confirm-done"' in done.content.decode()
    assert Signature.objects.get().state == "confirmed"
    assert client.get("/petitions/signatures/confirm/1.nonsense/").status_code == 404


def test_the_create_wizard_and_the_sponsor_link(client, org, policy, resident, sponsors):
    assert client.get("/petitions/new/").status_code == 302  # sign in first
    client.force_login(resident)
    bad = client.post("/petitions/new/", {"kind": "general", "title": "", "body": "x"})
    assert bad.status_code == 400 and Petition.objects.count() == 0  # kept: tests/petitions/test_kept_forms.py
    response = client.post("/petitions/new/", {"kind": "general", "title": "ขอไฟถนน", "body": "ติดตั้งไฟ"})
    petition = Petition.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/petitions/{petition.pk}/"
    client.post(f"/petitions/{petition.pk}/act/request_sponsors/")
    petition.refresh_from_db()
    assert petition.state == "collecting_sponsors"
    detail = client.get(f"/petitions/{petition.pk}/").content.decode()
    link = f"/petitions/{petition.pk}/sponsor/{petition.sponsor_token}/"
    assert link in detail
    for sponsor in sponsors[:2]:
        client.force_login(sponsor)
        assert client.get(link).status_code == 200
        client.post(link)
    petition.refresh_from_db()
    assert petition.state == "awaiting_moderation" and petition.sponsors.count() == 2
    assert client.get(f"/petitions/{petition.pk}/sponsor/wrong/").status_code == 404


def test_the_moderation_queue_flags_overdue_petitions(client, org, policy, resident, sponsors, moderator, outsider):
    fresh = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors, title="ใหม่")
    old = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors, title="ค้างนาน")
    Petition.objects.filter(pk=old.pk).update(moderation_requested_at=timezone.now() - dt.timedelta(days=15))
    client.force_login(outsider)
    page = client.get("/petitions/moderation/").content.decode()
    assert "ค้างนาน" not in page
    client.force_login(resident)
    assert client.get("/petitions/moderation/").status_code == 403
    client.force_login(moderator)
    page = client.get("/petitions/moderation/").content.decode()
    assert page.count('data-testid="overdue"') == 1
    assert page.index("ค้างนาน") < page.index("ใหม่")
    client.post(f"/petitions/{fresh.pk}/act/open/", {"next": "/petitions/moderation/"})
    reject = {"reason_code": "outside_powers", "reason": "เป็นอำนาจของกรมทางหลวง"}
    refused = client.post(f"/petitions/{old.pk}/act/reject/", reject)  # a rejection needs its box ticked
    assert refused.status_code == 400 and 'data-code="confirmation_required"' in refused.content.decode()
    assert Petition.objects.get(pk=old.pk).state == "awaiting_moderation"
    client.post(f"/petitions/{old.pk}/act/reject/", reject | {"confirm": "1"})
    assert Petition.objects.get(pk=fresh.pk).state == "open"
    rejected = Petition.objects.get(pk=old.pk)
    assert (rejected.state, rejected.rejection_code) == ("rejected", "outside_powers")
    public = client.get(f"/petitions/{old.pk}/").content.decode()
    assert "เป็นอำนาจของกรมทางหลวง" in public


def test_a_page_action_without_permission_changes_nothing(client, open_petition, resident):
    client.force_login(resident)
    response = client.post(f"/petitions/{open_petition.pk}/act/respond/", {"text": "ตอบเอง"})
    assert response.status_code == 302
    assert Petition.objects.get(pk=open_petition.pk).response_state == "not_required"


def test_staff_respond_and_record_the_outcome_on_the_page(client, open_petition, moderator, clerk):
    for n in range(5):
        sign_and_confirm(open_petition, n)
    client.force_login(moderator)
    client.post(f"/petitions/{open_petition.pk}/act/respond/", {"text": "เทศบาลรับไปดำเนินการ"})
    client.post(f"/petitions/{open_petition.pk}/act/submit/")
    client.force_login(clerk)
    client.post(f"/petitions/{open_petition.pk}/act/consider/")
    client.post(
        f"/petitions/{open_petition.pk}/act/decide/",
        {"decision": "adopted", "summary": "สภาเห็นชอบ", "decided_on": "2026-12-01", "meeting": "สมัยที่ 4"},
    )
    petition = Petition.objects.get(pk=open_petition.pk)
    assert (petition.state, petition.response_state) == ("decided", "responded")
    html = client.get(f"/petitions/{petition.pk}/").content.decode()
    assert 'data-testid="response"' in html and 'data-testid="outcome"' in html and "สภาเห็นชอบ" in html


def test_the_signature_review_page_invalidates_by_filter(client, open_petition, moderator):
    sign_and_confirm(open_petition, 1, email="a@spam.example")
    sign(open_petition, 2)
    client.force_login(moderator)
    assert client.get(f"/petitions/{open_petition.pk}/signatures/").status_code == 200
    bulk = {"email_domain": "spam.example", "reason": "สแปม"}
    refused = client.post(f"/petitions/{open_petition.pk}/signatures/", bulk)  # not without the box ticked
    assert refused.status_code == 400 and Signature.objects.get(email="a@spam.example").state == "confirmed"
    client.post(f"/petitions/{open_petition.pk}/signatures/", bulk | {"confirm": "on"})
    assert Signature.objects.get(email="a@spam.example").state == "invalidated"
    assert Signature.objects.filter(state="pending").count() == 1


def test_drafts_are_private(client, org, policy, resident, outsider):
    draft = make_petition(org, resident)
    assert client.get(f"/petitions/{draft.pk}/").status_code == 404
    client.force_login(outsider)
    assert client.get(f"/petitions/{draft.pk}/").status_code == 404
    client.force_login(resident)
    assert client.get(f"/petitions/{draft.pk}/").status_code == 200
