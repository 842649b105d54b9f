"""The ITA evidence report: per Thai fiscal year (1 October – 30 September, B.E.), every activity with
its four elements, as a page, a CSV and a PDF whose text is Thai with the fonts embedded."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone, translation
from pypdf import PdfReader

from accounts import thai
from accounts.models import Organisation
from opendata import ita
from petitions.models import Petition
from workflows import pdf
from workflows.exports import BOM

BANGKOK = ZoneInfo("Asia/Bangkok")
CURRENT = thai.fiscal_year(timezone.localdate())


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


class Report(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("seed_demo", stdout=io.StringIO())
        cls.org = Organisation.objects.get(slug="ban-song")

    def report(self, year):
        with translation.override("th"):
            return ita.report(year, organisation=self.org)

    def test_an_activity_belongs_to_the_fiscal_year_it_started_in(self):
        plan_year = self.report(2565)
        assert [a.title for a in plan_year.activities] == [
            "ประชาคมจัดทำแผนพัฒนาท้องถิ่น (พ.ศ. 2566–2570) เพิ่มเติม ครั้งที่ 1/2565",  # published 1 ต.ค. 2564
            "เผยแพร่รายงานผลการดำเนินงานประจำปีงบประมาณ พ.ศ. 2564",  # published 16 ต.ค. 2564
        ]
        assert (plan_year.start, plan_year.end) == (dt.date(2021, 10, 1), dt.date(2022, 9, 30))
        now = self.report(CURRENT)
        public = Petition.objects.filter(state__in=["open", "decided", "rejected"])
        assert {a.id for a in now.activities if a.kind == "petition"} == set(public.values_list("pk", flat=True))
        assert [a.title for a in now.activities if a.kind == "consultation"] == ["ปรับปรุงสวนสาธารณะและลานกีฬาชุมชน หมู่ที่ 5"]
        assert self.report(2566).activities == []
        assert CURRENT in ita.fiscal_years() and 2565 in ita.fiscal_years()

    def test_the_bounds_are_local_midnight_of_1_october(self):
        start, end = ita.bounds(2566)
        assert start == dt.datetime(2022, 10, 1, tzinfo=BANGKOK) and end == dt.datetime(2023, 10, 1, tzinfo=BANGKOK)
        assert thai.fiscal_year(dt.date(2023, 9, 30)) == 2566 and thai.fiscal_year(dt.date(2023, 10, 1)) == 2567

    def test_each_activity_has_the_four_elements(self):
        plan = self.report(2565).activities[0]
        assert plan.issue[0].startswith("ประชาคมจัดทำแผนพัฒนาท้องถิ่น")
        assert plan.participants == 5 and sum(n for _v, n in plan.by_village) == 5
        assert plan.channels[0] == "ออนไลน์ผ่านร่วมคิด" and "ประชุมประชาคมหมู่บ้าน ณ ศาลาประชาคมหมู่ที่ 2" in plan.channels
        assert "ผู้ลงคะแนน: 5 คน" in plan.results
        # 3 online votes and 31 by show of hands at the village meeting of หมู่ที่ 2 (consultations/demo.py)
        assert any(r.startswith("คะแนนของ “ก่อสร้างถนนคอนกรีตเสริมเหล็ก") and r.endswith(": 34") for r in plan.results)
        changes = "\n".join(plan.changes)
        assert "มติสภา: มติสภาเทศบาล สมัยสามัญ สมัยที่ 4/2564" in changes
        assert "นำข้อเสนอของประชาชนไปดำเนินการ: ติดตั้งไฟส่องสว่างพลังงานแสงอาทิตย์ 40 จุด" in changes
        assert "ความคืบหน้า 15 มีนาคม 2565 (ดำเนินการแล้วร้อยละ 40)" in changes
        info = self.report(2565).activities[1]
        assert info.changes == ["กิจกรรมให้ข้อมูลข่าวสาร: เผยแพร่ผลให้ประชาชนทราบแล้ว ไม่มีประเด็นที่ต้องตัดสินใจ"]
        canal = next(a for a in self.report(CURRENT).activities if a.title.startswith("ขอให้ขุดลอกคลอง"))
        assert canal.participants == 126 and dict(canal.by_village)["หมู่ที่ 7"] > 0
        assert any(c.startswith("มติสภา (") and "เห็นชอบ" in c and "350,000 บาท" in c for c in canal.changes)

    def test_the_page_csv_and_pdf_say_the_same(self):
        page = self.client.get("/open-data/ita/2565/").content.decode()
        assert "กิจกรรมการมีส่วนร่วม ปีงบประมาณ พ.ศ. 2565" in page and page.count('data-testid="activity"') == 2
        assert "1 ตุลาคม 2564 – 30 กันยายน 2565" in page
        response = self.client.get("/open-data/ita/2565.csv")
        assert response["Content-Disposition"] == 'attachment; filename="ita-participation-2565.csv"'
        text = response.content.decode("utf-8")
        assert text.startswith(BOM)
        rows = list(csv.reader(io.StringIO(text[1:])))
        assert rows[0] == list(ita.CSV_HEADER) and len([r for r in rows[1:] if r[2]]) == 2  # two activities
        assert [r[1] for r in rows[1:] if not r[2]] == [heading for heading, _lines in self.report(2565).evidence]
        assert rows[1][3].startswith("ประชาคมจัดทำแผนพัฒนาท้องถิ่น") and rows[1][6] == "5" and "มติสภาเทศบาล" in rows[1][10]
        response = self.client.get("/open-data/ita/2565.pdf")
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")
        text = pdf_text(response.content)
        for words in (
            "เทศบาลตำบลบ้านซ่อง",
            "กิจกรรมการมีส่วนร่วม ปีงบประมาณ พ.ศ. 2565",
            "น้ำประปาหมู่บ้านไหลอ่อน ไม่พอใช้",  # ้ำ: shaping splits SARA AM; the text must come back whole
            "1. ประเด็นการมีส่วนร่วม",
            "4. การนำผลไปปรับปรุงการดำเนินงาน",
            "มติสภาเทศบาล สมัยสามัญ สมัยที่ 4/2564",
        ):
            assert words in text, words
        assert not any(ord(c) < 32 and c not in "\n\t" for c in text)

    def test_the_yearly_satisfaction_complaint_and_integrity_figures_are_in_it(self):
        from complaints.selectors import statistics_for
        from surveys.selectors import satisfaction_by_fiscal_year

        evidence = dict(self.report(CURRENT).evidence)
        satisfaction = next(y for y in satisfaction_by_fiscal_year(self.org) if y["fiscal_year"] == CURRENT)
        assert satisfaction["responses"] > 0  # the demo's answers
        assert f"{satisfaction['responses']} " in evidence["ความพึงพอใจต่อการให้บริการของเทศบาล"][0]
        assert str(satisfaction["mean"]) in evidence["ความพึงพอใจต่อการให้บริการของเทศบาล"][0]
        received = statistics_for(self.org, year=CURRENT)["total"]["received"]
        assert received > 0 and evidence["ร้องเรียน ร้องทุกข์"][0].startswith(f"{received} ")
        assert "รับแล้ว 1 เรื่อง" in evidence["เรื่องร้องเรียนการทุจริตและประพฤติมิชอบ"][0]
        text = pdf_text(self.client.get(f"/open-data/ita/{CURRENT}.pdf").content)
        assert "ความพึงพอใจต่อการให้บริการของเทศบาล" in text and "ร้องเรียน ร้องทุกข์" in text
        assert 'data-testid="evidence"' in self.client.get(f"/open-data/ita/{CURRENT}/").content.decode()

    def test_a_line_after_latin_text_stays_thai(self):
        """The lights petition's response wraps after "2570"; the next line is Thai again."""
        text = pdf_text(self.client.get(f"/open-data/ita/{CURRENT}.pdf").content)
        assert "โดยกองช่างจะเริ่มดำเนินการภายในเดือนมกราคม 2570" in text
        assert "สภาเทศบาลมีมติเห็นชอบให้โอนงบประมาณ" in text and "ระยะทาง 2 กิโลเมตร" in text
        assert not any(ord(c) < 32 and c not in "\n\t" for c in text)

    def test_the_pdf_embeds_its_fonts(self):
        reader = PdfReader(io.BytesIO(self.client.get("/open-data/ita/2565.pdf").content))
        fonts = {}
        for page in reader.pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
        assert any("NotoSansThai" in name for name in fonts) and all(fonts.values()), fonts

    def test_a_year_with_nothing_says_so_and_an_impossible_one_is_404(self):
        page = self.client.get("/open-data/ita/2566/").content.decode()
        assert 'data-testid="no-activity"' in page
        assert "ไม่มีกิจกรรมการมีส่วนร่วมในปีงบประมาณนี้" in pdf_text(self.client.get("/open-data/ita/2566.pdf").content)
        assert self.client.get("/open-data/ita/1999/").status_code == 404
        assert self.client.get("/open-data/ita/2565/?organisation=nowhere").status_code == 404

    def test_english_shows_the_common_era(self):
        self.client.cookies["django_language"] = "en"
        page = self.client.get("/open-data/ita/2565/").content.decode()
        assert "Participation activities, fiscal year 2022" in page


def test_thai_lines_break_between_clusters_never_inside_one():
    text = "ประชาคมจัดทำแผนพัฒนาท้องถิ่นเพิ่มเติมครั้งที่หนึ่ง"
    points = pdf.break_points(text)
    for i in points:
        assert text[i] not in "ัิีึืุู่้๊๋็์ำาะ" and text[i - 1] not in "เแโใไ"
    document = pdf.EvidencePDF(title="t", organisation="o")
    lines = document.lines(text * 3, 40)
    assert "".join(lines) == text * 3 and len(lines) > 3
    assert all(document.get_string_width(line) <= 40 for line in lines)
    assert document.lines("ก ข ค", 100) == ["ก ข ค"]
