"""Sorting by support: consultations by the supports of their published problems (API and the
list page's sort menu), and a consultation's problems most supported first, newest or oldest (API
?ordering= and the detail page's sort links) once supports close (before, their neutral order is
the default and sorting by support is refused: tests/consultations/test_problem_order.py); unknown
values are a 400 naming the allowed ones."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from consultations import services
from consultations.models import Problem
from tests.conftest import error_of

from .conftest import add_problem, force_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(make_consultation, residents):
    """A development plan hearing with three problems: the lights supported by everyone, the road
    by two, the drain (the newest) by none; supports have closed (deliberation)."""
    c = make_consultation("collaborate", "problem_identification", title="ประชาคมจัดทำแผนพัฒนาท้องถิ่น")
    now = timezone.now()
    road = add_problem(c, residents[0], title="ถนนลูกรังหมู่ที่ 4 เป็นหลุมเป็นบ่อ")
    lights = add_problem(c, residents[1], title="ไฟส่องสว่างทางหลวงท้องถิ่นไม่เพียงพอ")
    drain = add_problem(c, residents[2], title="ท่อระบายน้ำอุดตันหน้าตลาด")
    for i, p in enumerate((road, lights, drain)):
        Problem.objects.filter(pk=p.pk).update(created_at=now - dt.timedelta(days=3 - i))
    for r in residents:
        services.problem_support(problem=lights, actor=r, support=True)
    for r in residents[:2]:
        services.problem_support(problem=road, actor=r, support=True)
    return force_state(c, "deliberation"), road, lights, drain


def test_the_problems_api_sorts_by_support_newest_and_oldest(api, plan, residents):
    c, road, lights, drain = plan
    url = f"/api/v1/consultations/{c.pk}/problems/"
    rows = api().get(url).json()["results"]  # most supported first by default
    assert [(r["id"], r["supporters"]) for r in rows] == [(lights.pk, len(residents)), (road.pk, 2), (drain.pk, 0)]
    assert len(residents) > 2
    assert [r["id"] for r in api().get(url, {"ordering": "most_supported"}).json()["results"]] == [lights.pk, road.pk, drain.pk]
    assert [r["id"] for r in api().get(url, {"ordering": "newest"}).json()["results"]] == [drain.pk, lights.pk, road.pk]
    assert [r["id"] for r in api().get(url, {"ordering": "oldest"}).json()["results"]] == [road.pk, lights.pk, drain.pk]
    refused = api().get(url, {"ordering": "bogus"})
    assert refused.status_code == 400 and "most_supported, newest, oldest" in " ".join(error_of(refused)["details"]["ordering"])


def test_withdrawing_a_support_moves_a_problem_down(api, plan, residents):
    c, road, lights, drain = plan
    force_state(c, "problem_identification")
    for r in residents:
        services.problem_support(problem=lights, actor=r, support=False)
    c = force_state(c, "deliberation")
    ids = [r["id"] for r in api().get(f"/api/v1/consultations/{c.pk}/problems/").json()["results"]]
    assert ids == [road.pk, lights.pk, drain.pk]


def test_while_supports_are_open_sorting_by_support_is_refused(api, client, plan):
    c, road, lights, drain = plan
    c = force_state(c, "problem_identification")
    url = f"/api/v1/consultations/{c.pk}/problems/"
    refused = api().get(url, {"ordering": "most_supported"})
    assert refused.status_code == 400 and "ordering" in error_of(refused)["details"]
    assert [r["id"] for r in api().get(url, {"ordering": "newest"}).json()["results"]] == [drain.pk, lights.pk, road.pk]
    page = client.get(f"/consultations/{c.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'href="?ordering=most_supported#problems"' not in html
    assert '<a href="?ordering=random#problems" aria-current="true">' in html
    refused = client.get(f"/consultations/{c.pk}/", {"ordering": "most_supported"})
    assert refused.status_code == 400 and "เรียงตามจำนวนผู้สนับสนุนได้เมื่อปิดการสนับสนุนแล้ว" in refused.content.decode()


def test_the_detail_page_sorts_its_problems(client, plan):
    c, road, lights, drain = plan
    html = client.get(f"/consultations/{c.pk}/").content.decode()
    assert html.index(lights.title) < html.index(road.title) < html.index(drain.title)
    assert 'href="?ordering=newest#problems"' in html and "เรียงปัญหาตาม" in html
    newest = client.get(f"/consultations/{c.pk}/", {"ordering": "newest"})
    html = newest.content.decode()
    assert newest.status_code == 200 and html.index(drain.title) < html.index(lights.title) < html.index(road.title)
    assert '<a href="?ordering=newest#problems" aria-current="true">' in html
    refused = client.get(f"/consultations/{c.pk}/", {"ordering": "bogus"})
    html = refused.content.decode()
    assert refused.status_code == 400 and "เรียงปัญหาตาม: ไม่ใช่ค่าที่ใช้ได้ ค่าที่ใช้ได้คือ: random, most_supported, newest, oldest" in html
    assert html.index(lights.title) < html.index(road.title)  # the default order under the message
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert (
        "Sort problems by: Not one of the allowed values"
        in client.get(f"/consultations/{c.pk}/", {"ordering": "x"}).content.decode()
    )


def test_the_consultation_list_sorts_by_the_supports_of_its_problems(api, client, plan, make_consultation, residents):
    c, road, lights, drain = plan
    park = make_consultation("involve", "problem_identification", title="ปรับปรุงสวนสาธารณะ หมู่ที่ 5")
    services.problem_support(problem=add_problem(park, residents[0], title="ขยะเกลื่อนสวน"), actor=residents[1], support=True)
    quiet = make_consultation("consult", "informing", title="รายงานผลการดำเนินงานประจำปี")
    rows = api().get("/api/v1/consultations/", {"ordering": "most_supported"}).json()["results"]
    assert [r["id"] for r in rows] == [c.pk, park.pk, quiet.pk]
    page = client.get("/consultations/", {"ordering": "most_supported"})
    html = page.content.decode().split('id="h-cal"')[0]
    assert page.status_code == 200 and '<option value="most_supported" selected>' in html
    assert html.index(f'data-testid="consultation-{c.pk}"') < html.index(f'data-testid="consultation-{park.pk}"')
    assert html.index(f'data-testid="consultation-{park.pk}"') < html.index(f'data-testid="consultation-{quiet.pk}"')
