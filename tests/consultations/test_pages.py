"""Pages: the activity calendar, the detail page, results chart, the record (page, JSON, CSV); query counts."""

import datetime as dt
from zoneinfo import ZoneInfo

from consultations import selectors, services
from consultations.models import Ballot, BallotChoice, Comment, State, Support

from .conftest import add_alternative, add_problem, force_state, schedule_for

BKK = ZoneInfo("Asia/Bangkok")


def test_the_calendar_has_buddhist_era_headings_and_marks_stage_days(make_consultation, moderator, client):
    c = make_consultation("consult", schedule=False)
    services.consultation_schedule_set(
        consultation=c, actor=moderator, stages=schedule_for("consult", start=dt.datetime(2021, 10, 16, 9, tzinfo=BKK))
    )
    force_state(c, State.INFORMING)
    page = client.get("/consultations/?month=2021-10").content.decode()
    assert "ตุลาคม 2564" in page and "ปฏิทินกิจกรรม" in page
    assert "อา" in page and "พฤ" in page
    assert page.count('class=" mark"') + page.count('class="mark"') >= 1
    assert f'href="/consultations/{c.pk}/">16<' in page and f'href="/consultations/{c.pk}/">15<' not in page
    english = client.get("/consultations/?month=2021-10", HTTP_ACCEPT_LANGUAGE="en", headers={"Cookie": "django_language=en"})
    assert "October 2021" in english.content.decode()


def _busy(make_consultation, residents, state):
    c = make_consultation("collaborate", State.DELIBERATION)
    problems = [add_problem(c, residents[i % 3], title=f"ปัญหา {i}") for i in range(6)]
    alts = [add_alternative(c, title=f"ทางเลือก {i}") for i in range(4)]
    for p in problems:
        alts[0].problems.add(p)
        for r in residents:
            Support.objects.create(problem=p, user=r)
        root = Comment.objects.create(consultation=c, problem=p, author=residents[0], body="ราก")
        Comment.objects.create(consultation=c, problem=p, parent=root, author=residents[1], body="ตอบ")
    for i, r in enumerate(residents):
        BallotChoice.objects.create(ballot=Ballot.objects.create(consultation=c, voter=r), alternative=alts[i % 2])
    return force_state(c, state)


def test_the_detail_page_costs_a_bounded_number_of_queries(make_consultation, residents, client, django_assert_max_num_queries):
    c = _busy(make_consultation, residents, State.DELIBERATION)
    client.force_login(residents[0])
    client.get(f"/consultations/{c.pk}/")
    with django_assert_max_num_queries(30):
        response = client.get(f"/consultations/{c.pk}/")
    page = response.content.decode()
    assert "ปัญหา 5" in page and "ทางเลือก 3" in page and "ตอบ" in page
    assert 'data-testid="ballot-form"' in page


def test_the_hot_selectors_are_bounded(make_consultation, residents, django_assert_max_num_queries):
    c = _busy(make_consultation, residents, State.DECIDING)
    c = selectors.consultation_get(c.pk, residents[0])
    with django_assert_max_num_queries(22):
        selectors.detail(c, residents[0])
    with django_assert_max_num_queries(6):  # online counts, village-meeting counts, ballots, alternatives
        body = selectors.results(c)
    assert sorted(r["votes"] for r in body["alternatives"]) == [0, 0, 1, 2]


def test_results_are_an_inline_chart_after_close(make_consultation, residents, client):
    c = _busy(make_consultation, residents, State.DELIBERATION)
    assert 'data-testid="results-chart"' not in client.get(f"/consultations/{c.pk}/").content.decode()
    force_state(c, State.DECIDING)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    chart = page.split('data-testid="results-chart"')[1].split("</figure>")[0]
    # HTML labels beside SVG bars, no script; the top one (2 of 3 ballots) is marked in words.
    assert chart.count('<svg class="vote-bar"') == 4 and "<rect" in chart and "<script" not in chart
    assert chart.count('data-testid="winner-mark"') == 1
    assert chart.index("ทางเลือก 0") < chart.index('data-testid="winner-mark"') < chart.index("ทางเลือก 1")
    assert "คะแนนสูงสุด" in page.split('data-testid="results-winner"')[1].split("</p>")[0]


