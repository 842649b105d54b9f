"""A refused moderation act keeps the reason the moderator typed (issue 15): the moderation page (or
the public page it was sent from) comes back with the error status, the reason and reason code in
that item's form and the error beside it; nothing changed."""

import re

import pytest
from django.urls import reverse

from consultations import services
from consultations.models import Problem, State, Visibility
from workflows.errors import ValidationFailed
from workflows.models import AuditEntry

from .conftest import add_problem

pytestmark = pytest.mark.django_db
REASON = "โฆษณาขายของ ไม่เกี่ยวกับเรื่องนี้"


@pytest.fixture
def waiting(make_consultation, residents):
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION, moderation="pre")
    return c, add_problem(c, residents[0], title="ขายครีม", visibility=Visibility.PENDING)


def test_the_service_and_the_api_refuse_a_removal_without_a_code(waiting, moderator, api):
    c, problem = waiting
    with pytest.raises(ValidationFailed):
        services.moderation_decide(consultation=c, actor=moderator, kind="problem", object_id=problem.pk, outcome="remove")
    answer = api(moderator).post(
        f"/api/v1/consultations/{c.pk}/moderation/",
        {"kind": "problem", "object_id": problem.pk, "outcome": "remove", "reason": REASON},
        format="json",
    )
    assert answer.status_code == 400 and "reason_code" in answer.json()["error"]["details"]
    assert (
        Problem.objects.get(pk=problem.pk).visibility == Visibility.PENDING
        and not AuditEntry.objects.filter(name__startswith="moderation_").exists()
    )


def test_the_moderation_page_keeps_the_typed_reason(waiting, moderator, client):
    c, problem = waiting
    other = add_problem(c, problem.author, title="อีกเรื่อง", visibility=Visibility.PENDING)
    client.force_login(moderator)
    url = reverse("consultations:moderation", args=[c.pk])
    response = client.post(url, {"kind": "problem", "object_id": problem.pk, "outcome": "remove", "reason": REASON})
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count(f'value="{REASON}"') == 1  # in this item's form, not the other's
    form = re.search(rf'<form method="post" id="moderate-problem-{problem.pk}">(.*?)</form>', page, re.S).group(1)
    assert f'value="{REASON}"' in form and 'data-testid="form-errors"' in form
    assert f'id="moderate-problem-{other.pk}"' in page
    assert re.search(rf'data-testid="limit-mr-problem-{problem.pk}">{len(REASON)}/2000<', page)
    assert Problem.objects.get(pk=problem.pk).visibility == Visibility.PENDING
    accepted = client.post(
        url, {"kind": "problem", "object_id": problem.pk, "outcome": "remove", "reason_code": "spam", "reason": "ok"}
    )
    assert accepted.status_code == 302 and Problem.objects.get(pk=problem.pk).visibility == Visibility.REMOVED


def test_the_public_page_keeps_the_reason_typed_there(make_consultation, residents, moderator, client):
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    problem = add_problem(c, residents[0], title="ขายครีม")
    client.force_login(moderator)
    response = client.post(
        reverse("consultations:moderation", args=[c.pk]),
        {"kind": "problem", "object_id": problem.pk, "outcome": "remove", "reason": REASON, "reason_code": "bogus",
         "next": f"/consultations/{c.pk}/#problem-{problem.pk}"},
    )  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    box = re.search(rf'data-testid="moderate-problem-{problem.pk}">(.*?)</form>', page, re.S).group(1)
    assert f'value="{REASON}"' in box and "<details open>" in box and 'data-testid="form-errors"' in box
    assert Problem.objects.get(pk=problem.pk).visibility == Visibility.PUBLISHED
