"""Petition search (?q=, Thai without spaces), filters and sorting in the API: unknown values are
400s naming the allowed values; the lists people need (waiting for a response or the council,
oldest first with days waited; signed in my village; most signatures)."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from petitions.models import Petition
from tests.conftest import error_of, requires_postgres

from .conftest import make_petition, sign_and_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(org, policy, make_user, sponsors, moderator):
    """The demo's street lights (3 signatures from หมู่ 3), the waste ordinance (1 from หมู่ 1) and
    an English one, all open."""
    author = make_user(Role.RESIDENT, org=org)
    lights = make_petition(org, author, title="ขอติดตั้งไฟส่องสว่างถนนสายหลัก หมู่ที่ 3", state="open",
                           sponsors=sponsors, moderator=moderator)  # fmt: skip
    waste = make_petition(org, author, kind="ordinance", title="เข้าชื่อเสนอร่างเทศบัญญัติ เรื่อง การจัดการสิ่งปฏิกูลและมูลฝอย",
                          state="open", sponsors=sponsors, moderator=moderator)  # fmt: skip
    Petition.objects.filter(pk=waste.pk).update(body="ขอให้คัดแยกขยะต้นทาง")
    english = make_petition(org, author, title="Repair the street lights near the market", state="open",
                            sponsors=sponsors, moderator=moderator)  # fmt: skip
    Petition.objects.filter(pk=english.pk).update(body="Dark road at night")
    for n in range(3):
        sign_and_confirm(lights, n, village=3)
    sign_and_confirm(waste, 10, village=1)
    return lights, waste, english


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_it_finds_the_street_lights_for_a_thai_word_and_not_the_waste_one(api, three):
    lights, waste, english = three
    assert ids(api().get("/api/v1/petitions/", {"q": "ไฟส่องสว่าง"})) == [lights.pk]
    assert ids(api().get("/api/v1/petitions/", {"q": "ขยะ"})) == [waste.pk]  # in the body only
    assert ids(api().get("/api/v1/petitions/", {"q": "ไฟส่องสว่าง หมู่ที่ 3"})) == [lights.pk]  # every word
    assert ids(api().get("/api/v1/petitions/", {"q": "ไฟส่องสว่าง มูลฝอย"})) == []


def test_it_finds_english_words_in_any_case(api, three):
    lights, waste, english = three
    assert ids(api().get("/api/v1/petitions/", {"q": "STREET light"})) == [english.pk]
    assert ids(api().get("/api/v1/petitions/", {"q": "dark"})) == [english.pk]


def test_an_empty_query_lists_everything_and_a_short_one_is_refused(api, three):
    assert len(ids(api().get("/api/v1/petitions/", {"q": ""}))) == 3
    assert len(ids(api().get("/api/v1/petitions/", {"q": "   "}))) == 3
    response = api().get("/api/v1/petitions/", {"q": "ไ"})
    assert response.status_code == 400 and "q" in error_of(response)["details"]
    assert api().get("/api/v1/petitions/", {"q": "x" * 101}).status_code == 400


@pytest.mark.parametrize(
    ("query", "field", "named"),
    [
        ({"state": "bogus"}, "state", "under_consideration"),
        ({"ordering": "bogus"}, "ordering", "most_supported"),
        ({"waiting": "bogus"}, "waiting", "council"),
        ({"kind": "bogus"}, "kind", "ordinance"),
        ({"village": "3.5"}, "village", "3"),
        ({"village": "1e0"}, "village", "3"),
        ({"village": "3.0"}, "village", "3"),
        ({"village": "-1"}, "village", "3"),
        ({"ordering": "longest_waiting"}, "ordering", "waiting=response"),
    ],
)
def test_unknown_values_are_a_400_naming_what_is_allowed(api, three, query, field, named):
    response = api().get("/api/v1/petitions/", query)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid" and named in " ".join(error["details"][field])


def test_state_kind_and_village_filter(api, three):
    lights, waste, english = three
    assert ids(api().get("/api/v1/petitions/", {"kind": "ordinance"})) == [waste.pk]
    assert ids(api().get("/api/v1/petitions/", {"village": "3"})) == [lights.pk]
    assert ids(api().get("/api/v1/petitions/", {"village": "1"})) == [waste.pk]
    assert ids(api().get("/api/v1/petitions/", {"village": "5"})) == []
    assert ids(api().get("/api/v1/petitions/", {"state": "closed"})) == []
    assert len(ids(api().get("/api/v1/petitions/", {"state": "open"}))) == 3


def test_it_sorts_by_signatures_newest_and_closing_soon(api, three):
    lights, waste, english = three
    now = timezone.now()
    Petition.objects.filter(pk=lights.pk).update(opened_at=now - dt.timedelta(days=9), closes_at=now + dt.timedelta(days=1))
    Petition.objects.filter(pk=waste.pk).update(opened_at=now - dt.timedelta(days=5), closes_at=now + dt.timedelta(days=50))
    Petition.objects.filter(pk=english.pk).update(opened_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=9))
    assert ids(api().get("/api/v1/petitions/", {"ordering": "most_supported"})) == [lights.pk, waste.pk, english.pk]
    assert ids(api().get("/api/v1/petitions/")) == [english.pk, waste.pk, lights.pk]  # newest by default
    assert ids(api().get("/api/v1/petitions/", {"ordering": "oldest"})) == [lights.pk, waste.pk, english.pk]
    assert ids(api().get("/api/v1/petitions/", {"ordering": "closing_soon"})) == [lights.pk, english.pk, waste.pk]


def test_sorted_lists_page_with_the_cursor(api, three):
    lights, waste, english = three
    first = api().get("/api/v1/petitions/", {"ordering": "most_supported", "page_size": 2}).json()
    assert [r["id"] for r in first["results"]] == [lights.pk, waste.pk]
    second = api().get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [english.pk] and second["next"] is None


def test_waiting_lists_are_oldest_first_with_days_waited(api, three):
    lights, waste, english = three
    now = timezone.now()
    Petition.objects.filter(pk=lights.pk).update(
        response_state="awaiting_response", response_threshold_reached_at=now - dt.timedelta(days=12, hours=1)
    )
    Petition.objects.filter(pk=english.pk).update(
        response_state="awaiting_response", response_threshold_reached_at=now - dt.timedelta(days=2, hours=1)
    )
    Petition.objects.filter(pk=waste.pk).update(council_threshold_reached_at=now - dt.timedelta(days=4, hours=1))
    rows = api().get("/api/v1/petitions/", {"waiting": "response"}).json()["results"]
    assert [(r["id"], r["days_waited"]) for r in rows] == [(lights.pk, 12), (english.pk, 2)]
    rows = api().get("/api/v1/petitions/", {"waiting": "council"}).json()["results"]
    assert [(r["id"], r["days_waited"]) for r in rows] == [(waste.pk, 4)]
    rows = api().get("/api/v1/petitions/", {"waiting": "response", "ordering": "most_supported"}).json()["results"]
    assert [r["id"] for r in rows] == [lights.pk, english.pk]
    assert api().get("/api/v1/petitions/").json()["results"][0]["days_waited"] is None


@requires_postgres
def test_the_search_can_use_the_trigram_indexes(three):
    # Unordered: on a few rows the planner may walk an ordering index (petition_opened_idx) instead.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Petition.objects.filter(title__icontains="ไฟส่องสว่าง").order_by().query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "petitions_petition_title_trgm" in plan
