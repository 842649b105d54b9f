"""In Chromium on a phone-sized screen: a resident without an account files a complaint with a
photo, keeps the tracking code, and follows it while staff assign and resolve it on their pages."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.models import Role
from complaints.models import Complaint

from .conftest import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def test_a_resident_files_on_a_phone_and_follows_it_while_staff_resolve_it(page, live_server, setup, make_user, tmp_path):
    assert page.viewport_size["width"] <= 400  # the shared fixture's phone viewport
    photo = tmp_path / "road.jpg"
    photo.write_bytes(image_bytes(exif_gps=True))

    page.goto("/")
    page.get_by_role("link", name="ร้องเรียน").first.click()
    page.get_by_test_id("file-link").click()
    form = page.get_by_test_id("complaint-form")
    form.get_by_label("เรื่องเกี่ยวกับอะไร").select_option(label="ถนน ทางเท้า สะพาน")
    form.locator("#id_village").select_option(label="หมู่ที่ 3 บ้าน 3")
    form.locator("#id_title").fill("ถนนหน้าวัดเป็นหลุมลึก")
    form.get_by_label("รายละเอียด").fill("รถจักรยานยนต์ล้มสองคันแล้ว")
    form.get_by_label("รูปภาพ (ถ้ามี)").set_input_files(str(photo))
    form.get_by_label("อีเมล (ไม่บังคับ)").fill("nid@example.com")
    page.get_by_test_id("complaint-submit").click()
    page.get_by_test_id("tracking").wait_for()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert page.get_by_test_id("state").inner_text() == "ได้รับเรื่องแล้ว"
    c = Complaint.objects.get(tracking_code=code)
    assert c.photo and c.filer_email == "nid@example.com"
    # No horizontal scrolling on the phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    moderator = make_user(Role.MODERATOR, org=setup, email="staff@example.com")
    _as(page, live_server, moderator)
    page.goto("/complaints/staff/")
    page.get_by_test_id("queue-row").filter(has_text=code).get_by_role("link").click()
    page.get_by_test_id("photo").wait_for()
    # Polled from Playwright's side (wait_for_function evaluates in the page, which the CSP refuses).
    expect(page.get_by_test_id("photo")).to_have_js_property("complete", True)
    assert page.evaluate("document.querySelector('[data-testid=photo]').naturalWidth") == 64  # served to staff
    assert "nid@example.com" in page.get_by_test_id("filer").inner_text()
    assign = page.get_by_test_id("move-assign")
    assign.get_by_label("กอง").select_option(label="กองช่าง")
    assign.get_by_role("button").click()
    page.get_by_test_id("move-start").get_by_role("button").click()
    resolve = page.get_by_test_id("move-resolve")
    resolve.get_by_label("ผลการดำเนินการ (ผู้แจ้งจะเห็นข้อความนี้)").fill("ซ่อมผิวถนนและตีเส้นใหม่แล้ว")
    resolve.get_by_role("button").click()
    assert page.get_by_test_id("complaint").get_attribute("data-state") == "resolved"

    page.context.clear_cookies()  # the resident again, without an account: only the code
    page.goto("/complaints/")
    page.get_by_test_id("track-form").get_by_label("รหัสติดตามเรื่อง").fill(code.lower().replace("-", " "))
    page.get_by_test_id("track-form").get_by_role("button").click()
    tracking = page.get_by_test_id("tracking")
    assert tracking.get_attribute("data-state") == "resolved"
    steps = page.get_by_test_id("steps").inner_text()
    for text in ("ได้รับเรื่องแล้ว", "ส่งให้กองรับผิดชอบแล้ว", "กำลังดำเนินการ", "แก้ไขเสร็จแล้ว", "ซ่อมผิวถนนและตีเส้นใหม่แล้ว"):
        assert text in steps
    assert "nid@example.com" not in page.content()
