"""Answering: once per account, or without an account per device where allowed; bad answers are
a 400 naming each question and write nothing; closed or draft surveys take no answers."""

import datetime as dt

import pytest
from django.utils import timezone

from surveys.models import Answer, Response, Survey
from workflows.services import deadlines_advance, transition

from .conftest import answers_for


def test_a_resident_answers_on_the_page_once(client, make_survey, resident):
    s = make_survey("open")
    client.force_login(resident)
    single, multiple, rate, free = s.questions.order_by("order")
    form = {f"q{single.pk}": single.choices.first().pk, f"q{multiple.pk}": [c.pk for c in multiple.choices.all()],
            f"q{rate.pk}": "4", f"q{free.pk}": "ขอเพิ่มเก้าอี้"}  # fmt: skip
    assert client.post(f"/surveys/{s.pk}/answer/", form).status_code == 302
    page = client.get(f"/surveys/{s.pk}/").content.decode()
    assert "ท่านตอบแบบสอบถามนี้แล้ว" in page and 'data-testid="survey-answer"' not in page
    client.post(f"/surveys/{s.pk}/answer/", form)
    assert Response.objects.count() == 1
    assert Answer.objects.filter(question=multiple).count() == 3


def test_the_api_refuses_a_second_answer_with_409(api, make_survey, resident):
    s = make_survey("open")
    url = f"/api/v1/surveys/{s.pk}/responses/"
    assert api(resident).post(url, {"answers": answers_for(s)}, format="json").status_code == 201
    response = api(resident).post(url, {"answers": answers_for(s)}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_answered"


def test_without_an_account_only_where_allowed(api, make_survey):
    closed_to_public = make_survey("open")
    response = api().post(
        f"/api/v1/surveys/{closed_to_public.pk}/responses/", {"answers": answers_for(closed_to_public)}, format="json"
    )
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert not Response.objects.exists()


def test_without_an_account_each_device_answers_up_to_the_limit(client, make_survey):
    s = make_survey("open", allow_anonymous=True, device_limit=2)
    page = client.get(f"/surveys/{s.pk}/")
    assert "ruamkid_device" in page.cookies  # the device cookie, set by the survey page
    single, multiple, rate, free = s.questions.order_by("order")
    form = {f"q{single.pk}": single.choices.first().pk, f"q{rate.pk}": "3"}
    for _ in range(3):
        client.post(f"/surveys/{s.pk}/answer/", form)
    assert Response.objects.filter(survey=s).count() == 2
    assert Response.objects.filter(user__isnull=True).values("device").distinct().count() == 1
    other = client.__class__()
    other.get(f"/surveys/{s.pk}/")
    other.post(f"/surveys/{s.pk}/answer/", form)
    assert Response.objects.filter(survey=s).count() == 3  # another device


def test_a_device_without_the_cookie_is_refused(api, make_survey):
    s = make_survey("open", allow_anonymous=True)
    response = api().post(f"/api/v1/surveys/{s.pk}/responses/", {"answers": answers_for(s)}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_device"


@pytest.mark.parametrize(
    "change",
    [
        lambda a, qs: a.update({str(qs[0].pk): qs[1].choices.first().pk}),  # a choice of another question
        lambda a, qs: a.update({str(qs[0].pk): [c.pk for c in qs[0].choices.all()]}),  # two for a single choice
        lambda a, qs: a.update({str(qs[2].pk): 6}),
        lambda a, qs: a.update({str(qs[2].pk): "ดี"}),
        lambda a, qs: a.pop(str(qs[2].pk)),  # a required rating missing
        lambda a, qs: a.update({str(qs[3].pk): "ก" * 1001}),
        lambda a, qs: a.update({"999999": 1}),
    ],
)
def test_bad_answers_are_a_400_naming_the_question_and_write_nothing(change, api, make_survey, resident):
    s = make_survey("open")
    answers = answers_for(s)
    change(answers, list(s.questions.order_by("order")))
    response = api(resident).post(f"/api/v1/surveys/{s.pk}/responses/", {"answers": answers}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["details"]
    assert not Response.objects.exists() and not Answer.objects.exists()


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_a_survey_that_is_not_open_takes_no_answers(state, api, make_survey, resident, moderator):
    s = make_survey(state)
    user = moderator if state == "draft" else resident  # a draft is seen only by staff
    response = api(user).post(f"/api/v1/surveys/{s.pk}/responses/", {"answers": answers_for(s)}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "survey_closed"


def test_a_draft_is_seen_only_by_staff(api, client, make_survey, resident, moderator):
    s = make_survey()
    assert api(resident).get(f"/api/v1/surveys/{s.pk}/").status_code == 404
    assert client.get(f"/surveys/{s.pk}/").status_code == 404
    assert api(moderator).get(f"/api/v1/surveys/{s.pk}/").json()["state"] == "draft"
    assert [x["id"] for x in api().get("/api/v1/surveys/").json()["results"]] == []


def test_opening_needs_questions_and_an_end_and_closes_on_time_by_deadline(make_survey, moderator):
    empty = make_survey(questions=False)
    assert _refused(lambda: transition(empty, "open", actor=moderator))  # no questions
    s = make_survey()
    s = transition(s, "open", actor=moderator)
    assert s.state == "open" and s.opens_at is not None
    Survey.objects.filter(pk=s.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    from workflows.models import Deadline

    Deadline.objects.filter(record_id=str(s.pk), record_type="surveys.survey").update(due_at=timezone.now())
    assert deadlines_advance()["applied"] == 1
    assert Survey.objects.get(pk=s.pk).state == "closed"


def _refused(fn) -> bool:
    from workflows.errors import TransitionNotAllowed

    try:
        fn()
    except TransitionNotAllowed:
        return True
    return False


def test_staff_attach_a_survey_to_a_consultation_of_their_municipality(client, org, moderator, other_org):
    from consultations import services as consultation_services

    c = consultation_services.consultation_create(organisation=org, actor=moderator, title="แผนพัฒนาท้องถิ่น", level="consult")
    Survey.objects.all().delete()
    client.force_login(moderator)
    assert "แผนพัฒนาท้องถิ่น" not in client.get("/surveys/new/").content.decode()  # a draft consultation is not offered
    from consultations.models import Consultation

    Consultation.objects.filter(pk=c.pk).update(state="informing")
    assert "แผนพัฒนาท้องถิ่น" in client.get("/surveys/new/").content.decode()
    client.post("/surveys/new/", {"title": "ประเมินเวทีประชาคม", "subject": "consultation", "consultation": c.pk})
    assert Survey.objects.get().consultation_id == c.pk
