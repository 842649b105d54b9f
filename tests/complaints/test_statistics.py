"""Public statistics: counts by category, village and fiscal year and the days to resolve, on a
page with bars, in the API and as CSV (open data); never a filer, a text or a contact."""

import datetime as dt

import pytest
from django.utils import timezone

from complaints.models import Category, Complaint
from workflows.services import transition


@pytest.fixture
def history(make_complaint, moderator, works, org, setup):
    v1, v2 = org.villages.get(number=1), org.villages.get(number=2)
    light = Category.objects.get(organisation=setup, code="light")
    a = make_complaint(village=v1, name="นายลับ", email="secret@example.com", body="ข้อความลับมาก")
    for c in (a,):
        c = transition(c, "assign", actor=moderator, payload={"division": works.pk})
        transition(c, "resolve", actor=moderator, reason="ซ่อมแล้ว")
    b = make_complaint(village=v2, category=light)
    transition(b, "reject", actor=moderator, reason="ซ้ำ")
    make_complaint(village=v2, category=light)
    old = make_complaint()
    # Filed in fiscal year 2567 (October 2023 – September 2024), resolved in four days.
    filed = timezone.make_aware(dt.datetime(2023, 11, 1, 9, 0))
    Complaint.objects.filter(pk=old.pk).update(
        created_at=filed, state="resolved", closed_at=filed + dt.timedelta(days=4), due_at=filed + dt.timedelta(days=15)
    )
    Complaint.objects.filter(pk=a.pk).update(closed_at=a.created_at + dt.timedelta(days=2))
    return a


def test_the_api_counts_by_category_village_and_fiscal_year(api, history):
    body = api().get("/api/v1/complaints/statistics/").json()
    assert body["total"]["received"] == 4
    by_cat = {b["category"]: b for b in body["by_category"]}
    assert (by_cat["road"]["received"], by_cat["road"]["resolved"], by_cat["road"]["median_days"]) == (2, 2, 3.0)
    assert (by_cat["light"]["received"], by_cat["light"]["rejected"], by_cat["light"]["open"]) == (2, 1, 1)
    assert by_cat["road"]["on_time_percent"] == 100
    by_village = {b["village"]: b["received"] for b in body["by_village"]}
    assert by_village == {"หมู่ที่ 1 บ้าน 1": 1, "หมู่ที่ 2 บ้าน 2": 2, "ไม่ระบุ": 1}
    years = {b["fiscal_year"]: b["received"] for b in body["by_fiscal_year"]}
    assert years[2567] == 1 and sum(years.values()) == 4


def test_a_fiscal_year_narrows_the_counts(api, history):
    body = api().get("/api/v1/complaints/statistics/", {"fiscal_year": 2567}).json()
    assert body["total"]["received"] == 1 and body["total"]["median_days"] == 4.0
    assert api().get("/api/v1/complaints/statistics/", {"fiscal_year": "2025x"}).status_code == 400


def test_the_page_shows_bars_and_never_the_filer(client, history):
    page = client.get("/complaints/statistics/").content.decode()
    assert 'data-testid="by-category"' in page and 'class="bar"' in page and "ปีงบประมาณ" in page
    for private in ("นายลับ", "secret@example.com", "ข้อความลับมาก", history.tracking_code):
        assert private not in page


def test_the_csv_holds_the_same_numbers(client, api, history):
    response = client.get("/complaints/statistics.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert "category,road,ถนน ทางเท้า สะพาน,2,0,2,0,3.0,100" in text.replace("\r", "")
    for private in ("นายลับ", "secret@example.com", "ข้อความลับมาก"):
        assert private not in text
    assert api().get("/api/v1/complaints/statistics.csv").content == response.content


def test_the_api_root_links_the_statistics(api, db):
    assert api().get("/api/v1/").json()["complaint_statistics"].endswith("/api/v1/complaints/statistics/")