def test_the_record_shows_each_input_with_its_answer(make_consultation, residents, clerk, client, api):
    c = make_consultation("collaborate", State.DECIDING, channels="ประชุมประชาคมหมู่ที่ 2")
    problem = add_problem(c, residents[0], title="น้ำท่วมขัง")
    Support.objects.create(problem=problem, user=residents[1], village_id=residents[1].village_id)
    alt = add_alternative(c, author=residents[2], title="ขุดลอกคลอง", by_staff=False)
    services.decision_record(
        consultation=c,
        actor=clerk,
        chosen_ids=[alt.pk],
        rationale="ประชาชนเสนอ",
        council_resolution="มติ 2/2565",
        alternative_answers={alt.pk: "บรรจุในแผนปี 2566"},
        problem_answers={problem.pk: "แก้ด้วยการขุดลอกคลอง"},
    )
    from workflows.services import transition

    transition(c, "decide", actor=clerk)
    body = api().get(f"/api/v1/consultations/{c.pk}/record/").json()
    assert body["participants"]["total"] == 3
    assert {i["title"]: i["answer"] for i in body["inputs"]} == {"น้ำท่วมขัง": "แก้ด้วยการขุดลอกคลอง", "ขุดลอกคลอง": "บรรจุในแผนปี 2566"}
    assert body["decision"]["resident_alternatives_adopted"] == ["ขุดลอกคลอง"]
    assert body["decision"]["problems_addressed"] == [] and "ประชุมประชาคมหมู่ที่ 2" in body["channels"]
    page = client.get(f"/consultations/{c.pk}/record/").content.decode()
    assert "บรรจุในแผนปี 2566" in page and "แก้ด้วยการขุดลอกคลอง" in page and "มติ 2/2565" in page
    csv = client.get(f"/consultations/{c.pk}/record.csv")
    assert csv["Content-Type"].startswith("text/csv") and "ขุดลอกคลอง" in csv.content.decode()
    api_csv = api().get(f"/api/v1/consultations/{c.pk}/record.csv")
    assert api_csv.status_code == 200 and "บรรจุในแผนปี 2566" in api_csv.content.decode()
    assert api().get("/api/v1/consultations/99999/record.csv").status_code == 404


def test_drafts_are_hidden_from_the_public(make_consultation, client, api):
    c = make_consultation("consult")
    assert client.get(f"/consultations/{c.pk}/").status_code == 404
    assert api().get(f"/api/v1/consultations/{c.pk}/").status_code == 404
    assert c.pk not in [r["id"] for r in api().get("/api/v1/consultations/").json()["results"]]


def test_the_admin_sets_the_policy_and_shows_consultations_read_only(make_consultation, make_user, client):
    c = make_consultation("consult")
    client.force_login(make_user(is_staff=True, is_superuser=True))
    admin_client = client
    assert admin_client.get("/admin/consultations/consultationpolicy/add/").status_code == 200
    page = admin_client.get(f"/admin/consultations/consultation/{c.pk}/change/")
    assert page.status_code == 200 and 'name="state"' not in page.content.decode()


def test_a_tie_at_the_top_marks_each_tied_alternative_in_words(make_consultation, residents, client):
    c = make_consultation("collaborate", State.DELIBERATION)
    alts = [add_alternative(c, title=f"ทางเลือก {i}") for i in range(3)]
    for r, a in zip(residents[:2], alts[:2], strict=True):
        BallotChoice.objects.create(ballot=Ballot.objects.create(consultation=c, voter=r), alternative=a)
    force_state(c, State.DECIDING)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    chart = page.split('data-testid="results-chart"')[1].split("</figure>")[0]
    assert chart.count('data-testid="winner-mark"') == 2
    summary = page.split('data-testid="results-winner"')[1].split("</p>")[0]
    assert "คะแนนสูงสุด (เท่ากัน)" in summary and "ทางเลือก 0" in summary and "ทางเลือก 1" in summary
    assert "ทางเลือก 2" not in summary
