"""A moderator on a desktop works their desk through the pages: told in the inbox that a petition
waits, they open it for signing from the desk; a resident's report on a comment (filed on the
public page, with a reason and a note) reaches the desk, where the moderator reads it where the
comment stands and dismisses it (the comment stays); then hides another comment, which the public
no longer sees and whose author is told why."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from consultations import services as consultations
from consultations.models import Comment, Report, Visibility
from notifications.models import Notification
from petitions.models import Petition, PetitionPolicy
from tests.consultations.conftest import force_state, schedule_for
from tests.petitions.conftest import make_petition

from .conftest import DESKTOP, JOURNEY, PHONE, screenshot, sign_in, wait_until

pytestmark = JOURNEY


@pytest.fixture
def world(org, make_user, moderator, clerk):
    PetitionPolicy.objects.create(organisation=org, sponsors_required=2, response_threshold=3, council_threshold=5, ip_limit=1000)
    author = make_user(Role.RESIDENT, org=org, email="author@example.com", full_name="สมชาย ใจดี")
    sponsors = [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(2)]
    petition = make_petition(org, author, state="awaiting_moderation", sponsors=sponsors, title="ขอซ่อมถนนลูกรังหมู่ที่ 2")
    c = consultations.consultation_create(organisation=org, actor=clerk, level="consult", title="ปรับปรุงตลาดสดเทศบาล")
    consultations.consultation_schedule_set(consultation=c, actor=clerk, stages=schedule_for("consult"))
    c = force_state(c, "deliberation")
    writer = make_user(Role.RESIDENT, org=org, email="writer@example.com", full_name="ประยูร ขยัน")
    rude = make_user(Role.RESIDENT, org=org, email="rude@example.com", full_name="คนพาล")
    kept = consultations.comment_post(consultation=c, actor=writer, body="ตลาดควรเปิดเช้ากว่านี้")
    hidden = consultations.comment_post(consultation=c, actor=rude, body="ซื้อเสียงกันทั้งนั้น โทร 081-234-5678")
    reporter = make_user(Role.RESIDENT, org=org, email="reporter@example.com", full_name="มาลี ศรีสุข")
    return {"petition": petition, "consultation": c, "kept": kept, "hidden": hidden, "reporter": reporter, "author": author}


def test_a_moderator_works_the_desk(browse, mail, world, moderator):
    page = browse(DESKTOP)
    try:
        _journey(browse, page, world)
    except Exception:
        screenshot(page, "moderator")
        raise


def _journey(browse, page, world):
    petition, c, kept, hidden = world["petition"], world["consultation"], world["kept"], world["hidden"]

    # 0. A resident reports a comment on the public page, with a reason and a note.
    resident = browse(PHONE)
    resident.goto(f"/consultations/{c.pk}/")
    sign_in(resident, world["reporter"].email)
    comment = resident.locator(f"#comment-{kept.pk}")
    comment.locator("details.report summary").click()
    comment.get_by_label("เพราะอะไร").select_option(index=1)
    comment.get_by_label("หมายเหตุ (ไม่บังคับ)").fill("ไม่เกี่ยวกับเรื่องที่รับฟัง")
    comment.get_by_role("button", name="ส่งรายงาน").click()
    expect(resident.locator("#messages")).to_contain_text("ขอบคุณ")
    (report,) = Report.objects.filter(kind="comment", object_id=kept.pk)

    # 1. The moderator signs in and is told: the inbox names the petition waiting for them.
    page.goto("/")
    sign_in(page, "moderator@example.com")
    assert wait_until(lambda: Notification.objects.filter(event="petition.awaiting_moderation").exists(), 30)
    page.locator("header.site").get_by_role("link", name="กล่องข้อความ").click()
    expect(page.get_by_test_id("inbox")).to_contain_text("ขอซ่อมถนนลูกรังหมู่ที่ 2")

    # 2. The desk lists what waits, oldest first; the petition opens from there.
    page.get_by_test_id("desk-link").click()
    items = page.get_by_test_id("desk-item")
    expect(items.filter(has_text="ขอซ่อมถนนลูกรังหมู่ที่ 2")).to_have_count(1)
    expect(items.filter(has_text="ตลาดควรเปิดเช้ากว่านี้")).to_have_count(1)
    items.filter(has_text="ขอซ่อมถนนลูกรังหมู่ที่ 2").get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/petitions/{petition.pk}/$"))
    page.get_by_test_id("act-open").click()
    page.wait_for_load_state()
    assert Petition.objects.get(pk=petition.pk).state == "open"
    public = browse(PHONE)
    public.goto(f"/petitions/{petition.pk}/")
    expect(public.get_by_test_id("sign-form")).to_be_visible()

    # 3. Back on the desk: the reported comment, read where it stands, the report dismissed.
    page.get_by_test_id("desk-link").click()
    expect(page.get_by_test_id("desk-item").filter(has_text="ขอซ่อมถนนลูกรังหมู่ที่ 2")).to_have_count(0)
    page.get_by_test_id("desk-item").filter(has_text="ตลาดควรเปิดเช้ากว่านี้").get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/consultations/{c.pk}/#comment-{kept.pk}$"))
    moderate = page.get_by_test_id(f"moderate-comment-{kept.pk}")
    expect(moderate.get_by_test_id("reports")).to_contain_text("ไม่เกี่ยวกับเรื่องที่รับฟัง")  # the reporter's note
    moderate.get_by_test_id(f"dismiss-comment-{kept.pk}").click()
    expect(page.locator("#messages")).to_contain_text("ข้อความยังแสดงอยู่")
    report.refresh_from_db()
    assert report.resolved_at is not None
    assert Comment.objects.get(pk=kept.pk).visibility == Visibility.PUBLISHED
    page.get_by_test_id("desk-link").click()
    expect(page.get_by_test_id("desk-item").filter(has_text="ตลาดควรเปิดเช้ากว่านี้")).to_have_count(0)

    # 4. Hide a comment from the public page, with a reason the author is told.
    page.goto(f"/consultations/{c.pk}/")
    moderate = page.get_by_test_id(f"moderate-comment-{hidden.pk}")
    moderate.get_by_text("ซ่อนจากสาธารณะ").click()
    moderate.get_by_label("รหัสเหตุผล").select_option(index=1)
    moderate.get_by_label("เหตุผล (แจ้งผู้เขียน)").fill("มีข้อมูลส่วนบุคคล (เบอร์โทรศัพท์)")
    moderate.get_by_test_id(f"hide-comment-{hidden.pk}").click()
    expect(page.locator("#messages")).to_contain_text("แจ้งผู้เขียนแล้ว")
    assert Comment.objects.get(pk=hidden.pk).visibility != Visibility.PUBLISHED
    public.goto(f"/consultations/{c.pk}/")
    expect(public.locator("#comments")).to_contain_text("ตลาดควรเปิดเช้ากว่านี้")
    expect(public.locator("#comments")).not_to_contain_text("081-234-5678")
    assert wait_until(lambda: Notification.objects.filter(user__email="rude@example.com").exists(), 30)
