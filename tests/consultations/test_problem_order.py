"""While supports are open, problems are listed in a neutral order: random per visitor (md5 of the
id and the visitor's seed) and the same on every request of theirs; the support count is shown.
Once supports close, the most supported come first. The page and the API agree."""

import hashlib
import re

import pytest
from django.test import Client

from consultations import selectors
from consultations.api import order_seed
from consultations.models import State, Support

from .conftest import add_problem, force_state

pytestmark = pytest.mark.django_db


def md5_order(problems, seed: str) -> list[int]:
    return [p.pk for p in sorted(problems, key=lambda p: (hashlib.md5(f"{p.pk}{seed}".encode()).hexdigest(), p.pk))]


@pytest.fixture
def open_for_supports(make_consultation, residents):
    """An involve consultation in problem identification: 12 problems, the first raised the most supported."""
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    problems = [add_problem(c, residents[i % 3], title=f"ปัญหาที่ {i}") for i in range(12)]
    for n, p in enumerate(problems[:3]):
        for r in residents[: 3 - n]:
            Support.objects.create(problem=p, user=r)
    return c, problems


def ids_in(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="problem-(\d+)" data-testid="problem"', page)]


def test_it_orders_by_md5_of_id_and_seed_while_supports_are_open(open_for_supports, residents):
    c, problems = open_for_supports
    first = [p.pk for p in selectors.problems_for(c, residents[0], seed="aaaa")]
    other = [p.pk for p in selectors.problems_for(c, residents[0], seed="bbbb")]
    assert first == md5_order(problems, "aaaa") and other == md5_order(problems, "bbbb")
    assert first != other  # two visitors, two orders
    assert first == [p.pk for p in selectors.problems_for(c, residents[0], seed="aaaa")]  # stable for one visitor
    by_support = [p.pk for p in problems[:3]]
    assert first[:3] != by_support
    supports = {p.pk: p.n_supports for p in selectors.problems_for(c, residents[0], seed="aaaa")}
    assert [supports[pk] for pk in by_support] == [3, 2, 1]  # the counts are still there


def test_it_orders_by_support_once_supports_close(open_for_supports, residents):
    c, problems = open_for_supports
    c = force_state(c, State.DELIBERATION)
    assert not selectors.supports_open(c)
    ordered = [p.pk for p in selectors.problems_for(c, residents[0], seed="aaaa")]
    assert ordered == [p.pk for p in problems]  # 3, 2, 1 supporters, then the rest by id
    assert ordered == [p.pk for p in selectors.problems_for(c, residents[0], seed="bbbb")]


def test_the_api_gives_each_visitor_their_own_stable_order(open_for_supports, residents, api):
    c, problems = open_for_supports
    url = f"/api/v1/consultations/{c.pk}/problems/"
    orders = []
    for person in residents[:2]:
        client = api(person)
        got = [[p["id"] for p in client.get(url).json()["results"]] for _ in range(2)]
        assert got[0] == got[1]
        orders.append(got[0])
        rows = {p["id"]: p["supporters"] for p in client.get(url).json()["results"]}
        assert rows[problems[0].pk] == 3 and rows[problems[1].pk] == 2
    assert orders[0] != orders[1]
    # An anonymous visitor's seed lives in their session: stable while their cookie is kept.
    anonymous = Client()
    first = [p["id"] for p in anonymous.get(url).json()["results"]]
    assert "sessionid" in anonymous.cookies
    assert first == [p["id"] for p in anonymous.get(url).json()["results"]]
    assert first == md5_order(problems, anonymous.session["consultations:problem_order_seed"])


def test_the_api_orders_by_support_after_the_stage(open_for_supports, residents, api):
    c, problems = open_for_supports
    force_state(c, State.DELIBERATION)
    rows = api(residents[0]).get(f"/api/v1/consultations/{c.pk}/problems/").json()["results"]
    assert [p["id"] for p in rows] == [p.pk for p in problems]
    assert [p["supporters"] for p in rows[:4]] == [3, 2, 1, 0]
    assert "sessionid" not in Client().get(f"/api/v1/consultations/{c.pk}/problems/").cookies  # no seed needed


def test_the_page_and_the_api_list_the_same_order(open_for_supports, residents, client):
    c, problems = open_for_supports
    client.force_login(residents[1])
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    api_order = [p["id"] for p in client.get(f"/api/v1/consultations/{c.pk}/problems/").json()["results"]]
    assert ids_in(page) == api_order
    request = client.get(f"/consultations/{c.pk}/").wsgi_request
    assert api_order == md5_order(problems, order_seed(request, c))
    assert 'data-testid="problem-order"' in page
    assert sorted(int(n) for n in re.findall(r'data-testid="supporters">\D*(\d+)', page))[-3:] == [1, 2, 3]
    anonymous = Client()
    page = anonymous.get(f"/consultations/{c.pk}/").content.decode()
    assert ids_in(page) == [p["id"] for p in anonymous.get(f"/api/v1/consultations/{c.pk}/problems/").json()["results"]]
    assert ids_in(page) == md5_order(problems, anonymous.session["consultations:problem_order_seed"])


def test_the_page_orders_by_support_after_the_stage(open_for_supports, residents, client):
    c, problems = open_for_supports
    force_state(c, State.DELIBERATION)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert ids_in(page) == [p.pk for p in problems]
    assert 'data-testid="problem-order"' not in page
