"""Signing limits an administrator sets (a short burst per address, and the existing per-address and
per-petition limits), never below the floors that let a village meeting on one Wi-Fi through;
every change audited with the values before and after."""

import time as real_time
from types import SimpleNamespace

import pytest

from petitions import controls, services
from petitions.models import AddressFlag, PetitionPolicy, Signature
from tests.conftest import PASSWORD, error_of
from workflows.errors import PermissionDenied, ValidationFailed
from workflows.models import AuditEntry


@pytest.fixture
def clock(monkeypatch):
    """The rate limits' fixed windows read services.time.time(): a clock the test moves."""
    now = {"t": 1_800_000_000.0}
    monkeypatch.setattr(services, "time", SimpleNamespace(time=lambda: now["t"], monotonic=real_time.monotonic))
    return now


def sign_api(api, petition, n, *, ip="203.0.113.7"):
    body = {"name": f"ผู้ร่วมประชุม {n}", "email": f"meeting{n}@example.org", "village": 1 + n % 5, "consent": True}
    return api().post(f"/api/v1/petitions/{petition.pk}/signatures/", body, format="json", REMOTE_ADDR=ip)


def test_the_floor_lets_a_village_meeting_through():
    assert [controls.limit_floor(w) for w in (1, 10, 60, 3600)] == [30, 30, 180, 200]


def test_the_admin_sets_limits_audited_with_before_and_after(org, policy, admin_user):
    services.signing_limits_set(
        organisation=org, actor=admin_user, values={"burst_limit": 45, "burst_window_seconds": 15}, reason="ทดลอง"
    )
    stored = PetitionPolicy.objects.get(organisation=org)
    assert (stored.burst_limit, stored.burst_window_seconds) == (45, 15)
    entry = AuditEntry.objects.filter(name="policy_changed").latest("id")
    assert entry.payload["before"] == {"burst_limit": 60, "burst_window_seconds": 10}
    assert entry.payload["after"] == {"burst_limit": 45, "burst_window_seconds": 15} and entry.reason == "ทดลอง"


def test_no_limit_goes_below_its_floor_and_nothing_changes(org, policy, admin_user, moderator):
    entries = AuditEntry.objects.count()
    for values in ({"burst_limit": 29}, {"ip_limit": 150}, {"petition_limit": 10}, {"burst_window_seconds": 25}):
        with pytest.raises(ValidationFailed) as caught:  # 75 is the floor of a 25 s window
            services.signing_limits_set(organisation=org, actor=admin_user, values=values)
        assert caught.value.code == "limit_below_floor", values
    for values in ({"burst_window_seconds": 0}, {"ip_window_seconds": 7200}, {"ip_review_limit": 0}, {"ip_limit": "300"}):
        with pytest.raises(ValidationFailed) as caught:
            services.signing_limits_set(organisation=org, actor=admin_user, values=values)
        assert caught.value.code == "invalid", values
    with pytest.raises(ValidationFailed):
        services.signing_limits_set(organisation=org, actor=admin_user, values={"council_threshold": 1})
    with pytest.raises(PermissionDenied):
        services.signing_limits_set(organisation=org, actor=moderator, values={"burst_limit": 100})
    assert AuditEntry.objects.count() == entries
    assert PetitionPolicy.objects.get(organisation=org).burst_limit == 60


def test_a_meeting_at_the_floor_signs_and_a_script_is_refused(api, org, policy, admin_user, open_petition, clock):
    services.signing_limits_set(organisation=org, actor=admin_user, values={"burst_limit": 30, "burst_window_seconds": 10})
    # A meeting: three a second for 20 seconds from the hall's one address. Every one is taken.
    for n in range(60):
        clock["t"] += 1 / 3
        assert sign_api(api, open_petition, n).status_code == 201, n
    # A script: 31 in one window. The 31st is refused; nothing signed before is touched.
    clock["t"] = (clock["t"] // 10 + 1) * 10
    answers = [sign_api(api, open_petition, 100 + n, ip="198.51.100.66").status_code for n in range(31)]
    assert answers[:30] == [201] * 30 and answers[30] == 429
    refused = sign_api(api, open_petition, 200, ip="198.51.100.66")
    assert error_of(refused)["details"] == {"retry_after_seconds": 10, "scope": "burst"}
    assert refused["Retry-After"] == "10"
    assert Signature.objects.filter(state="pending").count() == 90


def test_the_existing_per_address_review_limit_reads_the_same_settings(api, org, policy, admin_user, open_petition, clock):
    response = api(admin_user).patch(
        f"/api/v1/organisations/{org.slug}/signing-limits/", {"ip_review_limit": 2, "reason": "ตรวจเร็วขึ้น"}, format="json"
    )
    assert response.status_code == 200 and response.json()["limits"]["ip_review_limit"] == 2
    for n in range(2):
        sign_api(api, open_petition, n)
    assert AddressFlag.objects.get().petition_id == open_petition.pk


def test_the_api_shows_and_changes_limits_for_admins_only(api, org, policy, admin_user, moderator):
    url = f"/api/v1/organisations/{org.slug}/signing-limits/"
    body = api(admin_user).get(url).json()
    assert body["limits"]["burst_limit"] == 60 and body["limits"]["ip_limit"] == 1000
    assert body["floors"] == {"burst_limit": 30, "ip_limit": 200, "petition_limit": 180}
    assert body["windows"]["burst_window_seconds"] == {"min": 1, "max": 300}
    low = api(admin_user).patch(url, {"ip_limit": 100}, format="json")
    assert low.status_code == 400 and error_of(low)["code"] == "limit_below_floor" and "ip_limit" in error_of(low)["details"]
    ok = api(admin_user).patch(url, {"ip_limit": 250, "ip_window_seconds": 1800}, format="json")
    assert ok.status_code == 200 and ok.json()["limits"]["ip_limit"] == 250
    entry = AuditEntry.objects.filter(name="policy_changed").latest("id")
    assert entry.payload["before"] == {"ip_limit": 1000, "ip_window_seconds": 3600}
    assert api(moderator).get(url).status_code == 403
    assert api(moderator).patch(url, {"ip_limit": 900}, format="json").status_code == 403
    assert api(admin_user).patch(url, ["x"], format="json").status_code == 400


def test_the_admin_page_shows_the_floors_and_refuses_a_limit_below_one(client, org, policy, admin_user, moderator):
    url = f"/petitions/organisations/{org.slug}/signing-limits/"
    client.login(email=moderator.email, password=PASSWORD)
    assert client.get(url).status_code == 403
    client.logout()
    client.login(email=admin_user.email, password=PASSWORD)
    html = client.get(url).content.decode()
    assert 'data-testid="floor-burst_limit"' in html and "อย่างน้อย 30" in html
    form = {name: getattr(policy, name) for name in controls.SIGNING_LIMIT_FIELDS}
    low = client.post(url, form | {"burst_limit": 5})
    assert low.status_code == 400 and "ประชาคม" in low.content.decode()
    assert PetitionPolicy.objects.get(organisation=org).burst_limit == 60
    saved = client.post(url, form | {"burst_limit": 90, "reason": "งานวัด"})
    assert saved.status_code == 302 and PetitionPolicy.objects.get(organisation=org).burst_limit == 90
