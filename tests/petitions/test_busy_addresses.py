"""Many honest people share one address (a village meeting on one Wi-Fi, a carrier's NAT): a busy
address is flagged for staff to review, never voided; its signatures count once confirmed. Staff
see the pattern, clear the flag or invalidate in bulk (audited); only clear abuse is refused; a
jump in a petition's signing rate alerts staff once."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import OutboxEvent
from petitions import services
from petitions.models import AddressFlag, Petition, PetitionPolicy, Reminder, Signature
from petitions.selectors import petition_counts, petition_total
from tests.conftest import PASSWORD, error_of
from workflows.models import AuditEntry

from .conftest import last_confirm_token

pytestmark = pytest.mark.django_db

HALL = "203.0.113.50"  # the village hall's one public address


@pytest.fixture
def hall_petition(open_petition):
    """An open petition under the shipped per-address limits (the shared fixture raises them)."""
    names = ("ip_limit", "ip_review_limit", "ip_window_seconds")
    defaults = {name: PetitionPolicy._meta.get_field(name).default for name in names}
    PetitionPolicy.objects.filter(organisation=open_petition.organisation).update(**defaults)
    Petition.objects.filter(pk=open_petition.pk).update(council_threshold=10_000, response_threshold=10_000)
    return Petition.objects.get(pk=open_petition.pk)


def sign_over_api(api, petition, n: int, *, ip=HALL, email=None, village=None):
    body = {"name": f"ผู้ร่วมประชุม {n}", "email": email or f"villager{n}@mail{n % 3}.example", "village": village or n % 5 + 1,
            "consent": True}  # fmt: skip
    return api().post(f"/api/v1/petitions/{petition.pk}/signatures/", body, format="json", REMOTE_ADDR=ip)


def confirm_over_api(api, email: str):
    return api().post("/api/v1/signatures/confirm/", {"token": last_confirm_token(email)}, format="json")


def hall_meeting(api, petition, people: int = 60) -> list[str]:
    emails = []
    for n in range(people):
        response = sign_over_api(api, petition, n)
        assert response.status_code == 201, response.json()
        emails.append(f"villager{n}@mail{n % 3}.example")
    for email in emails:
        assert confirm_over_api(api, email).status_code == 200
    return emails


def test_sixty_people_signing_from_one_address_in_ten_minutes_all_count(api, hall_petition):
    hall_meeting(api, hall_petition)
    assert petition_total(hall_petition.pk) == 60
    assert set(Signature.objects.values_list("state", flat=True)) == {"confirmed"}
    assert Signature.objects.filter(created_at__gte=timezone.now() - dt.timedelta(minutes=10)).count() == 60
    flag = AddressFlag.objects.get()
    assert (flag.petition_id, flag.ip_hash, flag.state) == (hall_petition.pk, services.client_ip_hash(HALL), "open")
    entry = AuditEntry.objects.get(name="address_flagged")
    assert (entry.action, entry.record_id, entry.actor_id) == ("system", str(hall_petition.pk), None)


def test_a_quiet_address_is_not_flagged(api, hall_petition):
    for n in range(19):  # one short of the review limit
        assert sign_over_api(api, hall_petition, n).status_code == 201
    assert not AddressFlag.objects.exists()


def test_the_busy_address_appears_in_the_staff_queue_with_its_pattern(api, client, hall_petition, moderator, resident):
    hall_meeting(api, hall_petition, people=24)
    sign_over_api(api, hall_petition, 99, email="late@mail0.example")  # pending: never confirmed
    sign_over_api(api, hall_petition, 100, ip="198.51.100.9")  # another address, not flagged
    flag = AddressFlag.objects.get()

    client.login(email=moderator.email, password=PASSWORD)
    html = client.get("/petitions/moderation/addresses/").content.decode()
    assert f'data-flag="{flag.pk}"' in html and hall_petition.title in html
    assert "ลงชื่อจากที่อยู่นี้ 25 รายการ (ยืนยันแล้ว 24 รายการ รอยืนยันทางอีเมล 1 รายการ)" in html
    assert "mail0.example: 9" in html and "หมู่บ้าน" in html
    assert "มีที่อยู่รอการตรวจสอบ 1 รายการ" in client.get("/petitions/moderation/").content.decode()
    assert f'data-flag="{flag.pk}"' in client.get(f"/petitions/{hall_petition.pk}/signatures/").content.decode()

    (row,) = api(moderator).get("/api/v1/address-flags/").json()
    assert (row["id"], row["petition"], row["state"], row["ip_hash"]) == (flag.pk, hall_petition.pk, "open", flag.ip_hash)
    assert (row["signatures"], row["confirmed"], row["pending"], row["ended"]) == (25, 24, 1, 0)
    assert row["email_domains"][0] == {"domain": "mail0.example", "count": 9}
    assert sorted(v["village"] for v in row["villages"]) == [1, 2, 3, 4, 5]
    assert sum(m["count"] for m in row["per_minute"]) == 25 and row["span_seconds"] < 600
    assert api(moderator).get("/api/v1/address-flags/?state=cleared").json() == []
    assert error_of(api(moderator).get("/api/v1/address-flags/?state=bogus"))["code"] == "invalid"

    # Residents and anonymous callers see nothing of it.
    client.logout()
    client.login(email=resident.email, password=PASSWORD)
    assert client.get("/petitions/moderation/addresses/").status_code == 403
    assert api(resident).get("/api/v1/address-flags/").status_code == 403
    assert api().get("/api/v1/address-flags/").status_code == 401


def test_one_click_invalidation_lowers_the_count_and_is_audited(api, client, hall_petition, moderator):
    hall_meeting(api, hall_petition, people=30)
    sign_over_api(api, hall_petition, 200, ip="198.51.100.9")
    confirm_over_api(api, "villager200@mail2.example")
    assert petition_total(hall_petition.pk) == 31
    flag = AddressFlag.objects.get()

    client.login(email=moderator.email, password=PASSWORD)
    page = client.get("/petitions/moderation/addresses/").content.decode()
    assert f'data-testid="invalidate-{flag.pk}"' in page
    response = client.post(
        f"/petitions/moderation/addresses/{flag.pk}/invalidate/",
        {"reason": "มีการลงชื่อจำนวนมากจากที่อยู่เดียว เจ้าหน้าที่ตรวจสอบแล้วและยกเลิก", "next": "/petitions/moderation/addresses/"},
    )
    assert response.status_code == 302 and response["Location"] == "/petitions/moderation/addresses/"
    assert petition_total(hall_petition.pk) == 1 and petition_counts(hall_petition.pk).total == 1
    assert Signature.objects.filter(state="invalidated").count() == 30
    assert Signature.objects.get(email="villager200@mail2.example").state == "confirmed"
    flag.refresh_from_db()
    assert (flag.state, flag.reviewed_by_id, flag.since_review) == ("invalidated", moderator.pk, 0)
    entry = AuditEntry.objects.get(name="signatures_invalidated")
    assert (entry.actor_id, entry.action, entry.from_state, entry.to_state) == (moderator.pk, "moderation", "31", "1")
    assert entry.reason.startswith("มีการลงชื่อจำนวนมาก")
    page = client.get("/petitions/moderation/addresses/?state=invalidated").content.decode()
    assert "ยกเลิกการลงชื่อ 30 รายการ (ยืนยันแล้ว 30 รายการ) จำนวนผู้ลงชื่อจาก 31 เหลือ 1" in page
    assert f'data-flag="{flag.pk}"' in page and f'data-testid="invalidate-{flag.pk}"' not in page  # nothing left to invalidate
    assert client.post(f"/petitions/moderation/addresses/{flag.pk}/delete/").status_code == 404


def test_the_api_invalidates_a_flag_and_needs_a_reason(api, hall_petition, moderator, outsider):
    hall_meeting(api, hall_petition, people=21)
    flag = AddressFlag.objects.get()
    endpoint = f"/api/v1/address-flags/{flag.pk}/invalidate/"
    assert api(outsider).post(endpoint, {"reason": "x"}, format="json").status_code == 404  # another municipality
    assert api().post(endpoint, {"reason": "x"}, format="json").status_code == 401
    response = api(moderator).post(endpoint, {}, format="json")
    assert response.status_code == 400 and "reason" in error_of(response)["details"]
    assert petition_total(hall_petition.pk) == 21
    response = api(moderator).post(endpoint, {"reason": "บอท"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"invalidated": 21, "confirmed": 21, "count_before": 21, "count_after": 0, "signatures": 0}
    assert api(moderator).post("/api/v1/address-flags/999999/invalidate/", {"reason": "x"}, format="json").status_code == 404


def test_clearing_keeps_the_signatures_is_audited_and_the_flag_opens_again_when_busy_again(api, client, hall_petition, moderator):
    hall_meeting(api, hall_petition, people=25)
    flag = AddressFlag.objects.get()
    client.login(email=moderator.email, password=PASSWORD)
    response = client.post(f"/petitions/moderation/addresses/{flag.pk}/clear/", {"next": "/petitions/moderation/addresses/"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.state, flag.reviewed_by_id) == ("cleared", moderator.pk)
    assert petition_total(hall_petition.pk) == 25
    entry = AuditEntry.objects.get(name="address_flag_cleared")
    assert (entry.actor_id, entry.from_state, entry.to_state) == (moderator.pk, "25", "25")
    assert 'data-testid="no-flags"' in client.get("/petitions/moderation/addresses/").content.decode()
    # Clearing twice is a clear 409; the API says the same.
    response = api(moderator).post(f"/api/v1/address-flags/{flag.pk}/clear/", {}, format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "already_reviewed"
    # As many new signatures again as the review limit: back in the queue.
    for n in range(100, 119):
        sign_over_api(api, hall_petition, n)
    assert AddressFlag.objects.get().state == "cleared"
    sign_over_api(api, hall_petition, 119)
    flag.refresh_from_db()
    assert flag.state == "open" and flag.flagged_at > flag.reviewed_at


def test_the_api_clears_a_flag(api, hall_petition, moderator, resident):
    hall_meeting(api, hall_petition, people=20)
    flag = AddressFlag.objects.get()
    assert api(resident).post(f"/api/v1/address-flags/{flag.pk}/clear/", {}, format="json").status_code == 404
    response = api(moderator).post(f"/api/v1/address-flags/{flag.pk}/clear/", {"reason": "ประชุมประชาคมหมู่ 3"}, format="json")
    assert response.status_code == 200 and response.json() == {"id": flag.pk, "state": "cleared"}
    assert AuditEntry.objects.get(name="address_flag_cleared").reason == "ประชุมประชาคมหมู่ 3"


def test_only_clear_abuse_is_refused_and_what_came_before_still_counts(api, hall_petition):
    PetitionPolicy.objects.filter(organisation=hall_petition.organisation).update(ip_limit=25)
    hall_meeting(api, hall_petition, people=25)
    response = sign_over_api(api, hall_petition, 25)
    assert response.status_code == 429 and error_of(response)["details"] == {"retry_after_seconds": 3600, "scope": "ip"}
    assert petition_total(hall_petition.pk) == 25 and Signature.objects.count() == 25
    assert AddressFlag.objects.get().state == "open"  # and staff are asked to look


def test_the_shipped_limits_fit_a_meeting_hall():
    policy = PetitionPolicy()
    assert policy.ip_limit >= 60 and policy.ip_review_limit < 60 and policy.ip_window_seconds == 3600


# --- trending ------------------------------------------------------------------------------------
def backdate(petition, minutes_ago: list[float], now, tag="a"):
    """Signatures created at the given minutes before `now` (straight rows: only their times matter)."""
    for i, minutes in enumerate(minutes_ago):
        Signature.objects.create(
            petition=petition, name=f"ผู้ลงชื่อ {i}", email=f"{tag}{i}@example.org", village_number=1, salt=f"s{i}",
            consented_at=now, created_at=now - dt.timedelta(minutes=minutes),
        )  # fmt: skip


def test_a_jump_in_the_signing_rate_alerts_staff_once(hall_petition, make_user):
    now = timezone.now()
    backdate(hall_petition, [20 + i for i in range(12)] + [i * 0.1 for i in range(60)], now)  # 12 earlier, 60 in 6 minutes
    assert services.petitions_check(now=now)["trending"] == 1
    (alert,) = OutboxEvent.objects.filter(event="petition.trending")
    assert alert.audience == {"roles": ["moderator", "admin"]} and alert.organisation_id == hall_petition.organisation_id
    assert (alert.data["count"], alert.data["previous_hour"], alert.data["window_minutes"]) == (60, 12, 10)
    assert alert.data["url"] == f"/petitions/{hall_petition.pk}/signatures/"
    # Five minutes later (the next beat) the surge goes on: no second alert within the window.
    backdate(hall_petition, [-4 + i * 0.05 for i in range(20)], now, tag="b")
    assert services.petitions_check(now=now + dt.timedelta(minutes=5))["trending"] == 0
    assert OutboxEvent.objects.filter(event="petition.trending").count() == 1
    assert Reminder.objects.filter(petition=hall_petition, kind="trending").count() == 1


def test_a_steady_rate_or_a_small_burst_alerts_nobody(hall_petition):
    now = timezone.now()
    backdate(hall_petition, [i * 1.0 for i in range(70)], now)  # 70 spread evenly over 70 minutes
    assert services.petitions_check(now=now)["trending"] == 0
    PetitionPolicy.objects.filter(organisation=hall_petition.organisation).update(trend_min_signatures=500)
    Signature.objects.all().delete()
    backdate(hall_petition, [i * 0.1 for i in range(60)], now)  # a jump, but under the policy's minimum
    assert services.petitions_check(now=now)["trending"] == 0
    assert not OutboxEvent.objects.filter(event="petition.trending").exists()


def test_the_trending_alert_reads_in_thai(hall_petition, moderator):
    from notifications.channels import build_email
    from notifications.models import Delivery
    from notifications.relay import fan_out

    now = timezone.now()
    backdate(hall_petition, [i * 0.1 for i in range(60)], now)
    services.petitions_check(now=now)
    event = OutboxEvent.objects.get(event="petition.trending")
    fan_out(event)
    message = build_email(Delivery.objects.get(event=event, channel="email", user=moderator), event)
    assert message.subject == f"มีผู้ลงชื่อเพิ่มขึ้นอย่างรวดเร็ว: {hall_petition.title}"
    assert "มีผู้ลงชื่อ 60 รายการในช่วง 10 นาทีที่ผ่านมา" in message.body
    assert f"/petitions/{hall_petition.pk}/signatures/" in message.body


# --- signatures voided by the old rate limits -----------------------------------------------------
def test_the_migration_gives_voided_signatures_back_their_chance(api, hall_petition):
    import importlib

    from django.apps import apps

    restore_voided = importlib.import_module("petitions.migrations.0002_address_review").restore_voided
    for n in range(3):
        sign_over_api(api, hall_petition, n)
    Signature.objects.update(state="fraudulent", ended_at=timezone.now())
    sign_over_api(api, hall_petition, 0)  # this one signed again meanwhile: the old row stays as it was
    PetitionPolicy.objects.filter(organisation=hall_petition.organisation).update(ip_limit=20)
    restore_voided(apps, None)
    assert sorted(Signature.objects.values_list("state", flat=True)) == ["fraudulent", "pending", "pending", "pending"]
    assert AddressFlag.objects.get().state == "open"
    assert PetitionPolicy.objects.get(organisation=hall_petition.organisation).ip_limit == 300
    assert confirm_over_api(api, "villager1@mail1.example").status_code == 200  # the mailed link works again
    assert petition_total(hall_petition.pk) == 1
