"""Demo consultations for the Thai demo municipality (called by `manage.py seed_demo`).

Modelled on เทศบาลตำบลบ้านซ่อง's participation-measures page: the local development plan
hearing of 2565 at the collaborate level, an information-only activity, both in October 2564
as on the page's activity calendar, and one consultation open now. Everything is created
through the services and the engine, so the audit trail and the participation record are real.
Past consultations are replayed at the dates they happened (the clock is set for each step).

Idempotent: does nothing if the organisation already has consultations.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from workflows.attachments import attachment_add
from workflows.services import transition

from . import meetings, services
from .models import Consultation, Level, State

BANGKOK = ZoneInfo("Asia/Bangkok")


def _d(year_be: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year_be - 543, month, day, hour, tzinfo=BANGKOK)


@contextmanager
def _at(moment: dt.datetime):
    """Replay a step at the date it happened (demo history only)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _move(c, name, actor, at, reason=""):
    with _at(at):
        return transition(Consultation.objects.get(pk=c.pk), name, actor=actor, reason=reason)


def seed(org, users: dict) -> None:
    if Consultation.objects.filter(organisation=org).exists():
        return
    residents = users.get("residents") or []
    staff, clerk = users.get("moderator") or users.get("admin"), users.get("clerk") or users.get("admin")
    if not residents or staff is None or clerk is None:
        return
    with transaction.atomic():
        _development_plan(org, residents, staff, clerk)
        _information_activity(org, staff)
        _open_now(org, residents, staff)


