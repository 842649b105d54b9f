"""Demo complaints and one integrity report for the demo municipality (`manage.py seed_demo`).
Made through the services and the engine, so the tracking pages, statistics and audit are real.
Idempotent: does nothing if the organisation already has complaints."""

from __future__ import annotations

from workflows.services import transition

from . import integrity, services
from .models import Category, Complaint, Division


def seed(org, users: dict) -> None:
    services.defaults_ensure(organisation=org)
    if Complaint.objects.filter(organisation=org).exists():
        return
    resident, staff = users.get("resident"), users.get("moderator")
    category = {c.code: c for c in Category.objects.filter(organisation=org)}
    works = Division.objects.get(organisation=org, name="กองช่าง")
    health = Division.objects.get(organisation=org, name="กองสาธารณสุขและสิ่งแวดล้อม")
    village = {v.number: v for v in org.villages.all()}
    light = services.complaint_file(
        organisation=org, actor=resident, category=category["light"], village=village.get(2),
        title="ไฟถนนดับ ซอย 3 หมู่ที่ 2", body="ไฟส่องสว่างดับสามดวงติดกัน ตอนกลางคืนมืดมาก", location_text="ปากซอย 3",
    )  # fmt: skip
    light = transition(light, "assign", actor=staff, payload={"division": works.pk})
    light = transition(light, "start", actor=staff)
    transition(light, "resolve", actor=staff, reason="เปลี่ยนหลอดไฟ LED ครบทั้งสามดวงแล้ว")
    waste = services.complaint_file(
        organisation=org, actor=None, category=category["waste"], village=village.get(4),
        title="ขยะไม่ได้เก็บสองสัปดาห์", body="จุดพักขยะหน้าตลาดส่งกลิ่นเหม็น",
    )  # fmt: skip
    transition(waste, "assign", actor=staff, payload={"division": health.pk})
    services.complaint_file(
        organisation=org, actor=None, category=category["road"], village=village.get(5),
        title="ถนนลูกรังเป็นหลุมหลังฝนตก", body="รถจักรยานยนต์ล้มบ่อย", latitude="13.7451", longitude="101.3523",
    )  # fmt: skip
    integrity.report_file(
        organisation=org, actor=None, kind="misconduct", subject="เรียกรับเงินค่าอำนวยความสะดวก",
        body="มีการขอเงินเพิ่มเพื่อให้ได้ใบอนุญาตเร็วขึ้น (ข้อมูลตัวอย่าง)",
    )  # fmt: skip
