"""Demo petitions for เทศบาลตำบลบ้านซ่อง, made through the services (called by `manage.py seed_demo`).

Idempotent: nothing happens if the organisation already has petitions. Signatures are signed
and confirmed like a person would; afterwards their confirmation times are spread over the
past days (and the hour buckets rebuilt from them) so the chart has a shape.
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from workflows.services import transition

from . import filing, paper, services, siglog
from .models import Petition, PetitionPolicy, Signature, SignatureTally

FIRST = ["สมชาย", "สมหญิง", "ประยูร", "วันเพ็ญ", "บุญมี", "มาลี", "สุรชัย", "อำไพ", "ทองใบ", "จันทร์เพ็ญ", "วิชัย", "ละเอียด"]
LAST = ["ใจดี", "รักถิ่น", "ทองดี", "ศรีสุข", "มั่นคง", "บุญเรือง", "แก้วมณี", "พรหมมา", "สายทอง", "ชัยมงคล"]

DEMO_POLICY = {
    "sponsors_required": 5,
    "signing_days": 90,
    "response_threshold": 50,
    "council_threshold": 120,
    "ordinance_threshold": 100,
}


def _national_id(n: int) -> str:
    base = f"{310060000000 + n:012d}"
    total = sum(int(base[i]) * (13 - i) for i in range(12))
    return base + str((11 - total % 11) % 10)


def _sign_many(petition: Petition, count: int, *, start: int, villages: list[int], rng: random.Random) -> None:
    existing = set(petition.organisation.villages.values_list("number", flat=True))
    villages = [v for v in villages if v in existing] or sorted(existing)
    for i in range(start, start + count):
        signature, _outcome = services.signature_sign(
            petition_id=petition.pk,
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            email=f"demo-signer-{i}@example.org",
            village_number=rng.choice(villages),
            consent=True,
            national_id=_national_id(i) if petition.is_ordinance else "",
        )
        services.signature_confirm(token=services.signature_token(signature))


def _spread_over(petition: Petition, days: int, rng: random.Random) -> None:
    """Demo only: move the confirmations back over `days` days and rebuild the hour buckets."""
    now = timezone.now()
    opened = now - dt.timedelta(days=days)
    Petition.objects.filter(pk=petition.pk).update(opened_at=opened, closes_at=opened + dt.timedelta(days=90))
    signatures = list(Signature.objects.filter(petition=petition, state="confirmed").order_by("id"))
    span = days * 24 * 3600
    moments = sorted(opened + dt.timedelta(seconds=span * (rng.random() ** 0.6)) for _ in signatures)
    buckets: dict[str, int] = {}
    for signature, moment in zip(signatures, moments, strict=True):
        Signature.objects.filter(pk=signature.pk).update(created_at=moment, confirmed_at=moment, consented_at=moment)
        key = "h" + moment.astimezone(dt.UTC).strftime("%Y%m%d%H")
        buckets[key] = buckets.get(key, 0) + 1
    SignatureTally.objects.filter(petition=petition, bucket__startswith="h").delete()
    SignatureTally.objects.bulk_create(
        [SignatureTally(petition=petition, bucket=key, shard=0, count=n) for key, n in buckets.items()]
    )


def _paper_sheet(petition: Petition, first, second, villages: list[int], rng: random.Random) -> None:
    """Demo: a paper sheet from the village meeting, entered twice (double entry: moderator then
    clerk); one line read differently by the two is left for staff to settle. The draft, a
    representative and the council regulation the filing needs (petitions.filing)."""
    sheet_day = timezone.localdate() - dt.timedelta(days=1)
    scan = ContentFile(b"%PDF-1.4\n% demo scan of a paper signature sheet\n", name="sheet-1.pdf")
    paper.paper_sheet_add(petition=petition, actor=first, number=1, scan=scan)
    for line in range(1, 9):
        reading = {
            "line": line, "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "village": rng.choice(villages),
            "national_id": _national_id(5000 + line), "signed_on": sheet_day.isoformat(),
        }  # fmt: skip
        paper.paper_entry_record(petition=petition, actor=first, sheet_number=1, **reading)
        if line == 8:  # the second reader saw another village on the last line
            reading["village"] = next((v for v in villages if v != reading["village"]), reading["village"])
        paper.paper_entry_record(petition=petition, actor=second, sheet_number=1, **reading)
    filing.ordinance_details_set(
        petition=Petition.objects.get(pk=petition.pk), actor=second,
        draft_ordinance="ร่างเทศบัญญัติเทศบาลตำบลบ้านซ่อง เรื่อง การจัดการสิ่งปฏิกูลและมูลฝอย พ.ศ. ....\n"
        "ข้อ 1 ให้ครัวเรือนและร้านค้าคัดแยกมูลฝอยอินทรีย์ มูลฝอยรีไซเคิล และมูลฝอยทั่วไปก่อนนำออกทิ้ง\n"
        "ข้อ 2 ให้เทศบาลเก็บขนมูลฝอยอินทรีย์อย่างน้อยสัปดาห์ละ 2 ครั้ง\n"
        "ข้อ 3 อัตราค่าธรรมเนียมเก็บขนมูลฝอยให้เป็นไปตามบัญชีท้ายเทศบัญญัตินี้",
        collection_regulation="ระเบียบสภาเทศบาลตำบลบ้านซ่อง ว่าด้วยการเข้าชื่อเสนอข้อบัญญัติท้องถิ่น (ตัวอย่าง)",
    )  # fmt: skip
    filing.representative_add(
        petition=petition, actor=second, name="นายประยูร รักถิ่น", village_number=villages[0],
        declaration="ข้าพเจ้าขอรับรองว่าเป็นผู้แทนของผู้เข้าชื่อเสนอร่างเทศบัญญัตินี้ และจะชี้แจงต่อสภาเทศบาลตามที่กฎหมายกำหนด",
        declared_on=sheet_day,
    )  # fmt: skip


def _through_sponsors(petition: Petition, author, sponsors) -> Petition:
    services.petition_request_sponsors(petition=petition, actor=author)
    for sponsor in sponsors:
        petition.refresh_from_db()
        if petition.state != "collecting_sponsors":
            break
        services.sponsor_add(petition_id=petition.pk, user=sponsor, token=petition.sponsor_token)
    return Petition.objects.get(pk=petition.pk)


def seed(org, users: dict) -> None:
    if Petition.objects.filter(organisation=org).exists():
        return
    PetitionPolicy.objects.get_or_create(organisation=org, defaults=DEMO_POLICY)
    residents = list(users.get("residents") or [users["resident"]])
    author, others = residents[0], residents[1:]
    moderator, clerk = users["moderator"], users.get("clerk") or users["admin"]
    rng = random.Random(2567)
    villages = list(org.villages.values_list("number", flat=True)) or [1]

    with transaction.atomic():
        # 1. Street lights in หมู่ที่ 3: open, past the response threshold, answered.
        lights = services.petition_create(
            organisation=org, author=residents[2] if len(residents) > 2 else author, kind="general",
            title="ขอติดตั้งไฟส่องสว่างถนนสายหลัก หมู่ที่ 3",
            body="ถนนสายหลักของหมู่ที่ 3 ระยะทางประมาณ 1.2 กิโลเมตร ไม่มีไฟส่องสว่าง ผู้ปกครองและนักเรียนที่กลับบ้านช่วงค่ำ"
            "รวมถึงผู้สัญจรไปตลาดเช้ามืดเสี่ยงต่ออุบัติเหตุและอาชญากรรม ขอให้เทศบาลติดตั้งเสาไฟฟ้าส่องสว่างอย่างน้อย 20 ต้น",
            background="ในปี 2566 เกิดอุบัติเหตุรถจักรยานยนต์บนถนนเส้นนี้ 4 ครั้ง ชาวบ้านได้แจ้งผ่านเวทีประชาคมหมู่บ้านแล้ว",
        )  # fmt: skip
        lights = _through_sponsors(lights, lights.author, [u for u in residents if u != lights.author])
        lights = transition(lights, "open", actor=moderator)
        _sign_many(lights, 64, start=0, villages=[3, 3, 3, 2, 4, 1], rng=rng)
        _spread_over(lights, 12, rng)
        transition(
            Petition.objects.get(pk=lights.pk), "respond", actor=moderator,
            payload={"text": "เทศบาลได้สำรวจเส้นทางแล้ว และบรรจุโครงการติดตั้งไฟฟ้าส่องสว่าง 24 ต้นไว้ในแผนพัฒนาท้องถิ่น "
                             "ปีงบประมาณ 2570 โดยกองช่างจะเริ่มดำเนินการภายในเดือนมกราคม 2570"},
        )  # fmt: skip

        # 2. Local ordinance initiative on waste collection: open, collecting national IDs.
        waste = services.petition_create(
            organisation=org, author=author, kind="ordinance",
            title="เข้าชื่อเสนอร่างเทศบัญญัติ เรื่อง การจัดการสิ่งปฏิกูลและมูลฝอย",
            body="ขอเสนอร่างเทศบัญญัติให้มีการคัดแยกขยะต้นทาง เก็บขยะอินทรีย์แยกสัปดาห์ละ 2 ครั้ง "
            "และกำหนดอัตราค่าธรรมเนียมเก็บขนขยะที่เป็นธรรมสำหรับครัวเรือนและร้านค้า",
            background="ปัจจุบันรถเก็บขยะเข้าบางหมู่บ้านเพียงสัปดาห์ละครั้ง ทำให้มีการเผาขยะในที่โล่ง",
        )  # fmt: skip
        waste = _through_sponsors(waste, author, others)
        waste = transition(waste, "open", actor=moderator)
        _sign_many(waste, 37, start=1000, villages=villages, rng=rng)
        _spread_over(waste, 5, rng)
        _paper_sheet(waste, moderator, clerk, villages, rng)

        # 3. Canal dredging in หมู่ที่ 7: past the council threshold, decided by the council.
        canal = services.petition_create(
            organisation=org, author=others[0] if others else author, kind="general",
            title="ขอให้ขุดลอกคลองสาธารณะ หมู่ที่ 7 ก่อนฤดูฝน",
            body="คลองสาธารณะที่ไหลผ่านหมู่ที่ 7 ตื้นเขินและมีผักตบชวาหนาแน่น ทำให้น้ำท่วมขังพื้นที่เกษตรทุกปี "
            "ขอให้เทศบาลขุดลอกคลองและกำจัดวัชพืชก่อนฤดูฝน",
        )  # fmt: skip
        canal = _through_sponsors(canal, canal.author, [u for u in residents if u != canal.author])
        canal = transition(canal, "open", actor=moderator)
        _sign_many(canal, 126, start=2000, villages=[7, 7, 6, 8, 5], rng=rng)
        _spread_over(canal, 30, rng)
        canal = transition(Petition.objects.get(pk=canal.pk), "submit", actor=clerk)
        canal = transition(canal, "consider", actor=clerk)
        transition(
            canal, "decide", actor=clerk,
            payload={"decision": "adopted", "meeting": "สมัยสามัญ สมัยที่ 3 ครั้งที่ 1/2569",
                     "summary": "สภาเทศบาลมีมติเห็นชอบให้โอนงบประมาณ 350,000 บาท เพื่อขุดลอกคลองหมู่ที่ 7 ระยะทาง 2 กิโลเมตร",
                     "decided_on": timezone.localdate().isoformat()},
        )  # fmt: skip

        # 4. Waiting for moderation.
        market = services.petition_create(
            organisation=org, author=others[1] if len(others) > 1 else author, kind="general",
            title="ขอให้จัดตลาดนัดชุมชนทุกเช้าวันเสาร์ที่ลานหน้าสำนักงานเทศบาล",
            body="เพื่อให้เกษตรกรในตำบลบ้านซ่องมีที่จำหน่ายผลผลิตโดยตรง ขอใช้ลานหน้าสำนักงานเทศบาลทุกเช้าวันเสาร์",
        )  # fmt: skip
        _through_sponsors(market, market.author, [u for u in residents if u != market.author])

        # 5. Collecting sponsors.
        court = services.petition_create(
            organisation=org, author=author, kind="general", title="ขอสร้างลานกีฬาอเนกประสงค์ หมู่ที่ 5",
            body="เยาวชนหมู่ที่ 5 ไม่มีพื้นที่เล่นกีฬา ขอให้ปรับปรุงที่ดินสาธารณะข้างศาลาประชาคมเป็นลานกีฬา",
        )  # fmt: skip
        court = _through_sponsors(court, author, others[:2])

        # 6. Rejected in public: outside municipal powers.
        police = services.petition_create(
            organisation=org, author=others[2] if len(others) > 2 else author, kind="general",
            title="ขอให้ย้ายสถานีตำรวจภูธรมาตั้งในตำบลบ้านซ่อง",
            body="ขอให้ย้ายสถานีตำรวจมาอยู่ใกล้ชุมชนมากขึ้น",
        )  # fmt: skip
        police = _through_sponsors(police, police.author, [u for u in residents if u != police.author])
        transition(
            police, "reject", actor=moderator, reason="การตั้งสถานีตำรวจเป็นอำนาจของสำนักงานตำรวจแห่งชาติ "
            "เทศบาลได้ส่งเรื่องต่อไปยังสถานีตำรวจภูธรพนมสารคามแล้ว", payload={"reason_code": "outside_powers"},
        )  # fmt: skip

        # The demo's signatures in each petition's public log, checkpointed on the chain (beat
        # would do it within the hour).
        siglog.seal_all(reason="demo")
