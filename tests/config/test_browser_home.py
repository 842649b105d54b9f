"""One real browser (Debian's Chromium, headless) reads the home page in Thai, switches to English,
and finds the basics of accessible markup."""

import re

import pytest
from django.utils import timezone

from accounts import thai

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_reads_in_thai_then_switches_to_english(page, org):
    today = timezone.localdate()
    page.goto("/")

    assert page.locator("html").get_attribute("lang") == "th"
    assert page.locator("h1").count() == 1
    assert page.locator("h1").inner_text() == "ร่วมคิด ร่วมตัดสินใจ กับเทศบาลของท่าน"
    date = page.get_by_test_id("today").inner_text()
    assert date == thai.format_date(today, "th")
    assert date.endswith(str(today.year + 543))
    assert page.get_by_test_id("org-name").inner_text() == "เทศบาลตำบลบ้านซ่อง"

    # Accessibility basics: the first Tab lands on the skip link, which leads to <main>.
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert focused == ["skip", "#main"]
    assert page.locator("a.skip").inner_text() == "ข้ามไปยังเนื้อหา"
    assert page.locator("main#main").count() == 1
    labels = page.locator("nav").evaluate_all("navs => navs.map(n => n.getAttribute('aria-label'))")
    assert labels and all(labels), labels
    assert page.locator("img:not([alt])").count() == 0

    page.get_by_test_id("lang-en").click()
    page.wait_for_url(re.compile(r"/$"))
    page.locator("html[lang=en]").wait_for()
    assert page.locator("h1").inner_text() == "Take part in your municipality's decisions"
    date = page.get_by_test_id("today").inner_text()
    assert date == thai.format_date(today, "en")
    assert date.endswith(str(today.year))
    assert page.get_by_test_id("org-name").inner_text() == "Ban Song Subdistrict Municipality"
    assert page.locator("a.skip").inner_text() == "Skip to content"

    page.get_by_test_id("lang-th").click()
    page.locator("html[lang=th]").wait_for()
    assert page.locator("h1").inner_text() == "ร่วมคิด ร่วมตัดสินใจ กับเทศบาลของท่าน"
