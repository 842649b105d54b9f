"""In Chromium: a collaborate consultation from draft to closed with three residents and a clerk;
the public record shows each input and the answer to it. Stage moves use the staff controls
(early, with reasons) so the walk takes seconds, not weeks."""

import re

import pytest
from django.test import Client

from accounts.models import Role
from consultations import services

from .conftest import schedule_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def _move(page, name, reason=None):
    form = page.get_by_test_id(f"move-{name}")
    if reason is not None:
        form.locator("input[name=reason]").fill(reason)
    if form.locator("input[name=confirm]").count():  # publishing, cancelling: the person confirms
        form.locator("input[name=confirm]").check()
    form.get_by_role("button").click()
    page.wait_for_load_state()


def test_it_walks_a_collaborate_consultation_from_draft_to_closed(page, live_server, org, make_user):
    villages = list(org.villages.all())
    clerk = make_user(Role.CLERK, org=org, email="clerk@example.com", full_name="ปลัดสมศรี")
    r1, r2, r3 = (
        make_user(Role.RESIDENT, org=org, village=villages[i], full_name=name)
        for i, name in enumerate(["สมชาย", "สมหญิง", "ประยูร"])
    )
    c = services.consultation_create(organisation=org, actor=clerk, level="collaborate", title="แผนพัฒนาหมู่บ้าน 2566")
    services.consultation_schedule_set(consultation=c, actor=clerk, stages=schedule_for("collaborate"))
    detail = f"/consultations/{c.pk}/"

    _as(page, live_server, clerk)
    page.goto(detail)
    _move(page, "publish")
    _move(page, "open_problem_identification_early", "ชี้แจงครบแล้วในการประชุมประชาคม")
    assert page.get_by_test_id("consultation").get_attribute("data-state") == "problem_identification"

    for resident, title in ((r1, "ถนนลูกรังเป็นหลุม"), (r2, "ไฟส่องสว่างไม่พอ")):
        _as(page, live_server, resident)
        page.goto(detail)
        page.fill("#problem-title", title)
        page.get_by_test_id("problem-form").get_by_role("button").click()
        page.wait_for_load_state()
    _as(page, live_server, r3)
    page.goto(detail)
    problem = page.get_by_test_id("problem").filter(has_text="ถนนลูกรังเป็นหลุม")
    problem.get_by_test_id("support").click()  # htmx: the section is swapped in place
    page.get_by_test_id("problem").filter(has_text="ถนนลูกรังเป็นหลุม").get_by_test_id("unsupport").wait_for()
    assert "1" in page.get_by_test_id("problem").filter(has_text="ถนนลูกรังเป็นหลุม").get_by_test_id("supporters").inner_text()

    _as(page, live_server, clerk)
    page.goto(detail)
    _move(page, "open_alternatives_early", "รวบรวมปัญหาครบแล้ว")
    page.fill("#alt-title", "ลาดยางถนนหมู่ที่ 1")
    page.get_by_test_id("alternative-form").get_by_role("button").click()
    page.wait_for_load_state()

    _as(page, live_server, r1)
    page.goto(detail)
    page.fill("#alt-title", "ถนนคอนกรีตพร้อมรางระบายน้ำ")
    page.get_by_test_id("alternative-form").get_by_label("ถนนลูกรังเป็นหลุม").check()
    page.get_by_test_id("alternative-form").get_by_role("button").click()
    page.wait_for_load_state()

    _as(page, live_server, clerk)
    page.goto(detail)
    _move(page, "open_deliberation_early", "ทางเลือกครบแล้ว")

    for resident, choice in ((r1, "ถนนคอนกรีตพร้อมรางระบายน้ำ"), (r2, "ถนนคอนกรีตพร้อมรางระบายน้ำ"), (r3, "ลาดยางถนนหมู่ที่ 1")):
        _as(page, live_server, resident)
        page.goto(detail)
        page.get_by_test_id("ballot-form").get_by_label(choice).check()
        page.get_by_test_id("vote").click()
        page.get_by_test_id("voted").wait_for()
    page.get_by_test_id("ballot-form").get_by_label("ถนนคอนกรีตพร้อมรางระบายน้ำ").check()  # r3 changes their vote
    page.get_by_test_id("vote").click()
    page.wait_for_load_state()
    page.locator("#comments > details > summary").click()
    page.get_by_test_id("comment-body-c").fill("ขอให้ทำก่อนหน้าฝน")
    page.get_by_test_id("comment-submit-c").click()
    page.wait_for_load_state()

    _as(page, live_server, clerk)
    page.goto(detail)
    _move(page, "open_deciding_early", "ครบกำหนดประชุมสภา")
    assert page.get_by_test_id("results-chart").is_visible()
    page.get_by_test_id("decision-link").click()
    form = page.get_by_test_id("decision-form")
    form.get_by_label("ถนนคอนกรีตพร้อมรางระบายน้ำ").first.check()
    page.fill("#d-rationale", "ประชาชนเลือกและแก้ปัญหาน้ำท่วมขังได้")
    page.fill("#d-resolution", "มติสภาเทศบาล สมัยที่ 4/2565")
    answers = {
        "ลาดยางถนนหมู่ที่ 1": "ไม่เลือก: ไม่แก้ปัญหาน้ำขัง",
        "ถนนคอนกรีตพร้อมรางระบายน้ำ": "เลือก: บรรจุในแผนปี 2566",
        "ถนนลูกรังเป็นหลุม": "แก้ด้วยถนนคอนกรีต",
    }
    for label, answer in answers.items():
        form.locator("p", has=page.locator("label", has_text=label)).locator("textarea").fill(answer)
    page.get_by_test_id("save-decision").click()
    page.wait_for_load_state()
    _move(page, "decide")
    _move(page, "start_implementation")
    page.fill("#progress-body", "เริ่มก่อสร้างแล้ว")
    page.fill("#progress-pct", "20")
    page.get_by_test_id("progress-submit").click()
    page.wait_for_load_state()
    _move(page, "close", "")
    assert page.get_by_test_id("consultation").get_attribute("data-state") == "closed"

    page.context.clear_cookies()  # the public, without an account
    page.goto(detail)
    page.get_by_test_id("record-link").click()
    record = page.get_by_test_id("record")
    text = record.inner_text()
    assert re.search(r"3\s*คน", text) or "3" in page.get_by_test_id("participants").inner_text()
    rows = {
        row.locator("td").first.inner_text(): row.locator("td").last.inner_text() for row in page.get_by_test_id("input").all()
    }
    assert any("ถนนลูกรังเป็นหลุม" in k and "แก้ด้วยถนนคอนกรีต" in v for k, v in rows.items()), rows
    assert any("ลาดยางถนนหมู่ที่ 1" in k and "ไม่เลือก" in v for k, v in rows.items()), rows
    assert any("ถนนคอนกรีตพร้อมรางระบายน้ำ" in k and "บรรจุในแผนปี 2566" in v for k, v in rows.items()), rows
    assert any("ไฟส่องสว่างไม่พอ" in k for k in rows)  # unsupported: listed, no answer required
    assert "ครบกำหนดประชุมสภา" in text and "มติสภาเทศบาล สมัยที่ 4/2565" in text
