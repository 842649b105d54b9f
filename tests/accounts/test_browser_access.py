"""In Chromium, in Thai: a resident who forgot the password gets a new one from the mailed link; an
unconfirmed one follows the banner to ask for the confirmation link again. The links are read from
the outbox events (the data the mail relay renders)."""

import re

import pytest

from accounts.models import User
from notifications.models import OutboxEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW = "a-brand-new-passphrase-77"


def test_a_forgotten_password_is_replaced_from_the_mailed_link(page, make_user):
    make_user(email="somchai@example.com", full_name="สมชาย ใจดี")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="ลืมรหัสผ่าน?").click()
    page.get_by_label("อีเมล").fill("somchai@example.com")
    page.get_by_test_id("send-reset").click()
    page.wait_for_url(re.compile(r"/accounts/password/reset/sent/$"))
    assert "ลิงก์ใช้ได้ครั้งเดียว ภายใน 60 นาที" in page.locator("main").inner_text()

    page.goto(OutboxEvent.objects.get(event="account.password_reset").data["url"])
    page.wait_for_url(re.compile(r"/set-password/$"))
    page.get_by_label("รหัสผ่านใหม่", exact=True).fill("12345678")
    page.get_by_label("ยืนยันการตั้งรหัสผ่านใหม่").fill("12345678")
    page.get_by_test_id("set-password").click()
    assert "รหัสผ่านนี้เป็นตัวเลขล้วน" in page.locator("main").inner_text()
    page.get_by_label("รหัสผ่านใหม่", exact=True).fill(NEW)
    page.get_by_label("ยืนยันการตั้งรหัสผ่านใหม่").fill(NEW)
    page.get_by_test_id("set-password").click()
    page.wait_for_url(re.compile(r"/accounts/password/reset/done/$"))
    assert page.locator("h1").inner_text() == "บันทึกรหัสผ่านใหม่แล้ว"
    assert page.get_by_role("button", name=re.compile("ออกจากระบบ")).count() == 1
    assert User.objects.get(email="somchai@example.com").check_password(NEW)


def test_an_unconfirmed_resident_follows_the_banner_to_a_new_link(page, make_user):
    from tests.conftest import PASSWORD

    make_user(email="somsri@example.com", confirmed=False)
    page.goto("/accounts/login/")
    page.get_by_label("อีเมล").fill("somsri@example.com")
    page.get_by_label("รหัสผ่าน").fill(PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/$"))
    banner = page.get_by_test_id("unconfirmed-banner")
    assert "โปรดยืนยันอีเมล somsri@example.com ของคุณ" in banner.inner_text()
    banner.get_by_role("link", name="ส่งลิงก์ยืนยันอีกครั้ง").click()
    page.get_by_test_id("resend-confirmation").click()
    page.wait_for_url(re.compile(r"/accounts/confirm/again/$"))
    assert "เราได้ส่งลิงก์ใหม่ไปแล้ว" in page.locator("main").inner_text()
    assert OutboxEvent.objects.filter(event="account.confirm_email").count() == 1
