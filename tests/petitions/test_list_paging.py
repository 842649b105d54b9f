"""List hygiene of the petition list: paging values and unknown filter values are refused with a
400 that says what is allowed, in the API (the one error shape) and on the page (a message in Thai
or English above an empty list), never a 500 and never silently bent."""

import pytest
from django.conf import settings

from accounts.models import Role
from tests.conftest import error_of

from .conftest import make_petition, sign_and_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(org, policy, make_user, sponsors, moderator):
    author = make_user(Role.RESIDENT, org=org)
    titles = ["ขอติดตั้งไฟส่องสว่างถนนสายหลัก หมู่ที่ 3", "ขอให้ขุดลอกคลองส่งน้ำเพื่อการเกษตร", "ขอให้ปรับปรุงตลาดสดเทศบาล"]
    made = [make_petition(org, author, title=t, state="open", sponsors=sponsors, moderator=moderator) for t in titles]
    sign_and_confirm(made[0], 1, village=3)
    return made


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ({"page": "0"}, "page", "cursor"),
        ({"page": "abc"}, "page", "cursor"),
        ({"page": "2"}, "page", "cursor"),  # the API pages by cursor: a page number would be ignored
        ({"page_size": "100000"}, "page_size", "1 to 200"),
        ({"page_size": "0"}, "page_size", "1 to 200"),
        ({"page_size": "abc"}, "page_size", "1 to 200"),
        ({"page_size": "2.5"}, "page_size", "1 to 200"),
        ({"page_size": "-1"}, "page_size", "1 to 200"),
        ({"cursor": "not-a-cursor"}, "cursor", "next"),
    ],
)
def test_the_api_refuses_bad_paging_with_a_400_saying_what_is_allowed(api, three, query, field, says):
    response = api().get("/api/v1/petitions/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid" and says in " ".join(error["details"][field])


def test_the_api_pages_within_the_limits_and_says_so_in_thai(api, three):
    assert len(api().get("/api/v1/petitions/", {"page_size": "200"}).json()["results"]) == 3
    first = api().get("/api/v1/petitions/", {"page_size": "2"}).json()
    assert len(first["results"]) == 2 and len(api().get(first["next"]).json()["results"]) == 1
    thai = api().get("/api/v1/petitions/", {"page_size": "100000"}, HTTP_ACCEPT_LANGUAGE="th")
    assert error_of(thai)["details"]["page_size"] == ["กรุณาใส่จำนวนเต็มตั้งแต่ 1 ถึง 200"]


def test_every_cursor_list_of_the_api_refuses_bad_paging(api):
    assert api().get("/api/v1/audit/", {"page_size": "100000"}).status_code == 400
    assert api().get("/api/v1/audit/", {"page": "0"}).status_code == 400
    assert api().get("/api/v1/consultations/", {"page_size": "abc"}).status_code == 400
    assert api().get("/api/v1/audit/", {"page_size": "5"}).status_code == 200


def test_the_page_pages_by_number_keeping_the_filters(client, three):
    first = client.get("/petitions/", {"ordering": "oldest", "page_size": "2"})
    html = first.content.decode()
    assert first.status_code == 200 and 'data-testid="pager"' in html
    assert f"/petitions/{three[0].pk}/" in html and f"/petitions/{three[1].pk}/" in html
    assert f"/petitions/{three[2].pk}/" not in html
    assert 'href="?ordering=oldest&amp;page_size=2&amp;page=2"' in html and "หน้า 1 จาก 2 (ทั้งหมด 3 รายการ)" in html
    second = client.get("/petitions/", {"ordering": "oldest", "page_size": "2", "page": "2"}).content.decode()
    assert f"/petitions/{three[2].pk}/" in second and f"/petitions/{three[0].pk}/" not in second
    assert 'href="?ordering=oldest&amp;page_size=2&amp;page=1"' in second
    assert 'data-testid="pager"' not in client.get("/petitions/").content.decode()  # one page: no pager


@pytest.mark.parametrize(
    ("query", "thai"),
    [
        ({"page": "0"}, "หน้า: กรุณาระบุเลขหน้า: 1, 2, 3 …"),
        ({"page": "abc"}, "หน้า: กรุณาระบุเลขหน้า: 1, 2, 3 …"),
        ({"page": "9"}, "หน้า: ไม่มีหน้าที่ 9: หน้าสุดท้ายคือหน้าที่ 1"),
        ({"page_size": "100000"}, "จำนวนต่อหน้า: กรุณาใส่จำนวนเต็มตั้งแต่ 1 ถึง 100"),
        ({"state": "bogus"}, "สถานะ: ไม่ใช่ค่าที่ใช้ได้ ค่าที่ใช้ได้คือ: draft"),
        ({"ordering": "bogus"}, "most_supported"),
        ({"ordering": "longest_waiting"}, "ใช้ได้เมื่อระบุ waiting=response"),  # was a 500 (a lazy message)
        ({"waiting": "bogus"}, "council"),
        ({"village": "3.5"}, "กรุณาใส่จำนวนเต็ม เช่น 3"),
    ],
)
def test_the_page_refuses_bad_values_with_a_400_and_a_thai_message(client, three, query, thai):
    response = client.get("/petitions/", query)
    html = response.content.decode()
    assert response.status_code == 400 and 'data-testid="filter-errors"' in html
    assert thai in html
    assert "ขอให้ขุดลอกคลอง" not in html  # nothing listed under a refusal


def test_the_page_says_it_in_english_when_english_is_chosen(client, three):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/petitions/", {"page_size": "100000", "state": "bogus"}).content.decode()
    assert "Per page: Give a whole number from 1 to 100." in html
    assert "State: Not one of the allowed values: draft" in html


def test_an_unknown_tab_is_a_400_naming_the_tabs(client, three):
    response = client.get("/petitions/", {"tab": "bogus"})
    html = response.content.decode()
    assert response.status_code == 400 and "รายการ: ไม่ใช่ค่าที่ใช้ได้ ค่าที่ใช้ได้คือ: open, council, closed, rejected" in html
    assert client.get("/petitions/", {"tab": "closed"}).status_code == 200
