"""Chromium (Debian's, headless) on a 390-pixel phone: the statistics page fits the screen and reads
its numbers as tables; the ITA report for the demo data opens, prints without the site's chrome and
links a PDF whose text is Thai."""

import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_statistics_fit_a_phone_and_each_chart_is_a_table(page, demo):
    page.goto("/statistics/")
    assert page.locator("h1").inner_text() == "สถิติการมีส่วนร่วม"
    assert fits_the_screen(page)
    for key in ("months", "years", "villages", "levels", "outcomes", "response_times"):
        chart = page.get_by_test_id(f"chart-{key}")
        assert chart.locator("table caption").count() == 1
        assert chart.locator("tbody th[scope=row]").count() >= 1
        bars = chart.locator(".od-bar")
        assert bars.count() >= 1 and bars.first.evaluate("b => b.closest('[aria-hidden=true]') !== null")
    villages = page.get_by_test_id("chart-villages")
    seventh = villages.locator("tr", has=page.locator("th", has_text="หมู่ที่ 7"))
    assert seventh.locator("td.num").first.inner_text() != "0"


def test_the_ita_report_opens_prints_and_downloads_a_thai_pdf(page, demo, live_server):
    page.goto("/open-data/")
    page.get_by_role("link", name="รายงานหลักฐาน ITA (การมีส่วนร่วม)").first.click()
    page.get_by_role("link", name="ปีงบประมาณ พ.ศ. 2565").click()
    assert page.get_by_test_id("ita-title").inner_text() == "กิจกรรมการมีส่วนร่วม ปีงบประมาณ พ.ศ. 2565"
    activities = page.get_by_test_id("activity")
    assert activities.count() == 2
    plan = activities.first
    for element in ("1. ประเด็นการมีส่วนร่วม", "2. ผู้มีส่วนร่วม", "3. ผลการมีส่วนร่วม", "4. การนำผลไปปรับปรุงการดำเนินงาน"):
        assert plan.locator("dt", has_text=element).count() == 1
    assert "มติสภาเทศบาล" in plan.inner_text() and "ความคืบหน้า" in plan.inner_text()
    assert fits_the_screen(page)
    page.emulate_media(media="print")
    assert page.locator("header.site").is_hidden() and page.get_by_test_id("ita-pdf").is_hidden()
    page.emulate_media(media="screen")
    response = page.request.get(page.get_by_test_id("ita-pdf").get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    for words in ("เทศบาลตำบลบ้านซ่อง", "ปีงบประมาณ พ.ศ. 2565", "น้ำประปาหมู่บ้านไหลอ่อน", "การนำผลไปปรับปรุงการดำเนินงาน"):
        assert words in text
