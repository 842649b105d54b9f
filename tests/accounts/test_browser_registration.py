"""A resident registers in a real browser, opens the emailed link, confirms with the button, signs in."""

import re

import pytest

from accounts.models import User
from notifications.models import OutboxEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_registers_confirms_and_signs_in(page, org):
    page.goto("/accounts/register/")
    assert page.locator("h1").inner_text() == "ลงทะเบียนเป็นประชาชนผู้ใช้งาน"
    page.get_by_label("ชื่อ–นามสกุล").fill("สมหญิง รักดี")
    page.get_by_label("อีเมล", exact=True).fill("somying@example.com")
    page.get_by_label("รหัสผ่าน", exact=True).fill("a-long-enough-passphrase-42")
    page.get_by_label("รหัสผ่านอีกครั้ง").fill("a-long-enough-passphrase-42")
    page.get_by_label("หมู่บ้านของคุณ (หมู่ที่) ถ้าต้องการระบุ").select_option(label="เทศบาลตำบลบ้านซ่อง: หมู่ที่ 2 บ้าน 2")
    page.get_by_role("button", name="ลงทะเบียน").click()
    page.wait_for_url(re.compile(r"/accounts/register/sent/$"))
    assert "somying@example.com" in page.locator("main").inner_text()

    url = OutboxEvent.objects.get(event="account.confirm_email").data["url"]
    page.goto(url)
    assert User.objects.get(email="somying@example.com").email_confirmed_at is None  # opening the link is not enough
    page.get_by_test_id("confirm-email").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert "อีเมลของคุณได้รับการยืนยันแล้ว" in page.locator("main").inner_text()
    assert User.objects.get(email="somying@example.com").email_confirmed_at is not None

    page.get_by_label("อีเมล").fill("somying@example.com")
    page.get_by_label("รหัสผ่าน").fill("a-long-enough-passphrase-42")
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("button", name=re.compile("ออกจากระบบ")).count() == 1
