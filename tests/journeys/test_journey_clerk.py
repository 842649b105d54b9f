"""A clerk on a desktop, from their desk: records and publishes a consultation's decision (the
adopted alternative, the rationale, the council resolution, an answer to every alternative and
supported problem), then takes a petition that reached the council threshold to the council and
records the council's outcome. The public pages show both; through the pages only."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from consultations import services as consultations
from consultations.models import Consultation, Decision
from petitions.models import Petition, PetitionPolicy
from tests.consultations.conftest import force_state, schedule_for
from tests.petitions.conftest import make_petition, sign_and_confirm

from .conftest import DESKTOP, JOURNEY, PHONE, screenshot, sign_in

pytestmark = JOURNEY


@pytest.fixture
def world(org, make_user, moderator, clerk):
    PetitionPolicy.objects.create(organisation=org, sponsors_required=2, response_threshold=3, council_threshold=3, ip_limit=1000)
    author = make_user(Role.RESIDENT, org=org, email="author@example.com", full_name="สมชาย ใจดี")
    sponsors = [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(2)]
    petition = make_petition(org, author, state="open", sponsors=sponsors, moderator=moderator, title="ขอไฟส่องสว่างถนนหมู่ที่ 3")
    for n in range(3):
        sign_and_confirm(petition, n)
    Petition.objects.filter(pk=petition.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))  # signing has ended

    residents = [make_user(Role.RESIDENT, org=org, full_name=f"ชาวบ้าน {i}") for i in range(3)]
    c = consultations.consultation_create(organisation=org, actor=clerk, level="involve", title="ปรับปรุงตลาดสดเทศบาล")
    consultations.consultation_schedule_set(consultation=c, actor=clerk, stages=schedule_for("involve"))
    c = force_state(c, "problem_identification")
    problem = consultations.problem_submit(consultation=c, actor=residents[0], title="ทางเดินในตลาดลื่นและมืด")
    consultations.problem_support(problem=problem, actor=residents[1])
    c = force_state(c, "alternatives")
    floor = consultations.alternative_create(consultation=c, actor=clerk, title="ปูพื้นกันลื่นและติดไฟ LED", problem_ids=[problem.pk])
    parking = consultations.alternative_create(consultation=c, actor=clerk, title="ขยายลานจอดรถด้านหลังตลาด")
    c = force_state(c, "deliberation")
    for person, choice in ((residents[0], floor), (residents[1], floor), (residents[2], parking)):
        consultations.ballot_cast(consultation=c, actor=person, alternative_ids=[choice.pk])
    c = force_state(c, "deciding")
    return {"petition": petition, "consultation": c, "problem": problem, "floor": floor, "parking": parking}


def test_a_clerk_records_a_consultation_decision_and_a_council_outcome(browse, mail, world, clerk):
    page = browse(DESKTOP)
    try:
        _journey(browse, page, world)
    except Exception:
        screenshot(page, "clerk")
        raise


def _journey(browse, page, world):
    petition, c = world["petition"], world["consultation"]
    page.goto("/")
    sign_in(page, "clerk@example.com")
    page.get_by_test_id("desk-link").click()
    items = page.get_by_test_id("desk-item")
    expect(items.filter(has_text="ปรับปรุงตลาดสดเทศบาล")).to_have_count(1)
    expect(items.filter(has_text="ขอไฟส่องสว่างถนนหมู่ที่ 3")).to_have_count(1)

    # 1. The consultation's decision, from the desk's "decision due".
    items.filter(has_text="ปรับปรุงตลาดสดเทศบาล").get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/consultations/{c.pk}/decision/$"))
    form = page.get_by_test_id("decision-form")
    expect(page.locator("main")).to_contain_text("ปูพื้นกันลื่นและติดไฟ LED 2")  # the votes, before deciding
    form.get_by_role("checkbox", name="ปูพื้นกันลื่นและติดไฟ LED").check()
    form.get_by_label("เหตุผล", exact=True).fill("ได้รับเสียงสนับสนุนมากที่สุดและแก้ปัญหาที่ประชาชนเสนอ")
    form.get_by_label("อ้างอิงมติสภา").fill("มติสภาเทศบาล ครั้งที่ 3/2569")
    form.locator(f"#alt_{world['floor'].pk}").fill("ดำเนินการในปีงบประมาณ 2570")
    form.locator(f"#alt_{world['parking'].pk}").fill("ยังไม่ดำเนินการ พื้นที่ไม่พอ")
    form.locator(f"#prob_{world['problem'].pk}").fill("แก้ด้วยการปูพื้นกันลื่นและติดไฟ")
    form.get_by_test_id("save-decision").click()
    page.wait_for_url(re.compile(rf"/consultations/{c.pk}/#staff$"))
    assert Decision.objects.filter(consultation=c).exists()
    page.get_by_test_id("move-decide").get_by_role("button").click()
    page.wait_for_load_state()
    assert Consultation.objects.get(pk=c.pk).state == "decided"
    public = browse(PHONE)
    public.goto(f"/consultations/{c.pk}/")
    decision = public.get_by_test_id("decision")
    expect(decision).to_contain_text("มติสภาเทศบาล ครั้งที่ 3/2569")
    expect(decision).to_contain_text("ปูพื้นกันลื่นและติดไฟ LED")
    public.get_by_test_id("record-link").click()
    expect(public.locator("main")).to_contain_text("ยังไม่ดำเนินการ พื้นที่ไม่พอ")  # you said, we did

    # 2. The petition: to the council, under consideration, the council's outcome.
    page.get_by_test_id("desk-link").click()
    expect(page.get_by_test_id("desk-item").filter(has_text="ปรับปรุงตลาดสดเทศบาล")).to_have_count(0)
    page.get_by_test_id("desk-item").filter(has_text="ขอไฟส่องสว่างถนนหมู่ที่ 3").get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/petitions/{petition.pk}/$"))
    page.get_by_test_id("act-submit").click()
    expect(page.get_by_test_id("act-consider")).to_be_visible()
    assert Petition.objects.get(pk=petition.pk).state == "submitted"
    page.get_by_test_id("act-consider").click()
    outcome = page.get_by_test_id("outcome-form")
    outcome.locator("#id_decision").select_option("adopted")
    outcome.locator("#id_summary").fill("สภาเทศบาลมีมติเห็นชอบให้ติดตั้งไฟ 20 ต้น")
    outcome.locator("#id_meeting").fill("สมัยสามัญที่ 4/2569")
    page.get_by_test_id("act-decide").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("สภาเทศบาลมีมติเห็นชอบให้ติดตั้งไฟ 20 ต้น")
    assert Petition.objects.get(pk=petition.pk).state == "decided"
    public.goto(f"/petitions/{petition.pk}/")
    expect(public.get_by_test_id("outcome")).to_contain_text("สมัยสามัญที่ 4/2569")
    page.get_by_test_id("desk-link").click()
    expect(page.get_by_test_id("desk-item").filter(has_text="ขอไฟส่องสว่างถนนหมู่ที่ 3")).to_have_count(0)
