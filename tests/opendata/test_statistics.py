"""/statistics/: charts that are also tables of their numbers, from the demo data."""

import io
import re

from django.core.management import call_command
from django.db.models import Sum
from django.test import TestCase
from django.utils import timezone

from accounts import thai
from opendata import stats
from petitions.models import Petition, SignatureTally


def chart_rows(html: str, key: str) -> dict[str, list[int]]:
    """{row label: [numbers]} of one chart's table."""
    block = html.split(f'data-testid="chart-{key}"', 1)[1].split("</figure>", 1)[0]
    rows = {}
    for label, cells in re.findall(r'<tr><th scope="row">(.*?)<span class="od-bars".*?</th>(.*?)</tr>', block, re.S):
        rows[label.strip()] = [int(n.replace(",", "")) for n in re.findall(r'<td class="num">([\d,]+)</td>', cells)]
    return rows


class Statistics(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("seed_demo", stdout=io.StringIO())

    def page(self, query: str = "", language: str = "en") -> str:
        self.client.cookies["django_language"] = language  # pages are Thai unless the visitor switched
        response = self.client.get(f"/statistics/{query}")
        assert response.status_code == 200
        return response.content.decode()

    def test_every_chart_is_a_table_of_its_numbers(self):
        html = self.page()
        for key in ("months", "years", "villages", "levels", "outcomes", "response_times"):
            assert f'data-testid="chart-{key}"' in html, key
            assert chart_rows(html, key), key
        assert html.count('aria-hidden="true"') >= 6  # the bars are drawing, the table is what is read
        assert not re.search(r'<script[^>]+src="(https?:)?//', html)  # no CDN, no chart library

    def test_the_numbers_are_the_demo_data(self):
        html = self.page()
        signatures = sum(p.confirmed_count() for p in Petition.objects.filter(state__in=["open", "decided"]))
        assert signatures == 64 + 37 + 126 + 7  # the 7 paper lines counted in the demo's waste ordinance sheet
        assert f"<strong>{signatures}</strong>" in html
        villages = chart_rows(html, "villages")
        seventh = SignatureTally.objects.filter(bucket="v7").aggregate(n=Sum("count"))["n"]
        assert villages["หมู่ที่ 7"][0] == seventh > 0
        assert sum(row[0] for row in villages.values()) == signatures
        assert sum(row[1] for row in villages.values()) == 5 + 3  # the plan's five people, the open one's three
        levels = chart_rows(html, "levels")
        assert levels["Collaborate"] == [5, 1] and levels["Inform"] == [0, 1] and levels["Involve"] == [3, 1]
        outcomes = chart_rows(html, "outcomes")
        assert outcomes == {
            "Council: Adopted": [1],
            "Answered by the municipality": [1],
            "Collecting signatures": [1],
            "Rejected by moderation": [1],
        }
        times = chart_rows(html, "response_times")
        assert times["within 7 days"] == [1, 1]
        assert 'data-testid="median"' in html

    def test_participation_over_time_follows_the_fiscal_year(self):
        current = thai.fiscal_year(timezone.localdate())
        months = chart_rows(self.page(), "months")
        assert len(months) == 12 and list(months)[0].startswith("Oct") and list(months)[-1].startswith("Sep")
        assert sum(row[0] for row in months.values()) == 64 + 37 + 126 + 7  # 7 on paper
        plan_year = chart_rows(self.page("?year=2565"), "months")
        assert plan_year["Oct 2021"][1] > 0 and sum(row[0] for row in plan_year.values()) == 0
        years = chart_rows(self.page(), "years")
        assert set(years) == {f"FY {current - 543}", "FY 2022"}
        thai_page = self.page("?year=2565", language="th")
        assert "ต.ค. 2564" in thai_page and "ปีงบประมาณ" in thai_page

    def test_a_bad_year_is_a_400(self):
        for bad in ("abc", "1999", "๒๕๖๕", "9" * 30):
            assert self.client.get(f"/statistics/?year={bad}").status_code == 400
        assert self.client.get("/statistics/?organisation=nowhere").status_code == 404


def test_fiscal_months_run_october_to_september():
    months = stats.fiscal_months(2565)
    assert months[0].isoformat() == "2021-10-01" and months[-1].isoformat() == "2022-09-01" and len(months) == 12
