"""The search page (/search/, linked from the header) over the demo's petitions and consultations,
and the filter forms of the list pages: they keep the values, refuse unknown ones with a message
(not a 500), and work without JS (plain GET forms)."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role, Village
from consultations import demo as consultation_demo
from petitions import demo as petition_demo
from petitions.models import Petition

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(org, make_user, moderator, clerk):
    villages = list(org.villages.all())
    residents = [make_user(Role.RESIDENT, org=org, village=villages[i % 5]) for i in range(6)]
    users = {"residents": residents, "resident": residents[0], "moderator": moderator, "clerk": clerk, "admin": clerk}
    petition_demo.seed(org, users)
    consultation_demo.seed(org, users)
    return users


def test_it_finds_the_demo_street_lights_for_a_thai_word_and_not_the_waste_one(client, demo):
    page = client.get("/search/", {"q": "ไฟส่องสว่าง"})
    assert page.status_code == 200
    html = page.content.decode()
    lights = Petition.objects.get(title__contains="ไฟส่องสว่างถนน")
    waste = Petition.objects.get(kind="ordinance")
    assert f'href="/petitions/{lights.pk}/"' in html and f'href="/petitions/{waste.pk}/"' not in html
    assert "ไฟส่องสว่างทางหลวงท้องถิ่นไม่เพียงพอ" in html  # the demo consultation's problem
    assert "ติดตั้งไฟส่องสว่างพลังงานแสงอาทิตย์ 40 จุด" in html  # and its alternative
    waste_page = client.get("/search/", {"q": "มูลฝอย"}).content.decode()
    assert f'href="/petitions/{waste.pk}/"' in waste_page and f'href="/petitions/{lights.pk}/"' not in waste_page
    # the petition list's own search agrees
    listed = client.get("/petitions/", {"q": "ไฟส่องสว่าง"}).content.decode()
    assert f'href="/petitions/{lights.pk}/"' in listed and f'href="/petitions/{waste.pk}/"' not in listed


def test_short_empty_and_unmatched_queries(client, demo):
    assert 'data-testid="search-link"' in client.get("/").content.decode()
    empty = client.get("/search/")
    assert empty.status_code == 200 and "ไฟส่องสว่าง" in empty.content.decode()  # an example, no results
    short = client.get("/search/", {"q": "ไ"})
    assert short.status_code == 400 and 'data-testid="search-error"' in short.content.decode()
    assert client.get("/search/", {"q": "x" * 101}).status_code == 400
    none = client.get("/search/", {"q": "helicopter"})
    assert none.status_code == 200 and 'data-testid="search-nothing"' in none.content.decode()
    english = client.get("/search/", {"q": "zzz"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200


def test_the_petition_list_filters_keep_values_and_refuse_unknown_ones(client, demo):
    page = client.get("/petitions/", {"q": "ถนน", "ordering": "most_supported", "village": "3"})
    html = page.content.decode()
    assert page.status_code == 200 and 'value="ถนน"' in html
    assert '<option value="most_supported" selected>' in html and '<option value="3" selected>' in html
    for bogus in ({"state": "bogus"}, {"ordering": "bogus"}, {"village": "3.5"}):
        refused = client.get("/petitions/", bogus)
        body = refused.content.decode()
        assert refused.status_code == 400 and 'data-testid="filter-errors"' in body, bogus
    assert "most_supported" in client.get("/petitions/", {"ordering": "bogus"}).content.decode()


def test_the_waiting_list_shows_days_waited_oldest_first(client, demo):
    lights = Petition.objects.get(title__contains="ไฟส่องสว่างถนน")
    canal = Petition.objects.get(title__contains="คลอง")
    now = timezone.now()
    Petition.objects.filter(pk=lights.pk).update(
        response_state="awaiting_response", response_threshold_reached_at=now - dt.timedelta(days=3, hours=2)
    )
    Petition.objects.filter(pk=canal.pk).update(
        response_state="awaiting_response", response_threshold_reached_at=now - dt.timedelta(days=20, hours=2)
    )
    html = client.get("/petitions/", {"waiting": "response"}).content.decode()
    assert html.index(f"/petitions/{canal.pk}/") < html.index(f"/petitions/{lights.pk}/")
    assert html.count('data-testid="days-waited"') == 2 and "20" in html


def test_a_resident_with_a_village_gets_the_my_village_link(client, demo, make_user, org):
    lights = Petition.objects.get(title__contains="ไฟส่องสว่างถนน")
    user = make_user(Role.RESIDENT, org=org, village=Village.objects.get(organisation=org, number=3))
    client.force_login(user)
    html = client.get("/petitions/").content.decode()
    assert 'href="?village=3&amp;ordering=most_in_village"' in html
    mine = client.get("/petitions/", {"village": "3", "ordering": "most_in_village"}).content.decode()
    assert f"/petitions/{lights.pk}/" in mine


def test_the_consultation_list_filters(client, demo):
    page = client.get("/consultations/", {"level": "involve"})
    html = page.content.decode()
    assert page.status_code == 200 and "ปรับปรุงสวนสาธารณะ" in html and "ประชาคมจัดทำแผนพัฒนาท้องถิ่น" not in html
    assert '<option value="involve" selected>' in html
    found = client.get("/consultations/", {"q": "ไฟส่องสว่าง"}).content.decode()
    assert "ประชาคมจัดทำแผนพัฒนาท้องถิ่น" in found and "เผยแพร่รายงานผลการดำเนินงาน" not in found
    refused = client.get("/consultations/", {"level": "bogus", "month": "2021-10"})
    assert refused.status_code == 400 and "collaborate" in refused.content.decode()
