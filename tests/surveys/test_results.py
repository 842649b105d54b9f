"""Results: counts per choice, rating distribution and mean, as bars on the page and in CSV; text
answers only after a moderator publishes them; the satisfaction template and its yearly figures."""

import datetime as dt

from django.core.management import call_command
from django.utils import timezone

from surveys import selectors, services
from surveys.models import Answer, Response, Survey
from workflows.models import AuditEntry

from .conftest import answers_for, force_state


def _answered(make_survey, make_user, org):
    from accounts.models import Role

    s = make_survey("open")
    for rating, text in ((5, "บริการรวดเร็ว"), (4, "อยากให้มีบัตรคิว"), (2, "")):
        services.response_submit(
            survey=s, actor=make_user(Role.RESIDENT, org=org), answers=answers_for(s, rating=rating, text=text)
        )
    return s


def test_results_count_choices_and_ratings_and_hide_unmoderated_text(api, make_survey, make_user, org):
    s = _answered(make_survey, make_user, org)
    body = api().get(f"/api/v1/surveys/{s.pk}/results/").json()
    single, multiple, rating, text = body["questions"]
    assert body["responses"] == 3
    assert [c["count"] for c in single["choices"]] == [3, 0] and single["choices"][0]["percent"] == 100
    assert [c["count"] for c in multiple["choices"]] == [3, 3, 0]
    assert rating["mean"] == 3.67 and [r["count"] for r in rating["ratings"]] == [0, 1, 0, 1, 1]
    assert text["texts"] == []  # none published yet


def test_a_moderator_publishes_a_text_answer_and_it_is_audited(client, api, make_survey, make_user, org, moderator):
    s = _answered(make_survey, make_user, org)
    client.force_login(moderator)
    page = client.get(f"/surveys/{s.pk}/moderation/").content.decode()
    assert "บริการรวดเร็ว" in page and "อยากให้มีบัตรคิว" in page
    good = Answer.objects.get(text="บริการรวดเร็ว")
    bad = Answer.objects.get(text="อยากให้มีบัตรคิว")
    client.post(f"/surveys/{s.pk}/moderation/", {"answer": good.pk, "publish": "1"})
    client.post(f"/surveys/{s.pk}/moderation/", {"answer": bad.pk, "publish": "0"})
    assert api().get(f"/api/v1/surveys/{s.pk}/results/").json()["questions"][3]["texts"] == ["บริการรวดเร็ว"]
    assert list(AuditEntry.objects.filter(record_type="surveys.answer").values_list("name", flat=True)) == [
        "survey_answer_publish", "survey_answer_hide",
    ]  # fmt: skip


def test_a_resident_cannot_moderate(client, make_survey, resident):
    s = make_survey("open")
    client.force_login(resident)
    assert client.get(f"/surveys/{s.pk}/moderation/").status_code == 404


def test_the_results_page_shows_bars_and_the_csv_the_same_numbers(client, make_survey, make_user, org):
    s = _answered(make_survey, make_user, org)
    page = client.get(f"/surveys/{s.pk}/results/").content.decode()
    assert 'class="bar"' in page and "3.67" in page and "<script" not in page.split("</header>")[1]
    csv = client.get(f"/surveys/{s.pk}/results.csv")
    text = csv.content.decode("utf-8-sig").replace("\r", "")
    assert csv["Content-Type"].startswith("text/csv")
    assert "พอใจเพียงใด,rating,5,1,33,3.67" in text
    assert "อยากให้มีบัตรคิว" not in text  # not published
    assert client.get(f"/api/v1/surveys/{s.pk}/results.csv").content == csv.content


def test_the_standard_satisfaction_survey_is_created_by_a_command_in_thai(org, capsys):
    call_command("survey_template", organisation=org.slug)
    s = Survey.objects.get()
    assert s.template_key == "satisfaction" and s.state == "draft" and s.allow_anonymous
    assert s.title == "แบบสอบถามความพึงพอใจต่อการให้บริการของเทศบาล"
    kinds = list(s.questions.values_list("kind", flat=True))
    assert kinds.count("rating") == 5 and {"single", "multiple", "text"} <= set(kinds)
    assert "8 questions" in capsys.readouterr().out


def test_staff_start_the_standard_survey_from_the_page(client, org, moderator):
    client.force_login(moderator)
    response = client.post("/surveys/new/", {"template": "satisfaction"})
    s = Survey.objects.get()
    assert response["Location"] == f"/surveys/{s.pk}/" and s.closes_at is not None


def test_satisfaction_per_fiscal_year_feeds_the_ita_evidence(client, org, moderator, make_user):
    from accounts.models import Role

    s = services.survey_from_template(organisation=org, actor=moderator, closes_at=timezone.now() + dt.timedelta(days=5))
    s = force_state(s, "open", opens_at=timezone.now() - dt.timedelta(days=1))
    questions = list(s.questions.order_by("order"))
    for rating in (5, 4):
        answers = {str(q.pk): rating for q in questions if q.kind == "rating"}
        answers[str(questions[0].pk)] = questions[0].choices.first().pk
        services.response_submit(survey=s, actor=make_user(Role.RESIDENT, org=org), answers=answers)
    old = Response.objects.first()
    Response.objects.filter(pk=old.pk).update(created_at=timezone.make_aware(dt.datetime(2024, 9, 30, 10)))
    rows = selectors.satisfaction_by_fiscal_year(org)
    assert [(r["fiscal_year"], r["responses"]) for r in rows][-1] == (2567, 1)
    assert {r["mean"] for r in rows} == {5.0, 4.0} and {r["percent"] for r in rows} == {100.0, 80.0}
    assert "ความพึงพอใจต่อการให้บริการของเทศบาล" in client.get("/surveys/").content.decode()
    body = client.get("/api/v1/surveys/satisfaction/").json()
    assert body["organisation"] == org.slug and body["by_fiscal_year"] == rows
