"""In Chromium: staff open the standard satisfaction survey; a resident without an account answers
it on a phone once; the results show the answer as bars."""

import pytest
from django.test import Client

from accounts.models import Role
from surveys.models import Response, Survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _as(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def test_staff_open_the_standard_survey_and_a_resident_answers_it(page, live_server, org, make_user):
    moderator = make_user(Role.MODERATOR, org=org, email="staff@example.com")
    _as(page, live_server, moderator)
    page.goto("/surveys/new/")
    page.get_by_test_id("survey-template").get_by_role("button").click()
    page.get_by_test_id("move-open").get_by_role("button").click()
    assert page.get_by_test_id("survey-state").inner_text() == "เปิดให้ตอบ"
    survey = Survey.objects.get()

    page.context.clear_cookies()
    page.goto("/surveys/")
    page.get_by_role("link", name=survey.title).click()
    form = page.get_by_test_id("survey-answer")
    questions = form.get_by_test_id("question")
    questions.nth(0).get_by_label("งานทะเบียนราษฎรและบัตรประจำตัวประชาชน").check()
    for i in range(1, 6):
        questions.nth(i).get_by_label("5").check()
    questions.nth(6).get_by_label("LINE Official Account").check()
    questions.nth(7).locator("textarea").fill("ขอให้เปิดบริการวันเสาร์")
    page.get_by_test_id("survey-submit").click()
    page.get_by_test_id("answered").wait_for()
    assert page.get_by_test_id("survey-answer").count() == 0  # once per device
    assert Response.objects.filter(survey=survey, user__isnull=True).count() == 1

    page.get_by_test_id("results-link").click()
    assert page.get_by_test_id("responses").inner_text() == "1"
    assert page.get_by_test_id("mean").first.inner_text() == "5.0"
    assert "ขอให้เปิดบริการวันเสาร์" not in page.content()  # not moderated yet
