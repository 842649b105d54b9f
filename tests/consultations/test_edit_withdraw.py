"""Authors edit what they wrote within a window while nobody supported or answered it, and withdraw
it later with a reason (issue 15): 409 edit_window_closed / already_answered, "withdrawn by its
author" in place of the text, both audited."""

import datetime as dt

import pytest
from django.utils import timezone

from consultations import services
from consultations.models import (
    Alternative,
    Ballot,
    BallotChoice,
    Comment,
    ConsultationPolicy,
    Problem,
    State,
    Support,
    Visibility,
)
from workflows.errors import Conflict, PermissionDenied
from workflows.models import AuditEntry

from .conftest import add_alternative


def _problem(make_consultation, residents, **kw):
    c = make_consultation("collaborate", State.PROBLEM_IDENTIFICATION, **kw)
    return c, services.problem_submit(consultation=c, actor=residents[0], title="ถนนชำรุ", body="หมู่ 2")


def _age(item, minutes):
    type(item).objects.filter(pk=item.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes))


def test_the_author_edits_within_the_window_and_it_is_audited(make_consultation, residents):
    c, problem = _problem(make_consultation, residents)
    edited = services.contribution_edit(consultation=c, actor=residents[0], kind="problem", object_id=problem.pk,
                                        title="ถนนชำรุด", body="หมู่ 2 หน้าวัด")  # fmt: skip
    assert (edited.title, edited.body, edited.edited_at is not None) == ("ถนนชำรุด", "หมู่ 2 หน้าวัด", True)
    entry = AuditEntry.objects.get(name="contribution_edit")
    assert entry.record_id == str(problem.pk) and entry.payload["title"] == "ถนนชำรุด"
    with pytest.raises(PermissionDenied):  # nobody else
        services.contribution_edit(consultation=c, actor=residents[1], kind="problem", object_id=problem.pk, title="x")


def test_after_the_window_it_is_edit_window_closed(make_consultation, residents, org):
    c, problem = _problem(make_consultation, residents)
    _age(problem, 16)
    with pytest.raises(Conflict) as caught:
        services.contribution_edit(consultation=c, actor=residents[0], kind="problem", object_id=problem.pk, title="x")
    assert caught.value.code == "edit_window_closed"
    ConsultationPolicy.objects.create(organisation=org, edit_minutes=30)  # the organisation's own window
    services.contribution_edit(consultation=c, actor=residents[0], kind="problem", object_id=problem.pk, title="แก้แล้ว")
    assert Problem.objects.get(pk=problem.pk).title == "แก้แล้ว"


def test_once_supported_or_answered_it_is_already_answered(make_consultation, residents):
    c, problem = _problem(make_consultation, residents)
    services.problem_support(problem=problem, actor=residents[0])  # the author's own support does not count
    services.contribution_edit(consultation=c, actor=residents[0], kind="problem", object_id=problem.pk, title="ยังแก้ได้")
    Support.objects.create(problem=problem, user=residents[1])
    with pytest.raises(Conflict) as caught:
        services.contribution_edit(consultation=c, actor=residents[0], kind="problem", object_id=problem.pk, title="x")
    assert caught.value.code == "already_answered"
    comment = services.comment_post(consultation=c, actor=residents[0], body="ความเห็น")
    services.comment_post(consultation=c, actor=residents[1], body="ตอบ", parent_id=comment.pk)
    with pytest.raises(Conflict) as caught:
        services.contribution_edit(consultation=c, actor=residents[0], kind="comment", object_id=comment.pk, body="x")
    assert caught.value.code == "already_answered"
    assert Comment.objects.get(pk=comment.pk).body == "ความเห็น"


