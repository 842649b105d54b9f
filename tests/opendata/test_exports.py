"""Open-data exports: every dataset as CSV (BOM, formula-safe) and JSON, per record, documented."""

import csv
import io
import json
import re
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase

from consultations.models import Consultation, Problem
from opendata.datasets import DATASETS
from petitions.models import Petition
from workflows.exports import BOM

DOCS = Path(__file__).resolve().parents[2] / "docs" / "OPEN_DATA.md"
PERSONAL = re.compile(r"email|name|national_id|\bip|ip_|voter|author|signer|user", re.I)
NOT_PERSONAL = {("signatures-by-village", "village_name"), ("audit", "name")}  # a village; the act ("open", "respond")


def seed_demo():
    call_command("seed_demo", stdout=io.StringIO())


def csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:])))


class DemoData(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed_demo()

    def test_it_serves_every_dataset_as_csv_and_json_with_the_same_rows(self):
        for name, dataset in DATASETS.items():
            body = self.client.get(f"/open-data/{name}.json").json()
            assert body["dataset"] == name
            assert body["fields"] == list(dataset.fields)
            assert body["count"] == len(body["rows"]) > 0, name
            assert all(list(row) == list(dataset.fields) for row in body["rows"])
            response = self.client.get(f"/open-data/{name}.csv")
            assert response["Content-Type"] == "text/csv; charset=utf-8"
            assert f'filename="ruamkid-{name}.csv"' in response["Content-Disposition"]
            rows = csv_rows(response)
            assert rows[0] == list(dataset.fields)
            assert len(rows) - 1 == body["count"], name

    def test_no_dataset_has_a_field_for_personal_data(self):
        for dataset in DATASETS.values():
            personal = [f for f in dataset.fields if PERSONAL.search(f) and (dataset.name, f) not in NOT_PERSONAL]
            assert personal == [], dataset.name

    def test_it_lists_the_downloads_on_a_page_linked_from_every_footer_and_the_home_page(self):
        home = self.client.get("/").content.decode()
        assert 'data-testid="footer-open-data"' in home and 'data-testid="home-open-data"' in home
        page = self.client.get("/open-data/")
        assert page.status_code == 200
        html = page.content.decode()
        for name in DATASETS:
            assert f'href="/open-data/{name}.csv"' in html and f'href="/open-data/{name}.json"' in html
        for c in Consultation.objects.exclude(state="draft"):
            assert f'href="/open-data/consultations/{c.pk}.json"' in html
        with self.subTest("Thai first"):
            assert "ข้อมูลเปิด" in html

    def test_a_record_exports_alone(self):
        canal = Petition.objects.get(title__startswith="ขอให้ขุดลอกคลอง")
        rows = self.client.get(f"/open-data/signatures-by-village.json?petition={canal.pk}").json()["rows"]
        assert {r["petition_id"] for r in rows} == {canal.pk}
        assert sum(r["signatures"] for r in rows) == canal.confirmed_count() == 126
        bundle = self.client.get(f"/open-data/petitions/{canal.pk}.json").json()
        assert [p["id"] for p in bundle["petitions"]] == [canal.pk]
        assert bundle["council-outcomes"][0]["decision"] == "adopted"
        assert {e["record_id"] for e in bundle["audit"]} == {str(canal.pk)}
        plan = Consultation.objects.get(level="collaborate")
        bundle = self.client.get(f"/open-data/consultations/{plan.pk}.json").json()
        assert {a["title"] for a in bundle["alternatives"] if a["adopted"]} == {
            "ก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ 2 ยาว 800 เมตร",
            "ติดตั้งไฟส่องสว่างพลังงานแสงอาทิตย์ 40 จุด",
        }
        assert sum(t["online_votes"] for t in bundle["tallies"]) == 5  # and the village meeting's 46 hands
        assert sum(t["votes"] for t in bundle["tallies"]) == 5 + sum(t["village_meeting_votes"] for t in bundle["tallies"]) == 51
        assert bundle["decisions"][0]["council_resolution"].startswith("มติสภาเทศบาล")
        assert bundle["progress"][0]["percent_complete"] == 40
        assert self.client.get(f"/open-data/problems.json?petition={canal.pk}").json()["rows"] == []

    def test_records_the_public_may_not_see_are_not_exported(self):
        hidden = Petition.objects.filter(state__in=["collecting_sponsors", "awaiting_moderation"])
        assert hidden.exists()
        ids = {r["id"] for r in self.client.get("/open-data/petitions.json").json()["rows"]}
        assert ids.isdisjoint(hidden.values_list("pk", flat=True))
        assert self.client.get(f"/open-data/petitions/{hidden.first().pk}.json").status_code == 404
        open_now = Consultation.objects.get(level="involve")
        assert self.client.get(f"/open-data/tallies.json?consultation={open_now.pk}").json()["rows"] == []
        votes = {a["votes"] for a in self.client.get(f"/open-data/alternatives.json?consultation={open_now.pk}").json()["rows"]}
        assert votes == {None}  # no results before voting closes

    def test_bad_filters_answer_in_the_error_shape(self):
        self.client.cookies["django_language"] = "en"
        response = self.client.get("/open-data/petitions.csv?petition=abc")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"
        assert response.json()["error"]["details"]["petition"] == ["Give the record's number, e.g. petition=12."]
        self.client.cookies["django_language"] = "th"
        thai = self.client.get("/open-data/petitions.json?consultation=๑๒")
        assert thai.status_code == 400 and "หมายเลข" in thai.json()["error"]["details"]["consultation"][0]
        unknown = self.client.get("/open-data/petitions.json?organisation=nowhere")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        assert self.client.get("/open-data/no-such-data.csv").status_code == 404
        assert self.client.post("/open-data/petitions.csv").status_code == 405

    def test_an_organisation_filter_keeps_its_rows(self):
        assert self.client.get("/open-data/consultations.json?organisation=ban-song").json()["count"] == 3


class Formulas(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed_demo()
        problem = Problem.objects.filter(visibility="published").first()
        Problem.objects.filter(pk=problem.pk).update(title='=HYPERLINK("http://evil.example","click")', body="-2+3")

    def test_cells_a_spreadsheet_would_run_are_defused(self):
        rows = csv_rows(self.client.get("/open-data/problems.csv"))
        cells = [cell for row in rows for cell in row]
        assert '\'=HYPERLINK("http://evil.example","click")' in cells
        assert "'-2+3" in cells
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
        body = self.client.get("/open-data/problems.json").content.decode()
        assert '"=HYPERLINK' in json.dumps(json.loads(body), ensure_ascii=False)  # JSON keeps the text as it is


def test_docs_describe_every_field_of_every_dataset():
    text = DOCS.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### (\S+)\n(.*?)(?=^### |^## |\Z)", text, re.S | re.M))
    assert set(sections) == set(DATASETS)
    for name, dataset in DATASETS.items():
        documented = re.findall(r"^\| `([a-z_]+)` \|", sections[name], re.M)
        assert documented == list(dataset.fields), name
