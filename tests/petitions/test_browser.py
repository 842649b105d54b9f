"""The whole path in Chromium: a resident creates a petition, sponsors back it through the
sponsor link, a moderator opens it, people sign and confirm from their emails, the thresholds are
reached, staff respond and the clerk records the council's decision. The public page shows each
step. The confirmation links are read from the outbox events (signature.confirm_requested data,
the same data the mail relay renders), so the test does not depend on a mail worker."""

import re

import pytest
from django.core.cache import cache

from accounts.models import Role
from notifications.models import OutboxEvent
from petitions.models import Petition, PetitionPolicy
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(org, make_user):
    PetitionPolicy.objects.create(organisation=org, sponsors_required=2, response_threshold=2, council_threshold=3, ip_limit=1000)
    return {
        "author": make_user(Role.RESIDENT, org=org, email="author@example.com", full_name="สมชาย ใจดี"),
        "sponsors": [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(2)],
        "moderator": make_user(Role.MODERATOR, org=org, email="mod@example.com"),
        "clerk": make_user(Role.CLERK, org=org, email="clerk@example.com"),
    }


def new_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="th-TH", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def public_state(public, petition_id):
    public.goto(f"/petitions/{petition_id}/")
    article = public.get_by_test_id("petition")
    return article.get_attribute("data-state"), article.get_attribute("data-response-state")


def test_it_drives_a_petition_from_draft_to_the_council_decision(page, browser, live_server, people):
    # 1. The resident writes a draft and asks for sponsors.
    sign_in(page, "author@example.com")
    page.goto("/petitions/new/")
    page.locator("input[name=kind][value=general]").check()
    page.fill("#id_title", "ขอติดตั้งไฟส่องสว่างถนนหมู่ที่ 3")
    page.fill("#id_body", "ถนนมืด ขอไฟส่องสว่าง 20 ต้น")
    page.get_by_test_id("create-submit").click()
    page.get_by_test_id("request-sponsors").click()
    sponsor_link = page.get_by_test_id("sponsor-link").input_value()
    petition = Petition.objects.get()
    assert petition.state == "collecting_sponsors" and f"/petitions/{petition.pk}/sponsor/" in sponsor_link
    public = new_page(browser, live_server)
    assert public.goto(f"/petitions/{petition.pk}/").status == 404  # not public before moderation

    # 2. Two sponsors open the link, sign in and sponsor.
    for sponsor in people["sponsors"]:
        other = new_page(browser, live_server)
        other.goto(sponsor_link)
        other.get_by_test_id("sponsor-login").click()
        other.fill("#id_username", sponsor.email)
        other.fill("#id_password", PASSWORD)
        other.locator("main form button[type=submit]").click()
        other.get_by_test_id("sponsor-button").click()
        other.get_by_test_id("sponsor-done").wait_for()
        other.context.close()
    assert Petition.objects.get().state == "awaiting_moderation"

    # 3. The moderator opens it from the queue.
    moderator = new_page(browser, live_server)
    sign_in(moderator, "mod@example.com")
    moderator.goto("/petitions/moderation/")
    moderator.get_by_test_id(f"open-{petition.pk}").click()
    assert public_state(public, petition.pk) == ("open", "not_required")
    assert "ลงชื่อสนับสนุนข้อเสนอนี้" in public.content()

    # 4. Three people sign on the page and confirm from their emails.
    for n in range(3):
        public.goto(f"/petitions/{petition.pk}/")
        public.fill("#id_name", f"ผู้ลงชื่อ {n}")
        public.fill("#id_email", f"signer{n}@example.org")
        public.select_option("#id_village", str(n + 1))
        public.check("#id_consent")
        public.get_by_test_id("sign-submit").click()
        public.get_by_test_id("sign-done").wait_for()
        mail = OutboxEvent.objects.filter(event="signature.confirm_requested").order_by("-id").first()
        assert mail.audience["emails"][0]["email"] == f"signer{n}@example.org"
        public.goto(mail.data["confirm_url"])  # opening the link confirms nothing by itself
        public.get_by_test_id("confirm-button").click()
        public.get_by_test_id("confirm-done").wait_for()
        if n == 1:
            assert public_state(public, petition.pk) == ("open", "awaiting_response")
    cache.clear()  # the page may show counts up to five seconds old
    public.goto(f"/petitions/{petition.pk}/")
    assert re.search(r"3", public.get_by_test_id("signature-count").inner_text())
    public.get_by_test_id("council-threshold-reached").wait_for()
    assert public.get_by_test_id("signature-chart").count() == 1
    assert "หมู่ที่ 3" in public.get_by_test_id("village-counts").inner_text()

    # 5. Staff publish the response.
    moderator.goto(f"/petitions/{petition.pk}/")
    moderator.fill("#id_text", "เทศบาลจะติดตั้งไฟ 20 ต้นในปีงบประมาณ 2570")
    moderator.get_by_test_id("act-respond").click()
    assert public_state(public, petition.pk) == ("open", "responded")
    assert "ปีงบประมาณ 2570" in public.get_by_test_id("response").inner_text()

    # 6. The clerk sends it to the council and records the decision.
    clerk = new_page(browser, live_server)
    sign_in(clerk, "clerk@example.com")
    clerk.goto(f"/petitions/{petition.pk}/")
    clerk.get_by_test_id("act-submit").click()
    assert public_state(public, petition.pk)[0] == "submitted"
    clerk.get_by_test_id("act-consider").click()
    assert public_state(public, petition.pk)[0] == "under_consideration"
    clerk.select_option("#id_decision", "adopted")
    clerk.fill("#id_summary", "สภาเทศบาลมีมติเห็นชอบ")
    clerk.fill("#id_meeting", "สมัยสามัญที่ 4")
    clerk.get_by_test_id("act-decide").click()
    assert public_state(public, petition.pk) == ("decided", "responded")
    assert "สภาเทศบาลมีมติเห็นชอบ" in public.get_by_test_id("outcome").inner_text()
    assert public.locator("[aria-current=step]").count() >= 1  # the lifecycle diagram marks where it is
    for p in (moderator, clerk, public):
        p.context.close()
