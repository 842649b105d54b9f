"""The home page: Thai by default with Buddhist-Era dates, English on request, the participation
measures of the demo municipality, and each app's optional summary."""

import datetime as dt
import types

import pytest
from django.conf import settings
from django.utils import timezone

from accounts import thai

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_it_reads_in_thai_by_default(client, org):
    org.address = "229 หมู่ที่ 2 ตำบลบ้านซ่อง"
    org.save(update_fields=["address"])
    html = html_of(client.get("/"))
    assert '<html lang="th">' in html
    assert "ร่วมคิด ร่วมตัดสินใจ กับเทศบาลของท่าน" in html
    assert "การมีส่วนร่วมในการสร้างความร่วมมือ" in html  # the fourth measure
    assert "Integrity and Transparency Assessment" in html  # ITA context
    assert thai.format_date(timezone.localdate(), "th") in html
    assert str(timezone.localdate().year + 543) in html
    assert "เทศบาลตำบลบ้านซ่อง" in html and "229 หมู่ที่ 2" in html
    assert "Skip to content" not in html


def test_it_switches_to_english_and_gregorian_dates(client, org):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = html_of(client.get("/"))
    assert '<html lang="en">' in html
    assert "Take part in your municipality's decisions" in html
    assert "Participation through collaboration" in html
    assert "Ban Song Subdistrict Municipality" in html
    today = timezone.localdate()
    assert f"{today.day} {thai.ENGLISH_MONTHS[today.month - 1]} {today.year}" in html


def test_it_renders_a_summary_of_stats_and_latest_items(client, monkeypatch):
    import consultations.selectors

    summary = {
        "stats": [{"label": "open now", "value": 7}],
        "latest": [{"title": "ถนนหมู่ที่ 4", "url": "/consultations/42/", "badge": "เปิดรับฟัง", "date": dt.date(2021, 10, 16)}],
    }
    monkeypatch.setattr(consultations.selectors, "home_summary", lambda user: summary, raising=False)
    html = html_of(client.get("/"))
    assert '<a href="/consultations/42/">ถนนหมู่ที่ 4</a>' in html
    assert "<strong>7</strong> <span>open now</span>" in html
    assert "16 ตุลาคม 2564" in html
    assert "ขณะนี้ยังไม่มีการรับฟังความคิดเห็นที่เปิดอยู่" not in html


def test_it_renders_open_petitions_with_their_counts(client, monkeypatch):
    import petitions.selectors

    petition = types.SimpleNamespace(title="ขอไฟฟ้าส่องสว่าง", get_absolute_url=lambda: "/petitions/9/")
    monkeypatch.setattr(petitions.selectors, "home_summary", lambda user: {"open": [(petition, 1234)]}, raising=False)
    html = html_of(client.get("/"))
    assert '<a href="/petitions/9/">ขอไฟฟ้าส่องสว่าง</a>' in html
    assert "1234 รายชื่อ" in html


def test_it_says_so_when_there_is_nothing_open(client, monkeypatch):
    import consultations.selectors
    import petitions.selectors

    monkeypatch.setattr(consultations.selectors, "home_summary", lambda user: {"stats": [], "latest": []}, raising=False)
    monkeypatch.setattr(petitions.selectors, "home_summary", lambda user: {"open": []}, raising=False)
    html = html_of(client.get("/"))
    assert "ขณะนี้ยังไม่มีการรับฟังความคิดเห็นที่เปิดอยู่" in html
    assert "ขณะนี้ยังไม่มีเรื่องที่เปิดให้เข้าชื่อ" in html


def test_an_app_without_selectors_is_left_out(client, monkeypatch):
    from config import views

    monkeypatch.setattr(views, "HOME_SUMMARIES", ("no_such_app", "accounts"))
    html_of(client.get("/"))


def test_the_500_page_needs_no_database(rf):
    from config import views

    response = views.handler500(rf.get("/somewhere/"))
    assert response.status_code == 500
    assert "เกิดข้อผิดพลาด" in response.content.decode()
    api = views.handler500(rf.get("/api/v1/x/"))
    assert api["Content-Type"] == "application/json"


def test_an_english_browser_still_gets_thai_pages_until_it_switches(client):
    html = html_of(client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert '<html lang="th">' in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en">' in html_of(client.get("/", HTTP_ACCEPT_LANGUAGE="th"))


def test_the_api_honours_accept_language(client):
    thai = client.get("/api/v1/no-such-thing/")
    english = client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert thai.json()["error"]["message"] == "ไม่พบข้อมูลที่ต้องการ"
    assert english.json()["error"]["message"] == "Not found."
