"""Consultation search (?q= in the topic, summary, details and published problems and alternatives;
Thai without spaces), filters (stage, level, village) and sorting in the API; unknown values are a
400 naming the allowed values."""

import pytest

from consultations.models import Support, Visibility
from tests.conftest import error_of

from .conftest import add_alternative, add_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(make_consultation, residents, org):
    plan = make_consultation("collaborate", "problem_identification", title="ประชาคมจัดทำแผนพัฒนาท้องถิ่น")
    light = add_problem(plan, residents[0], title="ไฟส่องสว่างทางหลวงท้องถิ่นไม่เพียงพอ")
    for r in residents:
        Support.objects.create(problem=light, user=r)
    park = make_consultation("involve", "informing", title="ปรับปรุงสวนสาธารณะ หมู่ที่ 5", summary="Park and sports ground")
    park.villages.set([org.villages.get(number=5)])
    add_alternative(park, title="สวนหย่อมและลานออกกำลังกาย")
    add_problem(park, residents[1], title="ขยะเกลื่อนสวน ไฟส่องสว่างเสีย", visibility=Visibility.REMOVED)
    report = make_consultation("inform", "closed", title="รายงานผลการดำเนินงานประจำปี")
    report.villages.set([org.villages.get(number=2)])
    return plan, park, report


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_it_finds_a_consultation_by_its_problems_and_alternatives(api, three):
    plan, park, report = three
    assert ids(api().get("/api/v1/consultations/", {"q": "ไฟส่องสว่าง"})) == [plan.pk]  # a removed problem does not count
    assert ids(api().get("/api/v1/consultations/", {"q": "ลานออกกำลังกาย"})) == [park.pk]
    assert ids(api().get("/api/v1/consultations/", {"q": "park SPORTS"})) == [park.pk]
    assert ids(api().get("/api/v1/consultations/", {"q": "งบประมาณ"})) == []
    assert len(ids(api().get("/api/v1/consultations/", {"q": ""}))) == 3
    assert api().get("/api/v1/consultations/", {"q": "ไ"}).status_code == 400


def test_level_state_and_village_filter(api, three):
    plan, park, report = three
    assert ids(api().get("/api/v1/consultations/", {"level": "inform"})) == [report.pk]
    assert ids(api().get("/api/v1/consultations/", {"state": "informing"})) == [park.pk]
    assert set(ids(api().get("/api/v1/consultations/", {"village": "5"}))) == {plan.pk, park.pk}  # plan: every village
    assert set(ids(api().get("/api/v1/consultations/", {"village": "2"}))) == {plan.pk, report.pk}


def test_it_sorts(api, three):
    plan, park, report = three
    assert ids(api().get("/api/v1/consultations/", {"ordering": "most_supported"}))[0] == plan.pk
    assert ids(api().get("/api/v1/consultations/")) == [report.pk, park.pk, plan.pk]
    assert ids(api().get("/api/v1/consultations/", {"ordering": "oldest"})) == [plan.pk, park.pk, report.pk]
    # the running stages' ends: informing ends before problem identification; closed ones last
    assert ids(api().get("/api/v1/consultations/", {"ordering": "closing_soon"})) == [park.pk, plan.pk, report.pk]


@pytest.mark.parametrize(
    ("query", "field", "named"),
    [
        ({"state": "bogus"}, "state", "problem_identification"),
        ({"level": "bogus"}, "level", "collaborate"),
        ({"ordering": "bogus"}, "ordering", "closing_soon"),
        ({"village": "3.5"}, "village", "3"),
        ({"village": "1e0"}, "village", "3"),
    ],
)
def test_unknown_values_are_a_400_naming_what_is_allowed(api, three, query, field, named):
    response = api().get("/api/v1/consultations/", query)
    assert response.status_code == 400
    assert named in " ".join(error_of(response)["details"][field])