def _development_plan(org, residents, staff, clerk):
    """แผนพัฒนาท้องถิ่น: collaborate level, October 2564, decided and being implemented."""
    r = residents + residents[:1] * (5 - len(residents)) if len(residents) < 5 else residents
    with _at(_d(2564, 9, 25)):
        c = services.consultation_create(
            organisation=org,
            actor=staff,
            level=Level.COLLABORATE,
            title="ประชาคมจัดทำแผนพัฒนาท้องถิ่น (พ.ศ. 2566–2570) เพิ่มเติม ครั้งที่ 1/2565",
            summary="เปิดให้ประชาชนทุกหมู่บ้านร่วมระบุปัญหา เสนอทางเลือก และลงคะแนนจัดลำดับโครงการในแผนพัฒนาท้องถิ่น",
            body="การมีส่วนร่วมในการสร้างความร่วมมือ: ผู้รับบริการและผู้มีส่วนได้ส่วนเสียมีบทบาทในการตัดสินใจ ตั้งแต่ระบุปัญหา พัฒนาทางเลือก และแนวทางแก้ไข",
            channels="ประชุมประชาคมหมู่บ้าน ณ ศาลาประชาคมหมู่ที่ 2\nกล่องรับความคิดเห็น สำนักงานเทศบาลตำบลบ้านซ่อง",
        )
        services.consultation_schedule_set(
            consultation=c,
            actor=staff,
            stages={
                State.INFORMING: (_d(2564, 10, 1), _d(2564, 10, 4)),
                State.PROBLEM_IDENTIFICATION: (_d(2564, 10, 4), _d(2564, 10, 9)),
                State.ALTERNATIVES: (_d(2564, 10, 9), _d(2564, 10, 13)),
                State.DELIBERATION: (_d(2564, 10, 13), _d(2564, 10, 20)),
            },
        )
        services.document_add(
            consultation=c,
            actor=staff,
            title="ร่างแผนพัฒนาท้องถิ่น (พ.ศ. 2566–2570)",
            text="สรุปยุทธศาสตร์การพัฒนา 5 ด้าน: โครงสร้างพื้นฐาน เศรษฐกิจ สังคม สิ่งแวดล้อม และการบริหารจัดการ",
        )
    _move(c, "publish", staff, _d(2564, 10, 1))
    _move(c, "open_problem_identification", staff, _d(2564, 10, 4))
    with _at(_d(2564, 10, 5)):
        road = services.problem_submit(
            consultation=c, actor=r[0], title="ถนนลูกรังหมู่ที่ 2 เป็นหลุมบ่อ น้ำท่วมขังหน้าฝน", body="รถจักรยานยนต์ล้มบ่อยช่วงฝนตก"
        )
        water = services.problem_submit(consultation=c, actor=r[1], title="น้ำประปาหมู่บ้านไหลอ่อน ไม่พอใช้")
        dup = services.problem_submit(consultation=c, actor=r[2], title="ถนนหมู่ 2 ชำรุด")
        light = services.problem_submit(consultation=c, actor=r[3], title="ไฟส่องสว่างทางหลวงท้องถิ่นไม่เพียงพอ")
        for resident in r[1:5]:
            services.problem_support(problem=road, actor=resident)
        for resident in r[2:4]:
            services.problem_support(problem=water, actor=resident)
        services.problem_support(problem=light, actor=r[4])
        services.problem_merge(problem=dup, into=road, actor=staff, reason="เรื่องเดียวกับถนนลูกรังหมู่ที่ 2")
        services.comment_post(consultation=c, actor=r[4], problem_id=road.pk, body="เห็นด้วย ควรทำก่อนฤดูฝนปีหน้า")
    _move(c, "open_alternatives", staff, _d(2564, 10, 9))
    with _at(_d(2564, 10, 10)):
        concrete = services.alternative_create(
            consultation=c, actor=staff, title="ก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ 2 ยาว 800 เมตร", problem_ids=[road.pk]
        )
        tower = services.alternative_create(
            consultation=c, actor=staff, title="ขยายเขตประปาและก่อสร้างหอถังสูง หมู่ที่ 4", problem_ids=[water.pk]
        )
        solar = services.alternative_create(
            consultation=c, actor=r[3], title="ติดตั้งไฟส่องสว่างพลังงานแสงอาทิตย์ 40 จุด", body="ค่าไฟต่ำ ดูแลง่าย", problem_ids=[light.pk]
        )
    _move(c, "open_deliberation", staff, _d(2564, 10, 13))
    with _at(_d(2564, 10, 16)):
        votes = [concrete, concrete, tower, solar, concrete]
        for resident, alt in zip(r[:5], votes, strict=False):
            services.ballot_cast(consultation=c, actor=resident, alternative_ids=[alt.pk])
    with _at(_d(2564, 10, 18, 18)):  # the village meeting of หมู่ที่ 2 voted by a show of hands
        meetings.village_meeting_record(
            consultation=c, actor=staff, held_on=_d(2564, 10, 17).date(), place="ศาลาประชาคม หมู่ที่ 2 บ้านหนองแสง",
            village_number=2, method="hands", attendance=46, counts={concrete.pk: 31, tower.pk: 6, solar.pk: 9},
            minutes=ContentFile(
                "บันทึกการประชุมประชาคมหมู่บ้าน หมู่ที่ 2 วันที่ 17 ตุลาคม 2564 ผู้เข้าร่วม 46 คน".encode(),
                name="minutes-moo2-2564-10-17.txt",
            ),
        )  # fmt: skip
    _move(c, "open_deciding", staff, _d(2564, 10, 20))
    with _at(_d(2564, 10, 27)):
        services.decision_record(
            consultation=c,
            actor=clerk,
            chosen_ids=[concrete.pk, solar.pk],
            rationale="สภาเทศบาลมีมติบรรจุโครงการถนนคอนกรีตหมู่ที่ 2 (คะแนนสูงสุด) และไฟส่องสว่างพลังงานแสงอาทิตย์ที่ประชาชนเสนอ "
            "ไว้ในแผนปี 2566 ส่วนการขยายเขตประปาจะประสานการประปาส่วนภูมิภาคก่อน",
            council_resolution="มติสภาเทศบาล สมัยสามัญ สมัยที่ 4/2564 ครั้งที่ 1 วันที่ 27 ตุลาคม 2564",
            alternative_answers={
                concrete.pk: "บรรจุในแผนพัฒนาท้องถิ่น ปี 2566 งบประมาณ 2.4 ล้านบาท",
                tower.pk: "ยังไม่บรรจุ: ประสานการประปาส่วนภูมิภาคสาขาพนมสารคามเพื่อขยายเขตก่อน",
                solar.pk: "บรรจุในแผนปี 2566 ตามที่ประชาชนเสนอ ลดค่าไฟฟ้าสาธารณะ",
            },
            problem_answers={
                road.pk: "แก้ด้วยโครงการถนนคอนกรีตเสริมเหล็ก หมู่ที่ 2",
                water.pk: "ส่งเรื่องให้การประปาส่วนภูมิภาค และติดตามผลในประชาคมครั้งถัดไป",
                light.pk: "แก้ด้วยโครงการไฟส่องสว่างพลังงานแสงอาทิตย์",
            },
        )
    _move(c, "decide", clerk, _d(2564, 10, 28))
    _move(c, "start_implementation", staff, _d(2564, 11, 1))
    with _at(_d(2565, 3, 15)):
        services.progress_update_post(
            consultation=c,
            actor=staff,
            percent_complete=40,
            body="ประกาศจัดซื้อจัดจ้างถนนคอนกรีตหมู่ที่ 2 แล้ว ติดตั้งไฟพลังงานแสงอาทิตย์ 16 จาก 40 จุด",
        )


