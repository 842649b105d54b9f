"""In Chromium, in Thai: a resident presses "Link LINE" on the notification settings page, passes
through a local LINE Login (real HTTP) and comes back linked. The page's Content-Security-Policy
must let the form's answer redirect to LINE (form-action), or Chromium stops at the first hop."""

import re

import pytest

from notifications.models import Channel, ChannelAddress
from tests.conftest import PASSWORD

from .test_line_link import LINKED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_links_line_in_the_browser(page, live_server, settings, make_user, line_login):
    settings.LINE_LOGIN_REDIRECT_URI = live_server.url + "/notifications/line/callback/"
    # What config/settings.py gives with LINE_LOGIN_CHANNEL_ID set (tests/config/test_settings.py),
    # for the local LINE Login's origin.
    settings.CONTENT_SECURITY_POLICY = settings.CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {line_login.base_url}"
    )
    user = make_user(email="somsri@example.com")
    page.goto("/accounts/login/?next=/notifications/preferences/")
    page.get_by_label("อีเมล").fill("somsri@example.com")
    page.get_by_label("รหัสผ่าน").fill(PASSWORD)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/notifications/preferences/$"))

    page.get_by_test_id("line-link").click()
    page.wait_for_url(re.compile(r"/notifications/preferences/$"))
    page.get_by_test_id("line-linked").wait_for()
    main = page.locator("main").inner_text()
    assert "เชื่อมบัญชี LINE แล้ว เลือกด้านล่างว่าจะรับข้อความใดทาง LINE" in main and "U…4444" in main
    assert ChannelAddress.objects.get(user=user, channel=Channel.LINE).address == LINKED
    assert len(line_login.authorize_queries) == 1

    page.get_by_test_id("line-unlink").click()
    page.wait_for_url(re.compile(r"/notifications/preferences/$"))
    assert "ยกเลิกการเชื่อม LINE แล้ว" in page.locator("main").inner_text()
    assert not ChannelAddress.objects.filter(user=user).exists()
