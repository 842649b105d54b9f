"""“Petitions signed in my village”: ?village=N lists the petitions with signatures from หมู่ที่ N
(confirmed online ones and counted paper ones), each with its count there, and
?ordering=most_in_village puts the most signed in that village first, in the API and on the page;
a signed-in resident with a village gets the "in my village" link."""

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Role, Village
from petitions import paper
from tests.conftest import error_of

from .conftest import make_petition, sign, sign_and_confirm, valid_national_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def villages(org, policy, make_user, sponsors, moderator):
    """Street lights: 3 online from หมู่ 3 and 1 from หมู่ 1. The canal: 1 online from หมู่ 3, 2 on
    paper from หมู่ 3 (counted by staff) and 1 pending (not confirmed) from หมู่ 3. The market: 2
    from หมู่ 1 only."""
    author = make_user(Role.RESIDENT, org=org)

    def made(title):
        return make_petition(org, author, title=title, state="open", sponsors=sponsors, moderator=moderator)

    lights = made("ขอติดตั้งไฟส่องสว่างถนนสายหลัก หมู่ที่ 3")
    canal = made("ขอให้ขุดลอกคลองส่งน้ำเพื่อการเกษตร")
    market = made("ขอให้ปรับปรุงตลาดสดเทศบาล")
    for n in range(3):
        sign_and_confirm(lights, n, village=3)
    sign_and_confirm(lights, 3, village=1)
    sign_and_confirm(canal, 10, village=3)
    sign(canal, 11, village=3)  # pending: does not count
    paper.paper_sheet_add(petition=canal, actor=moderator, number=1, scan=ContentFile(b"%PDF-1.4 sheet", name="s.pdf"))
    for line in (1, 2):
        paper.paper_entry_record(
            petition=canal, actor=moderator, sheet_number=1, line=line, name=f"ผู้ลงชื่อกระดาษ {line}", village=3,
            email="", signed_on=timezone.localdate().isoformat(), national_id=valid_national_id(200 + line),
        )  # fmt: skip
    for n in (20, 21):
        sign_and_confirm(market, n, village=1)
    return lights, canal, market


def rows(response) -> list[tuple[int, int | None]]:
    assert response.status_code == 200, response.content
    return [(r["id"], r["village_signatures"]) for r in response.json()["results"]]


def test_the_village_filter_counts_confirmed_and_paper_signatures_there(api, villages):
    lights, canal, market = villages
    listed = rows(api().get("/api/v1/petitions/", {"village": "3", "ordering": "oldest"}))
    assert listed == [(lights.pk, 3), (canal.pk, 3)]  # canal: 1 online + 2 paper, not the pending one
    assert rows(api().get("/api/v1/petitions/", {"village": "1", "ordering": "oldest"})) == [(lights.pk, 1), (market.pk, 2)]
    assert rows(api().get("/api/v1/petitions/", {"village": "4"})) == []
    assert all(n is None for _id, n in rows(api().get("/api/v1/petitions/")))  # only with ?village=


def test_most_in_village_puts_the_most_signed_there_first_and_pages(api, villages):
    lights, canal, market = villages
    sign_and_confirm(canal, 30, village=3)  # the canal now has 4 in หมู่ 3, the lights 3
    first = api().get("/api/v1/petitions/", {"village": "3", "ordering": "most_in_village", "page_size": 1}).json()
    assert [(r["id"], r["village_signatures"]) for r in first["results"]] == [(canal.pk, 4)]
    second = api().get(first["next"]).json()
    assert [(r["id"], r["village_signatures"]) for r in second["results"]] == [(lights.pk, 3)] and second["next"] is None
    # หมู่ 1: the market (2) before the lights (1), though the lights have more signatures overall
    assert rows(api().get("/api/v1/petitions/", {"village": "1", "ordering": "most_in_village"})) == [
        (market.pk, 2), (lights.pk, 1),
    ]  # fmt: skip
    assert [r for r, _n in rows(api().get("/api/v1/petitions/", {"village": "1", "ordering": "most_supported"}))] == [
        lights.pk, market.pk,
    ]  # fmt: skip


