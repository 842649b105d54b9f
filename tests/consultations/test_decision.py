"""Decisions: every alternative and supported problem answered; at empower, the winner adopted."""

from consultations import services
from consultations.models import Ballot, BallotChoice, Consultation, Decision, State, Support

from .conftest import add_alternative, add_problem, end_current_stage, force_state


def _vote(c, voters, alternative):
    for voter in voters:
        ballot = Ballot.objects.create(consultation=c, voter=voter)
        BallotChoice.objects.create(ballot=ballot, alternative=alternative)


def _decide_url(c):
    return f"/api/v1/consultations/{c.pk}/transitions/decide/"


def test_it_refuses_an_empower_decision_that_ignores_the_winner(make_consultation, clerk, residents, api):
    c = make_consultation("empower", State.DECIDING)
    winner, loser = add_alternative(c, title="ถนนคอนกรีต"), add_alternative(c, title="ลาดยาง")
    _vote(c, residents[:2], winner)
    _vote(c, residents[2:], loser)
    body = {
        "chosen_ids": [loser.pk],
        "rationale": "งบน้อยกว่า",
        "council_resolution": "มติ 3/2565",
        "alternative_answers": {str(winner.pk): "ไม่รับ", str(loser.pk): "รับ"},
    }
    assert api(clerk).put(f"/api/v1/consultations/{c.pk}/decision/", body, format="json").status_code == 200

    response = api(clerk).post(_decide_url(c), {}, format="json")
    assert response.status_code == 409
    assert "ผลการตัดสินใจต้องเลือกทางเลือกที่ได้คะแนนสูงสุด" in response.json()["error"]["message"]  # Thai first
    english = api(clerk).post(_decide_url(c), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert "must adopt the alternative that won the vote" in english.json()["error"]["message"]
    assert Consultation.objects.get(pk=c.pk).state == State.DECIDING

    body["chosen_ids"] = [winner.pk]
    assert api(clerk).put(f"/api/v1/consultations/{c.pk}/decision/", body, format="json").status_code == 200
    response = api(clerk).post(_decide_url(c), {}, format="json")
    assert response.status_code == 200, response.json()
    assert Consultation.objects.get(pk=c.pk).state == State.DECIDED


def test_collaborate_may_choose_another_alternative(make_consultation, clerk, residents, api):
    c = make_consultation("collaborate", State.DECIDING)
    winner, other = add_alternative(c), add_alternative(c, title="ทางเลือกอื่น")
    _vote(c, residents, winner)
    services.decision_record(
        consultation=c,
        actor=clerk,
        chosen_ids=[other.pk],
        rationale="เหตุผล",
        council_resolution="มติ",
        alternative_answers={winner.pk: "ยังไม่ทำเพราะงบประมาณ", other.pk: "ทำ"},
    )
    assert api(clerk).post(_decide_url(c), {}, format="json").status_code == 200


def test_it_refuses_to_publish_until_every_alternative_and_supported_problem_is_answered(
    make_consultation, clerk, residents, api
):
    c = make_consultation("involve", State.DECIDING)
    alt = add_alternative(c)
    supported = add_problem(c, residents[0])
    add_problem(c, residents[1], title="ไม่มีคนสนับสนุน")  # unsupported: needs no answer
    Support.objects.create(problem=supported, user=residents[2])
    assert api(clerk).post(_decide_url(c), {}, format="json").status_code == 409  # nothing recorded
    services.decision_record(
        consultation=c,
        actor=clerk,
        chosen_ids=[alt.pk],
        rationale="เหตุผล",
        council_resolution="มติ",
        alternative_answers={alt.pk: "ทำ"},
    )
    response = api(clerk).post(_decide_url(c), {}, format="json")
    assert response.status_code == 409
    assert api(clerk).get(f"/api/v1/consultations/{c.pk}/decision/").json()["missing_answers"] == [f"problem:{supported.pk}"]
    services.decision_record(
        consultation=c,
        actor=clerk,
        chosen_ids=[alt.pk],
        rationale="เหตุผล",
        council_resolution="มติ",
        problem_answers={supported.pk: "แก้ด้วยทางเลือกที่เลือก"},
    )
    assert api(clerk).post(_decide_url(c), {}, format="json").status_code == 200
    assert Decision.objects.get(consultation=c).chosen.get() == alt


def test_only_clerks_and_admins_decide(make_consultation, moderator, clerk, api):
    c = make_consultation("consult", State.DECIDING)
    alt = add_alternative(c)
    response = api(moderator).put(
        f"/api/v1/consultations/{c.pk}/decision/",
        {"chosen_ids": [alt.pk], "rationale": "x", "council_resolution": "y"},
        format="json",
    )
    assert response.status_code == 403
    assert not Decision.objects.exists()
    services.decision_record(
        consultation=c,
        actor=clerk,
        chosen_ids=[alt.pk],
        rationale="x",
        council_resolution="y",
        alternative_answers={alt.pk: "ทำ"},
    )
    assert api(moderator).post(_decide_url(c), {}, format="json").status_code == 403


def test_progress_updates_follow_implementation(make_consultation, moderator, api):
    c = make_consultation("consult", State.IMPLEMENTING)
    response = api(moderator).post(
        f"/api/v1/consultations/{c.pk}/progress/", {"body": "เริ่มก่อสร้าง", "percent_complete": 30}, format="json"
    )
    assert response.status_code == 201
    from notifications.models import OutboxEvent

    assert OutboxEvent.objects.get(event="consultation.progress_update").data["percent_complete"] == 30
    assert api().get(f"/api/v1/consultations/{c.pk}/progress/").json()["results"][0]["body"] == "เริ่มก่อสร้าง"
    end_current_stage(c)
    c = force_state(c, State.CLOSED)
    assert api(moderator).post(f"/api/v1/consultations/{c.pk}/progress/", {"body": "x"}, format="json").status_code == 409