def _information_activity(org, staff):
    """การมีส่วนร่วมในการให้ข้อมูลข่าวสาร: results of fiscal year 2564, information only."""
    with _at(_d(2564, 10, 10)):
        c = services.consultation_create(
            organisation=org,
            actor=staff,
            level=Level.INFORM,
            title="เผยแพร่รายงานผลการดำเนินงานประจำปีงบประมาณ พ.ศ. 2564",
            summary="เทศบาลตำบลบ้านซ่องรายงานผลการดำเนินงานและการใช้จ่ายงบประมาณให้ประชาชนทราบ",
            channels="บอร์ดประชาสัมพันธ์ สำนักงานเทศบาล\nหอกระจายข่าวทุกหมู่บ้าน",
        )
        services.consultation_schedule_set(
            consultation=c, actor=staff, stages={State.INFORMING: (_d(2564, 10, 16), _d(2564, 10, 31, 16))}
        )
        services.document_add(
            consultation=c,
            actor=staff,
            title="รายงานผลการดำเนินงาน ปีงบประมาณ 2564",
            text="ดำเนินโครงการตามแผน 42 โครงการ จาก 48 โครงการ (ร้อยละ 87.5)",
        )
    _move(c, "publish", staff, _d(2564, 10, 16))
    _move(c, "close", staff, _d(2564, 10, 31, 16))


def _open_now(org, residents, staff):
    """A consultation open now (involve level): residents can raise and support problems."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    with _at(now - dt.timedelta(days=7)):
        c = services.consultation_create(
            organisation=org,
            actor=staff,
            level=Level.INVOLVE,
            title="ปรับปรุงสวนสาธารณะและลานกีฬาชุมชน หมู่ที่ 5",
            summary="เทศบาลจะปรับปรุงสวนสาธารณะหมู่ที่ 5 ช่วยกันบอกว่าปัญหาและความต้องการของชุมชนคืออะไร",
            channels="ประชุมประชาคม ณ ลานกีฬาหมู่ที่ 5",
        )
        services.consultation_schedule_set(
            consultation=c,
            actor=staff,
            stages={
                State.INFORMING: (now - dt.timedelta(days=6), now - dt.timedelta(days=1)),
                State.PROBLEM_IDENTIFICATION: (now - dt.timedelta(days=1), now + dt.timedelta(days=9)),
                State.DELIBERATION: (now + dt.timedelta(days=9), now + dt.timedelta(days=20)),
            },
        )
        services.alternative_create(consultation=c, actor=staff, title="ลานกีฬาอเนกประสงค์พร้อมไฟส่องสว่าง")
        services.alternative_create(consultation=c, actor=staff, title="สวนหย่อมและลานออกกำลังกายผู้สูงอายุ")
        # Files attached while it is a draft: publishing binds their hashes into the audit chain.
        attachment_add(record=c, actor=staff, upload=_park_plan_pdf(), title="ผังสวนสาธารณะหมู่ที่ 5 (ร่าง)")
        attachment_add(
            record=c, actor=staff, upload=_park_site_png(), title="ภาพผังบริเวณสวนสาธารณะ",
            alt_text="ผังบริเวณสวนสาธารณะหมู่ที่ 5: สนามหญ้าตรงกลาง ลานกีฬาด้านซ้าย ทางเดินรอบสวน",
        )  # fmt: skip
    _move(c, "publish", staff, now - dt.timedelta(days=6))
    _move(c, "open_problem_identification", None, now - dt.timedelta(days=1))
    with _at(now - dt.timedelta(hours=12)):
        p = services.problem_submit(consultation=c, actor=residents[0], title="ไม่มีที่ออกกำลังกายสำหรับผู้สูงอายุ")
        for resident in residents[1:3]:
            services.problem_support(problem=p, actor=resident)


def _park_plan_pdf():
    """A small generated PDF (fpdf2): the draft park plan the municipality publishes with the hearing."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(text="Ban Song Subdistrict Municipality", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=12)
    for line in (
        "Village 5 public park and community sports ground: draft plan",
        "Area: 3 rai. Budget: 1,200,000 baht (fiscal year 2569).",
        "1. Multi-purpose sports court with lighting",
        "2. Garden and exercise area for older residents",
        "3. Walking path around the park",
    ):
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    return SimpleUploadedFile("park-plan.pdf", bytes(pdf.output()), content_type="application/pdf")


def _park_site_png():
    """A small generated site plan image (Pillow)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), (230, 240, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 620, 380), outline=(120, 110, 90), width=14)  # walking path
    draw.rectangle((60, 60, 260, 340), fill=(200, 120, 60))  # sports court
    draw.ellipse((320, 90, 580, 310), fill=(110, 180, 90))  # lawn
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("park-site.png", out.getvalue(), content_type="image/png")