def test_most_in_village_without_a_village_is_a_400_saying_so(api, villages):
    response = api().get("/api/v1/petitions/", {"ordering": "most_in_village"})
    assert response.status_code == 400
    assert "village=N" in " ".join(error_of(response)["details"]["ordering"])
    thai = api().get("/api/v1/petitions/", {"ordering": "most_in_village"}, HTTP_ACCEPT_LANGUAGE="th")
    assert "ใช้ได้เมื่อระบุ village=N" in " ".join(error_of(thai)["details"]["ordering"])
    refused = api().get("/api/v1/petitions/", {"ordering": "bogus"})
    assert "most_in_village" in " ".join(error_of(refused)["details"]["ordering"])


def test_the_page_lists_a_village_most_signed_first_with_its_counts(client, villages):
    lights, canal, market = villages
    sign_and_confirm(canal, 30, village=3)
    page = client.get("/petitions/", {"village": "3", "ordering": "most_in_village"}, HTTP_ACCEPT_LANGUAGE="th")
    html = page.content.decode()
    assert page.status_code == 200 and f"/petitions/{market.pk}/" not in html
    assert html.index(f"/petitions/{canal.pk}/") < html.index(f"/petitions/{lights.pk}/")
    assert "ลงชื่อในหมู่ที่ 3 4 คน" in html and "ลงชื่อในหมู่ที่ 3 3 คน" in html
    assert '<option value="most_in_village" selected>' in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the pages are Thai first; English by choice
    english = client.get("/petitions/", {"village": "3", "ordering": "most_in_village"})
    assert "4 signatures in หมู่ที่ 3" in english.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "th"
    # without a village the sort menu does not offer it, and asking for it is a 400 saying why
    assert 'value="most_in_village"' not in client.get("/petitions/").content.decode()
    refused = client.get("/petitions/", {"ordering": "most_in_village"}, HTTP_ACCEPT_LANGUAGE="th")
    assert refused.status_code == 400 and "ใช้ได้เมื่อระบุ village=N" in refused.content.decode()


def test_a_resident_with_a_village_gets_the_in_my_village_link(client, villages, make_user, org):
    lights, canal, market = villages
    client.force_login(make_user(Role.RESIDENT, org=org, village=Village.objects.get(organisation=org, number=1)))
    html = client.get("/petitions/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert 'href="?village=1&amp;ordering=most_in_village"' in html and "ในหมู่บ้านของฉัน (หมู่ที่ 1)" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    mine = client.get("/petitions/", {"village": "1", "ordering": "most_in_village"})
    html = mine.content.decode()
    assert "In my village (หมู่ที่ 1)" in html and 'aria-current="page" data-testid="my-village"' in html
    assert html.index(f"/petitions/{market.pk}/") < html.index(f"/petitions/{lights.pk}/")
    assert f"/petitions/{canal.pk}/" not in html


def test_no_link_without_a_village_on_the_profile(client, villages, make_user, org):
    client.force_login(make_user(Role.RESIDENT, org=org, village=None))
    assert 'data-testid="my-village"' not in client.get("/petitions/").content.decode()
    client.logout()
    assert 'data-testid="my-village"' not in client.get("/petitions/").content.decode()


def test_the_page_sorts_by_most_signatures(client, villages):
    lights, canal, market = villages  # 4, 3 (1 online + 2 paper) and 2 confirmed signatures
    page = client.get("/petitions/", {"ordering": "most_supported"})
    html = page.content.decode()
    assert page.status_code == 200 and '<option value="most_supported" selected>ลงชื่อมากที่สุด</option>' in html
    assert html.index(f"/petitions/{lights.pk}/") < html.index(f"/petitions/{canal.pk}/") < html.index(f"/petitions/{market.pk}/")
    newest = client.get("/petitions/").content.decode()  # the default is the other way round
    assert newest.index(f"/petitions/{market.pk}/") < newest.index(f"/petitions/{lights.pk}/")


def test_the_village_list_costs_the_same_queries_however_many_petitions(
    api, client, villages, org, make_user, sponsors, moderator
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    query = {"village": "3", "ordering": "most_in_village"}

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as on_api:
            assert api().get("/api/v1/petitions/", query).status_code == 200
        with CaptureQueriesContext(connection) as on_page:
            assert client.get("/petitions/", query).status_code == 200
        return len(on_api), len(on_page)

    before = cost()
    author = make_user(Role.RESIDENT, org=org)
    for n in range(3):
        more = make_petition(org, author, title=f"ขอซ่อมถนนซอย {n + 1}", state="open", sponsors=sponsors, moderator=moderator)
        sign_and_confirm(more, 100 + n, village=3)
    assert len(api().get("/api/v1/petitions/", query).json()["results"]) == 5
    assert cost() == before
