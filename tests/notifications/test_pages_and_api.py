"""Inbox, unread badge, settings, follow/unfollow: pages and API."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from notifications.models import Channel, Mode, Notification, Preference, Subscription
from tests.conftest import error_of


@pytest.fixture
def followable(settings, org):
    """Any real model will do for the follow machinery; the organisation is one every test has."""
    settings.NOTIFICATIONS_FOLLOWABLE = ["accounts.organisation"]
    return org


def note(user, title="เปิดให้ลงชื่อแล้ว: ซ่อมถนน", read=False):
    from django.utils import timezone

    return Notification.objects.create(user=user, event="petition.opened", title=title, url="/petitions/12/",
                                       read_at=timezone.now() if read else None)  # fmt: skip


def test_it_shows_the_inbox_in_thai_and_marks_read(client, resident, outsider):
    mine, _old = note(resident), note(resident, title="เก่า", read=True)
    theirs = note(outsider, title="ของคนอื่น")
    client.force_login(resident)
    page = client.get(reverse("notifications:inbox"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "กล่องข้อความ" in html and "เปิดให้ลงชื่อแล้ว: ซ่อมถนน" in html and "ของคนอื่น" not in html
    assert 'data-testid="unread-badge"' in html
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("notifications:read", args=[mine.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Trigger"] == "notifications-changed"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_it_serves_the_unread_badge_for_htmx(client, resident):
    note(resident)
    note(resident)
    client.force_login(resident)
    badge = client.get(reverse("notifications:badge")).content.decode()
    assert '<span class="badge"' in badge and ">2</span>" in badge
    client.post(reverse("notifications:read-all"))
    assert '<span class="badge"' not in client.get(reverse("notifications:badge")).content.decode()


def test_it_sends_visitors_to_sign_in(client):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_it_lists_and_marks_read_through_the_api(api, resident, outsider):
    mine = note(resident)
    theirs = note(outsider)
    body = api(resident).get(reverse("api:notification-list")).json()
    assert [n["id"] for n in body["results"]] == [mine.pk]
    assert body["results"][0]["unread"] is True and body["results"][0]["url"].startswith("http")
    assert api(resident).get(reverse("api:notification-unread-count")).json() == {"unread": 1}
    assert error_of(api(resident).post(reverse("api:notification-read", args=[theirs.pk])))["code"] == "not_found"
    response = api(resident).post(reverse("api:notification-read", args=[mine.pk]))
    assert response.status_code == 200 and response.json()["unread"] is False
    assert api(resident).get(reverse("api:notification-unread-count")).json() == {"unread": 0}
    assert error_of(api().get(reverse("api:notification-list")))["code"] == "not_authenticated"


def test_it_saves_preferences_on_the_page_and_through_the_api(client, api, resident):
    client.force_login(resident)
    assert "ตั้งค่าการแจ้งเตือน" in client.get(reverse("notifications:preferences")).content.decode()
    client.post(reverse("notifications:preferences"), {"email": "digest", "inapp": "off"})
    assert dict(Preference.objects.filter(user=resident).values_list("channel", "mode")) == {"email": "digest", "inapp": "off"}
    client.post(reverse("notifications:preferences"), {"inapp": "digest"})  # the inbox has no digest
    assert Preference.objects.get(user=resident, channel=Channel.INAPP).mode == Mode.OFF
    assert api(resident).put(reverse("api:notification-preferences"), {"email": "off"}, format="json").json() == {
        "email": "off", "inapp": "off", "line": "off", "sms": "off",  # LINE and SMS: off until chosen
    }  # fmt: skip
    bad = api(resident).put(reverse("api:notification-preferences"), {"email": "hourly"}, format="json")
    assert bad.status_code == 400 and "email" in error_of(bad)["details"]


def test_it_follows_and_unfollows_from_the_button(client, resident, followable):
    record = followable
    request = RequestFactory().get("/petitions/1/")
    request.user = resident
    template = Template('{% include "notifications/follow_button.html" with record=record %}')
    Subscription.objects.create(user=resident, record_type="accounts.organisation", record_id=str(record.pk), auto=True)
    with_auto = template.render(Context({"record": record, "user": resident, "request": request}))
    assert "กำลังติดตาม (เพราะคุณร่วมแสดงความคิดเห็น)" in with_auto and 'data-testid="unfollow"' in with_auto

    client.force_login(resident)
    url = reverse("notifications:unfollow", args=["accounts.organisation", record.pk])
    response = client.post(url, {"next": "/petitions/1/"})
    assert response.status_code == 302 and response["Location"] == "/petitions/1/"
    assert not Subscription.objects.exists()
    partial = client.post(
        reverse("notifications:follow", args=["accounts.organisation", record.pk]), headers={"HX-Request": "true"}
    )
    assert 'data-testid="unfollow"' in partial.content.decode() and "กำลังติดตาม" in partial.content.decode()
    assert Subscription.objects.get().auto is False
    settings_page = client.get(reverse("notifications:preferences")).content.decode()
    assert record.name in settings_page  # what I follow, by name
    assert client.post(reverse("notifications:follow", args=["accounts.user", resident.pk])).status_code == 404  # not followable
    assert client.post(reverse("notifications:follow", args=["accounts.organisation", 999999])).status_code == 404
    evil = client.post(url, {"next": "https://evil.example/"})
    assert evil["Location"] != "https://evil.example/"


def test_it_follows_and_unfollows_through_the_api(api, resident, followable):
    record = followable
    created = api(resident).post(
        reverse("api:subscription-list"), {"record_type": "accounts.organisation", "record_id": str(record.pk)}, format="json"
    )
    assert created.status_code == 201 and created.json()["auto"] is False
    again = api(resident).post(
        reverse("api:subscription-list"), {"record_type": "accounts.organisation", "record_id": str(record.pk)}, format="json"
    )
    assert again.status_code == 201 and Subscription.objects.count() == 1  # idempotent
    detail = reverse("api:subscription-detail", args=["accounts.organisation", record.pk])
    assert api(resident).get(detail).json()["following"] is True
    assert api(resident).delete(detail).status_code == 204
    assert api(resident).get(detail).json()["following"] is False
    bad = api(resident).post(reverse("api:subscription-list"), {"record_type": "accounts.user", "record_id": "1"}, format="json")
    assert bad.status_code == 400 and "record_type" in error_of(bad)["details"]
    missing = api(resident).put(reverse("api:subscription-detail", args=["accounts.organisation", 999999]))
    assert error_of(missing)["code"] == "not_found"
