"""The standard satisfaction survey of a Thai municipality's services (แบบสอบถามความพึงพอใจ), in the
five areas the ITA evidence usually reports: procedure, channels, staff, facilities, overall quality.
Survey content is the municipality's own Thai text, not interface strings: it is data, not gettext."""

SATISFACTION = {
    "key": "satisfaction",
    "title": "แบบสอบถามความพึงพอใจต่อการให้บริการของเทศบาล",
    "description": (
        "เทศบาลขอความร่วมมือท่านตอบแบบสอบถามเพื่อนำผลไปปรับปรุงการให้บริการ "
        "คำตอบของท่านจะไม่ถูกเปิดเผยเป็นรายบุคคล (1 = น้อยที่สุด, 5 = มากที่สุด)"
    ),
    "questions": [
        ("single", "ท่านมาใช้บริการด้านใด", True,
         ["งานทะเบียนราษฎรและบัตรประจำตัวประชาชน", "งานจัดเก็บภาษีและรายได้", "งานขออนุญาตก่อสร้าง",
          "งานสาธารณสุขและสิ่งแวดล้อม", "งานป้องกันและบรรเทาสาธารณภัย", "งานสวัสดิการสังคม (เบี้ยยังชีพ)", "อื่น ๆ"]),
        ("rating", "ความพึงพอใจด้านกระบวนการและขั้นตอนการให้บริการ", True, []),
        ("rating", "ความพึงพอใจด้านช่องทางการให้บริการ", True, []),
        ("rating", "ความพึงพอใจด้านเจ้าหน้าที่ผู้ให้บริการ", True, []),
        ("rating", "ความพึงพอใจด้านสิ่งอำนวยความสะดวก", True, []),
        ("rating", "ความพึงพอใจต่อคุณภาพการให้บริการโดยรวม", True, []),
        ("multiple", "ท่านทราบข้อมูลข่าวสารของเทศบาลจากช่องทางใดบ้าง", False,
         ["เว็บไซต์เทศบาล", "เฟซบุ๊กเทศบาล", "LINE Official Account", "หอกระจายข่าว / เสียงตามสาย", "ผู้นำชุมชน"]),
        ("text", "ข้อเสนอแนะเพื่อปรับปรุงการให้บริการ", False, []),
    ],
}  # fmt: skip

TEMPLATES = {SATISFACTION["key"]: SATISFACTION}
