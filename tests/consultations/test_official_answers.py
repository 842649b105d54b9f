"""Staff answer as the municipality (issue 15): `official: true` comments, also in stages where
residents cannot comment, marked "คำตอบจากเทศบาล" on the page and `official` in the API."""

import pytest

from consultations import services
from consultations.models import Comment, State
from notifications.models import OutboxEvent
from workflows.errors import PermissionDenied, TransitionNotAllowed
from workflows.models import AuditEntry


def _asked(make_consultation, residents, state=State.DECIDING):
    from .conftest import force_state

    c = make_consultation("consult", State.DELIBERATION)
    question = services.comment_post(consultation=c, actor=residents[0], body="งบประมาณมาจากไหน")
    return force_state(c, state), question


def test_staff_answer_officially_where_residents_cannot_comment(make_consultation, residents, moderator, clerk):
    c, question = _asked(make_consultation, residents)
    with pytest.raises(TransitionNotAllowed):  # residents still cannot comment while deciding
        services.comment_post(consultation=c, actor=residents[1], body="ขอถามด้วย")
    with pytest.raises(TransitionNotAllowed):  # nor staff without speaking officially
        services.comment_post(consultation=c, actor=moderator, body="ความเห็นส่วนตัว")
    with pytest.raises(PermissionDenied):  # and a resident cannot speak for the municipality
        services.comment_post(consultation=c, actor=residents[1], body="ตอบแทน", official=True)
    answer = services.comment_post(consultation=c, actor=clerk, body="จากงบเทศบัญญัติ 2569", parent_id=question.pk, official=True)
    assert (answer.official, answer.by_staff, answer.visibility, answer.parent_id) == (True, True, "published", question.pk)
    assert Comment.objects.count() == 2
    entry = AuditEntry.objects.get(name="official_answer")
    assert entry.record_id == str(answer.pk) and entry.payload["body"] == "จากงบเทศบัญญัติ 2569"
    told = OutboxEvent.objects.get(event="consultation.comment_reply")
    assert told.audience == {"users": [residents[0].pk]} and told.data["official"] is True


def test_not_after_the_consultation_is_closed(make_consultation, residents, moderator):
    c, question = _asked(make_consultation, residents, State.CLOSED)
    with pytest.raises(TransitionNotAllowed):
        services.comment_post(consultation=c, actor=moderator, body="ตอบ", parent_id=question.pk, official=True)


def test_the_api_takes_and_shows_official(make_consultation, residents, moderator, api):
    c, question = _asked(make_consultation, residents)
    url = f"/api/v1/consultations/{c.pk}/comments/"
    refused = api(residents[1]).post(url, {"body": "ตอบแทน", "parent_id": question.pk, "official": True}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    closed = api(residents[1]).post(url, {"body": "ถามอีก"}, format="json")
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "not_in_stage"
    response = api(moderator).post(url, {"body": "จากงบเทศบัญญัติ", "parent_id": question.pk, "official": True}, format="json")
    assert response.status_code == 201, response.content
    rows = {r["id"]: r for r in api().get(url).json()["results"]}
    assert rows[response.json()["id"]]["official"] is True and rows[question.pk]["official"] is False
    assert api(moderator).get(f"/api/v1/consultations/{c.pk}/").json()["can"]["comment_official"] is True
    assert api(residents[1]).get(f"/api/v1/consultations/{c.pk}/").json()["can"]["comment_official"] is False


def test_the_page_offers_staff_the_official_form_and_marks_the_answer(make_consultation, residents, moderator, client):
    c, question = _asked(make_consultation, residents)
    client.force_login(residents[1])
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert 'name="official"' not in page and f'name="parent_id" value="{question.pk}"' not in page
    client.force_login(moderator)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert '<input type="hidden" name="official" value="1">' in page
    response = client.post(
        f"/consultations/{c.pk}/comments/", {"body": "ตอบจากหน้าเว็บ", "parent_id": question.pk, "official": "1"}
    )
    assert response.status_code == 302
    assert Comment.objects.get(body="ตอบจากหน้าเว็บ").official is True
    page = client.get(f"/consultations/{c.pk}/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert 'data-testid="official">คำตอบจากเทศบาล</span>' in page


def test_during_the_hearing_staff_choose_to_answer_officially(make_consultation, residents, moderator, client):
    c, question = _asked(make_consultation, residents, State.DELIBERATION)
    client.force_login(moderator)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert 'data-testid="official-check"' in page
    client.post(f"/consultations/{c.pk}/comments/", {"body": "ความเห็นเจ้าหน้าที่", "parent_id": question.pk})
    assert Comment.objects.get(body="ความเห็นเจ้าหน้าที่").official is False
