"""List hygiene of the consultation list page and API: bad paging, unknown filter values and a
calendar month that is not one are a 400 saying what is allowed (not a 500, not ignored)."""

import pytest
from django.conf import settings

from tests.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(make_consultation):
    return [
        make_consultation("collaborate", "problem_identification", title="ประชาคมจัดทำแผนพัฒนาท้องถิ่น"),
        make_consultation("involve", "informing", title="ปรับปรุงสวนสาธารณะ หมู่ที่ 5"),
        make_consultation("inform", "closed", title="รายงานผลการดำเนินงานประจำปี"),
    ]


def test_the_api_refuses_bad_paging(api, three):
    for query, field in (({"page_size": "100000"}, "page_size"), ({"page": "abc"}, "page"), ({"cursor": "zz"}, "cursor")):
        response = api().get("/api/v1/consultations/", query)
        assert response.status_code == 400 and field in error_of(response)["details"], query
    assert len(api().get("/api/v1/consultations/", {"page_size": "2"}).json()["results"]) == 2


def test_the_page_pages_by_number(client, three):
    plan, park, report = three
    html = client.get("/consultations/", {"ordering": "oldest", "page_size": "2"}).content.decode()
    assert "ประชาคมจัดทำแผนพัฒนาท้องถิ่น" in html and "รายงานผลการดำเนินงานประจำปี" not in html.split('id="h-cal"')[0]
    assert 'href="?ordering=oldest&amp;page_size=2&amp;page=2"' in html
    second = client.get("/consultations/", {"ordering": "oldest", "page_size": "2", "page": "2"})
    assert second.status_code == 200 and f'data-testid="consultation-{report.pk}"' in second.content.decode()


@pytest.mark.parametrize(
    ("query", "thai"),
    [
        ({"page": "0"}, "หน้า: กรุณาระบุเลขหน้า: 1, 2, 3 …"),
        ({"page": "abc"}, "หน้า: กรุณาระบุเลขหน้า: 1, 2, 3 …"),
        ({"page": "5"}, "ไม่มีหน้าที่ 5: หน้าสุดท้ายคือหน้าที่ 1"),
        ({"page_size": "100000"}, "จำนวนต่อหน้า: กรุณาใส่จำนวนเต็มตั้งแต่ 1 ถึง 100"),
        ({"state": "bogus"}, "ไม่ใช่ค่าที่ใช้ได้ ค่าที่ใช้ได้คือ: draft"),
        ({"ordering": "bogus"}, "most_supported"),
        ({"month": "2026-13"}, "เดือน: กรุณาระบุปีและเดือน เช่น"),
        ({"month": "abc"}, "เดือน: กรุณาระบุปีและเดือน เช่น"),
    ],
)
def test_the_page_refuses_bad_values_with_a_400_and_a_thai_message(client, three, query, thai):
    response = client.get("/consultations/", query)
    html = response.content.decode()
    assert response.status_code == 400 and 'data-testid="filter-errors"' in html and thai in html
    assert 'data-testid="calendar"' in html  # the page still works


def test_english_messages_when_english_is_chosen(client, three):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/consultations/", {"month": "2026-13", "page": "0"}).content.decode()
    assert "Month: give a year and month such as" in html and "Page: Give a page number: 1, 2, 3 …" in html
