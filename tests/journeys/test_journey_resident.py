"""A resident on a phone (390×844) finds an open petition, registers from it, confirms the address
by the link in the mail the real worker sent, comes back to the petition signed in, signs it in
one step, then votes in a consultation and comments there: through the pages only."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role, User
from consultations import services as consultations
from consultations.models import Ballot, Comment
from petitions.models import PetitionPolicy, Signature, SignatureState
from tests.consultations.conftest import force_state, schedule_for
from tests.petitions.conftest import make_petition

from .conftest import JOURNEY, PHONE, link_in, mails_to, screenshot

pytestmark = JOURNEY

EMAIL = "malee@example.com"
PASSPHRASE = "a-long-enough-passphrase-42"


@pytest.fixture
def world(org, make_user, moderator, clerk):
    PetitionPolicy.objects.create(organisation=org, sponsors_required=2, response_threshold=3, council_threshold=5, ip_limit=1000)
    author = make_user(Role.RESIDENT, org=org, email="author@example.com", full_name="สมชาย ใจดี")
    sponsors = [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(2)]
    petition = make_petition(org, author, state="open", sponsors=sponsors, moderator=moderator, title="ขอไฟส่องสว่างถนนหมู่ที่ 3")
    c = consultations.consultation_create(
        organisation=org, actor=clerk, level="consult", title="ปรับปรุงตลาดสดเทศบาล", summary="เลือกแนวทางปรับปรุงตลาดสด"
    )
    consultations.consultation_schedule_set(consultation=c, actor=clerk, stages=schedule_for("consult"))
    c = force_state(c, "alternatives")
    consultations.alternative_create(consultation=c, actor=clerk, title="ปูพื้นกันลื่นและติดไฟ LED")
    consultations.alternative_create(consultation=c, actor=clerk, title="ขยายลานจอดรถด้านหลังตลาด")
    c = force_state(c, "deliberation")
    return {"petition": petition, "consultation": c}


def test_a_resident_registers_confirms_signs_votes_and_comments_on_a_phone(browse, mail, world):
    petition, consultation = world["petition"], world["consultation"]
    page = browse(PHONE)
    try:
        _journey(page, mail, petition, consultation)
    except Exception:
        screenshot(page, "resident")
        raise


def _journey(page, mail, petition, consultation):
    # 1. From the home page to the petition.
    page.goto("/")
    page.locator("header.site").get_by_role("link", name="การเข้าชื่อเสนอเรื่อง").click()
    page.get_by_role("link", name="ขอไฟส่องสว่างถนนหมู่ที่ 3").click()
    page.wait_for_url(re.compile(rf"/petitions/{petition.pk}/$"))

    # 2. Register from there: the header's sign-in link, then "register", keep where they came from.
    page.locator("header.site").get_by_role("link", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.get_by_role("link", name="ลงทะเบียนเป็นประชาชนผู้ใช้งาน").click()
    page.wait_for_url(re.compile(r"/accounts/register/"))
    page.get_by_label("ชื่อ–นามสกุล").fill("มาลี ศรีสุข")
    page.get_by_label("อีเมล", exact=True).fill(EMAIL)
    page.get_by_label("รหัสผ่าน", exact=True).fill(PASSPHRASE)
    page.get_by_label("รหัสผ่านอีกครั้ง").fill(PASSPHRASE)
    page.get_by_label("หมู่บ้านของคุณ (หมู่ที่) ถ้าต้องการระบุ").select_option(label="เทศบาลตำบลบ้านซ่อง: หมู่ที่ 3 บ้าน 3")
    page.get_by_role("button", name="ลงทะเบียน").click()
    page.wait_for_url(re.compile(r"/accounts/register/sent/$"))
    expect(page.locator("main")).to_contain_text(EMAIL)

    # 3. The mail, sent by the worker over SMTP, carries the link; the page it opens has the button.
    (message,) = mails_to(mail, EMAIL)
    url = link_in(message, "/accounts/confirm/")
    assert url.startswith(page.url.split("/accounts/")[0])  # a link to this site
    page.goto(url)
    page.get_by_test_id("confirm-email").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    expect(page.locator("main")).to_contain_text("อีเมลของคุณได้รับการยืนยันแล้ว")
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", PASSPHRASE)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/petitions/{petition.pk}/$"))  # back on the petition they started from
    user = User.objects.get(email=EMAIL)
    assert user.email_confirmed_at is not None

    # 4. Signed in with a confirmed email: one step, no second mail, and the page says so.
    expect(page.get_by_test_id("member-sign")).to_be_visible()
    sign_box = page.get_by_test_id("sign-form")
    expect(sign_box.locator("#id_village")).to_have_value("3")  # the village given at registration
    consent = sign_box.locator("input[name=consent]")
    consent.check()
    page.get_by_test_id("sign-submit").click()
    expect(page.get_by_test_id("you-signed")).to_contain_text("คุณลงชื่อในคำร้องนี้แล้ว")
    signature = Signature.objects.get(petition=petition, email=EMAIL)
    assert signature.state == SignatureState.CONFIRMED and signature.user_id == user.pk
    assert len(mail.to(EMAIL)) == 1  # no confirmation mail for a member's signature

    # 5. A consultation: from the list to its page, vote (htmx, the ballot is swapped in place).
    page.locator("header.site").get_by_role("link", name="การรับฟังความคิดเห็น").click()
    page.get_by_role("link", name="ปรับปรุงตลาดสดเทศบาล").click()
    page.wait_for_url(re.compile(rf"/consultations/{consultation.pk}/$"))
    ballot = page.get_by_test_id("ballot-form")
    ballot.get_by_label("ขยายลานจอดรถด้านหลังตลาด").check()
    ballot.get_by_test_id("vote").click()
    expect(page.get_by_test_id("voted")).to_be_visible()
    (cast,) = Ballot.objects.filter(consultation=consultation, voter=user)
    assert [c.alternative.title for c in cast.choices.select_related("alternative")] == ["ขยายลานจอดรถด้านหลังตลาด"]

    # 6. Comment in the discussion; the page shows it.
    comments = page.locator("#comments")
    comments.get_by_text("แสดงความคิดเห็น", exact=True).click()
    comments.get_by_label("ความคิดเห็นของคุณ").fill("ที่จอดรถไม่พอจริง ๆ ช่วงเช้าวันเสาร์")
    comments.get_by_role("button", name="ส่งความคิดเห็น").click()
    expect(page.locator("#comments").get_by_test_id("comment").filter(has_text="ที่จอดรถไม่พอจริง ๆ")).to_be_visible()
    assert Comment.objects.filter(consultation=consultation, author=user).count() == 1
