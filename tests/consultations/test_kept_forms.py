"""A refused writing form keeps what the person wrote (issue 15): the page comes back with the error
status, the text in the same form and the errors beside it, instead of a redirect that loses it.
Every text box shows its limit ("0/4000") without JS; static/js/char-count.js only keeps it current."""

import html as htmllib
import re

import pytest
from django.urls import reverse

from consultations.models import Alternative, Comment, Problem, State

from .conftest import add_alternative, add_problem

pytestmark = pytest.mark.django_db
LONG = "ถนน" * 1334  # 4002 characters: past the 4000 a text may have


def textarea(page: str, box_id: str) -> str:
    found = re.search(rf'<textarea id="{box_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, box_id
    return htmllib.unescape(found.group(1))


def limit(page: str, box_id: str) -> str:
    return re.search(rf'data-testid="limit-{box_id}">([^<]*)<', page).group(1)


def test_every_text_box_shows_its_limit_without_js(client, resident, make_consultation):
    c = make_consultation("collaborate", State.PROBLEM_IDENTIFICATION)
    problem = add_problem(c, resident)
    client.force_login(resident)
    page = client.get(c.get_absolute_url()).content.decode()
    assert limit(page, "problem-title") == "0/300" and limit(page, "problem-body") == "0/4000"
    assert limit(page, f"c-p{problem.pk}") == "0/4000"
    assert 'maxlength="4000"' in page and "js/char-count.js" in page


def test_a_refused_problem_comes_back_with_its_text(client, resident, make_consultation):
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    client.force_login(resident)
    response = client.post(reverse("consultations:problem", args=[c.pk]), {"title": "ไฟดับทั้งซอย", "body": LONG})
    assert response.status_code == 400 and not Problem.objects.exists()
    page = response.content.decode()
    assert 'value="ไฟดับทั้งซอย"' in page and textarea(page, "problem-body") == LONG
    assert limit(page, "problem-body") == "4002/4000" and 'data-testid="form-errors"' in page
    assert "4000" in re.search(r'data-testid="form-errors">(.*?)</ul>', page, re.S).group(1)


def test_a_refused_alternative_keeps_its_text_and_its_problems(client, resident, make_consultation):
    c = make_consultation("collaborate", State.ALTERNATIVES)
    road, light = add_problem(c, resident), add_problem(c, resident, title="ไฟดับ")
    client.force_login(resident)
    response = client.post(
        reverse("consultations:alternative", args=[c.pk]), {"title": "x" * 301, "body": "รายละเอียด", "problem_ids": [light.pk]}
    )
    assert response.status_code == 400 and not Alternative.objects.exists()
    page = response.content.decode()
    assert f'value="{"x" * 301}"' in page and textarea(page, "alt-body") == "รายละเอียด"
    assert f'value="{light.pk}" checked' in page and f'value="{road.pk}" checked' not in page
    assert limit(page, "alt-title") == "301/300"


def test_a_refused_comment_or_reply_comes_back_in_its_own_form(client, resident, make_consultation):
    c = make_consultation("collaborate", State.DELIBERATION)
    alternative = add_alternative(c)
    root = Comment.objects.create(consultation=c, author=resident, body="เห็นด้วย")
    client.force_login(resident)
    url = reverse("consultations:comment", args=[c.pk])
    response = client.post(url, {"body": LONG, "alternative_id": alternative.pk})
    assert response.status_code == 400 and Comment.objects.count() == 1
    page = response.content.decode()
    assert textarea(page, f"c-a{alternative.pk}") == LONG and textarea(page, "c-c") == ""
    assert limit(page, f"c-a{alternative.pk}") == "4002/4000"
    assert page.count('data-testid="form-errors"') == 1 and page.count("<details open>") == 1
    response = client.post(url, {"body": LONG, "parent_id": root.pk})
    page = response.content.decode()
    assert response.status_code == 400 and textarea(page, f"reply-{root.pk}") == LONG
    assert textarea(page, f"c-a{alternative.pk}") == ""
    assert client.post(url, {"body": "ขอบคุณ", "parent_id": root.pk}).status_code == 302  # accepted: back to the page


def test_the_api_refuses_the_same_text(api, resident, make_consultation):
    c = make_consultation("collaborate", State.DELIBERATION)
    answer = api(resident).post(f"/api/v1/consultations/{c.pk}/comments/", {"body": LONG}, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid" and not Comment.objects.exists()