def test_withdrawing_shows_the_notice_in_place_of_the_text_and_is_audited(make_consultation, residents, api, client):
    c, problem = _problem(make_consultation, residents)
    Support.objects.create(problem=problem, user=residents[1])
    _age(problem, 60)  # later than the edit window: withdrawing is still possible
    services.contribution_withdraw(consultation=c, actor=residents[0], kind="problem", object_id=problem.pk, reason="ซ่อมแล้ว")
    problem.refresh_from_db()
    assert (problem.visibility, problem.withdrawn_reason) == (Visibility.WITHDRAWN, "ซ่อมแล้ว")
    entry = AuditEntry.objects.get(name="contribution_withdraw")
    assert (entry.reason, entry.from_state, entry.to_state) == ("ซ่อมแล้ว", "published", "withdrawn")
    (row,) = api().get(f"/api/v1/consultations/{c.pk}/problems/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert (row["title"], row["body"], row["visibility"]) == ("withdrawn by its author", "", "withdrawn")
    page = client.get(f"/consultations/{c.pk}/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert "ถอนโดยผู้เขียน" in page and "ถนนชำรุ" not in page
    record = api().get(f"/api/v1/consultations/{c.pk}/record/", HTTP_ACCEPT_LANGUAGE="th").json()
    (item,) = [i for i in record["inputs"] if i["type"] == "problem"]
    assert (item["title"], item["withdrawn"], record["said"]["supports"]) == ("ถอนโดยผู้เขียน", True, 0)
    with pytest.raises(Conflict):
        services.contribution_withdraw(consultation=c, actor=residents[0], kind="problem", object_id=problem.pk, reason="x")
    with pytest.raises(Conflict):  # nor can it be supported, edited or moderated back
        services.contribution_edit(consultation=c, actor=residents[0], kind="problem", object_id=problem.pk, title="x")


def test_an_alternative_with_votes_cannot_be_withdrawn(make_consultation, residents):
    c = make_consultation("collaborate", State.ALTERNATIVES)
    alt = services.alternative_create(consultation=c, actor=residents[0], title="ทางเลือกของฉัน")
    from .conftest import force_state

    c = force_state(c, State.DELIBERATION)
    BallotChoice.objects.create(ballot=Ballot.objects.create(consultation=c, voter=residents[1]), alternative=alt)
    with pytest.raises(Conflict) as caught:
        services.contribution_withdraw(consultation=c, actor=residents[0], kind="alternative", object_id=alt.pk, reason="x")
    assert caught.value.code == "has_votes"
    assert Alternative.objects.get(pk=alt.pk).visibility == Visibility.PUBLISHED


def test_the_api_edits_and_withdraws_with_the_documented_codes(make_consultation, residents, api):
    c, problem = _problem(make_consultation, residents)
    base = f"/api/v1/consultations/{c.pk}"
    ok = api(residents[0]).patch(f"{base}/problems/{problem.pk}/", {"title": "ถนนชำรุด"}, format="json")
    assert ok.status_code == 200 and ok.json()["title"] == "ถนนชำรุด" and ok.json()["edited_at"]
    assert api(residents[1]).patch(f"{base}/problems/{problem.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api().patch(f"{base}/problems/{problem.pk}/", {"title": "x"}, format="json").status_code == 401
    comment = services.comment_post(consultation=c, actor=residents[0], body="ความเห็น")
    services.comment_post(consultation=c, actor=residents[1], body="ตอบ", parent_id=comment.pk)
    answered = api(residents[0]).patch(f"{base}/comments/{comment.pk}/", {"body": "แก้"}, format="json")
    assert answered.status_code == 409 and answered.json()["error"]["code"] == "already_answered"
    _age(problem, 20)
    late = api(residents[0]).patch(f"{base}/problems/{problem.pk}/", {"title": "x"}, format="json")
    assert late.status_code == 409 and late.json()["error"]["code"] == "edit_window_closed"
    assert late.json()["error"]["details"]["edit_minutes"] == 15
    no_reason = api(residents[0]).post(f"{base}/comments/{comment.pk}/withdraw/", {}, format="json")
    assert no_reason.status_code == 400
    gone = api(residents[0]).post(f"{base}/comments/{comment.pk}/withdraw/", {"reason": "พิมพ์ผิด"}, format="json")
    assert gone.status_code == 200 and gone.json()["visibility"] == "withdrawn"
    rows = {r["id"]: r for r in api().get(f"{base}/comments/", HTTP_ACCEPT_LANGUAGE="th").json()["results"]}
    assert rows[comment.pk]["body"] == "ถอนโดยผู้เขียน" and rows[comment.pk]["withdrawn_at"]
    assert len(rows) == 2  # the reply keeps its place under the withdrawn comment
    missing = api(residents[0]).patch(f"{base}/alternatives/999999/", {"title": "x"}, format="json")
    assert missing.status_code == 404


def test_the_page_offers_edit_and_withdraw_to_the_author_only(make_consultation, residents, client):
    c, problem = _problem(make_consultation, residents)
    alt = add_alternative(c, residents[1], title="ของคนอื่น", by_staff=False)
    client.force_login(residents[0])
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert f'data-testid="edit-problem-{problem.pk}"' in page and f'data-testid="withdraw-problem-{problem.pk}"' in page
    assert f'data-testid="own-alternative-{alt.pk}"' not in page
    response = client.post(f"/consultations/{c.pk}/problem/{problem.pk}/edit/", {"title": "ถนนชำรุด", "body": "หน้าวัด"})
    assert response.status_code == 302 and response.url.endswith(f"#problem-{problem.pk}")
    assert Problem.objects.get(pk=problem.pk).body == "หน้าวัด"
    _age(problem, 20)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert f'data-testid="edit-problem-{problem.pk}"' not in page and f'data-testid="withdraw-problem-{problem.pk}"' in page
    late = client.post(f"/consultations/{c.pk}/problem/{problem.pk}/edit/", {"title": "x"}, follow=True)
    assert "15" in late.content.decode() and Problem.objects.get(pk=problem.pk).title == "ถนนชำรุด"
    client.post(f"/consultations/{c.pk}/problem/{problem.pk}/withdraw/", {"reason": "ซ้ำ"})
    assert Problem.objects.get(pk=problem.pk).visibility == Visibility.WITHDRAWN
    page = client.get(f"/consultations/{c.pk}/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert "ถอนโดยผู้เขียน" in page and "หน้าวัด" not in page
