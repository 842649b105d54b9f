"""The consultation machine: level decides the stages, schedules, early closes, deadlines, events."""

import datetime as dt

import pytest
from django.utils import timezone

from consultations import services
from consultations.models import Consultation, ConsultationPolicy, State, Visibility, path_for_level
from notifications.models import OutboxEvent
from workflows.errors import TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry, Deadline
from workflows.services import available_transitions, deadlines_advance, transition

from .conftest import add_alternative, add_problem, end_current_stage, force_state, schedule_for


def _on_time_walk(c, moderator, clerk, residents):
    seen = [c.state]
    while c.state != State.CLOSED:
        end_current_stage(c)
        if c.state == State.DECIDING:
            assert "decide" not in {m["name"] for m in available_transitions(c, clerk)}  # nothing recorded yet
            alt = add_alternative(c) if not c.alternatives.exists() else c.alternatives.first()
            services.decision_record(
                consultation=c,
                actor=clerk,
                chosen_ids=[alt.pk],
                rationale="เหตุผล",
                council_resolution="มติ 1/2565",
                alternative_answers={alt.pk: "รับไว้"},
            )
        names = {m["name"] for m in available_transitions(c, moderator)} | {m["name"] for m in available_transitions(c, clerk)}
        forward = sorted(names - {"cancel"})
        assert not any(n.endswith("_early") for n in forward), forward
        assert len(forward) == 1, (c.state, forward)
        actor = clerk if forward[0] == "decide" else moderator
        c = transition(c, forward[0], actor=actor)
        seen.append(c.state)
    return seen


@pytest.mark.parametrize("level", ["inform", "consult", "involve", "collaborate", "empower"])
def test_it_visits_exactly_the_stages_of_the_level(level, make_consultation, moderator, clerk, residents):
    c = make_consultation(level)
    assert _on_time_walk(c, moderator, clerk, residents) == path_for_level(level)


@pytest.mark.parametrize(
    ("level", "early"),
    [
        ("inform", "close_early"),
        ("consult", "open_deliberation_early"),
        ("involve", "open_problem_identification_early"),
        ("collaborate", "open_problem_identification_early"),
    ],
)
def test_it_offers_only_the_early_move_with_a_reason_before_the_scheduled_end(level, early, make_consultation, moderator, api):
    c = transition(make_consultation(level), "publish", actor=moderator)
    moves = {m["name"]: m for m in available_transitions(c, moderator)}
    assert set(moves) == {early, "cancel"}
    assert moves[early]["reason_required"] is True

    url = f"/api/v1/consultations/{c.pk}/transitions/{early}/"
    response = api(moderator).post(url, {}, format="json")
    assert response.status_code == 400
    assert Consultation.objects.get(pk=c.pk).state == State.INFORMING

    plain = early.removesuffix("_early")
    response = api(moderator).post(f"/api/v1/consultations/{c.pk}/transitions/{plain}/", {}, format="json")
    assert response.status_code == 409
    assert "ยังไม่ถึงกำหนดสิ้นสุด" in response.json()["error"]["message"]

    response = api(moderator).post(url, {"reason": "ประชุมประชาคมเสร็จก่อนกำหนด"}, format="json")
    assert response.status_code == 200, response.json()
    entry = AuditEntry.objects.filter(record_type="consultations.consultation", record_id=str(c.pk)).last()
    assert (entry.name, entry.reason) == (early, "ประชุมประชาคมเสร็จก่อนกำหนด")


def test_it_refuses_a_schedule_shorter_than_the_minimum(make_consultation, moderator):
    c = make_consultation("consult", schedule=False)
    with pytest.raises(ValidationFailed) as exc:
        services.consultation_schedule_set(consultation=c, actor=moderator, stages=schedule_for("consult", total_days=14))
    assert "15" in str(exc.value.message)
    assert not c.stages.exists()
    with pytest.raises(TransitionNotAllowed):
        transition(c, "publish", actor=moderator)


def test_it_uses_the_organisations_minimum(make_consultation, moderator, org):
    ConsultationPolicy.objects.create(organisation=org, min_hearing_days=20)
    c = make_consultation("consult", schedule=False)
    with pytest.raises(ValidationFailed):
        services.consultation_schedule_set(consultation=c, actor=moderator, stages=schedule_for("consult", total_days=16))
    services.consultation_schedule_set(consultation=c, actor=moderator, stages=schedule_for("consult", total_days=21))


def test_it_refuses_to_publish_when_too_little_of_the_schedule_is_left(make_consultation, moderator):
    c = make_consultation("consult", schedule=False)
    start = timezone.now() - dt.timedelta(days=8)
    services.consultation_schedule_set(
        consultation=c, actor=moderator, stages=schedule_for("consult", start=start, total_days=16)
    )
    with pytest.raises(TransitionNotAllowed):
        transition(c, "publish", actor=moderator)
    assert Consultation.objects.get(pk=c.pk).state == State.DRAFT


def test_it_refuses_gaps_and_missing_stages(make_consultation, moderator):
    c = make_consultation("involve", schedule=False)
    stages = schedule_for("involve", total_days=18)
    name, (start, end) = State.DELIBERATION, stages[State.DELIBERATION]
    with pytest.raises(ValidationFailed):
        services.consultation_schedule_set(
            consultation=c, actor=moderator, stages=stages | {name: (start + dt.timedelta(hours=1), end)}
        )
    stages.pop(State.PROBLEM_IDENTIFICATION)
    with pytest.raises(ValidationFailed):
        services.consultation_schedule_set(consultation=c, actor=moderator, stages=stages)


def test_deadlines_move_each_stage_at_its_scheduled_end(make_consultation, moderator):
    c = transition(make_consultation("involve"), "publish", actor=moderator)
    pending = Deadline.objects.get(record_id=str(c.pk), done_at__isnull=True)
    informing_end = c.stages.get(name=State.INFORMING).ends_at
    assert (pending.transition, pending.due_at) == ("open_problem_identification", informing_end)

    assert deadlines_advance(now=informing_end - dt.timedelta(minutes=1))["applied"] == 0
    end_current_stage(c)
    due = Deadline.objects.get(record_id=str(c.pk), done_at__isnull=True).due_at
    assert deadlines_advance(now=due + dt.timedelta(seconds=1), limit=1)["applied"] == 1
    assert Deadline.objects.get(pk=pending.pk).outcome == "applied"
    c = Consultation.objects.get(pk=c.pk)
    assert c.state == State.PROBLEM_IDENTIFICATION
    nxt = Deadline.objects.get(record_id=str(c.pk), done_at__isnull=True)
    assert (nxt.transition, nxt.due_at) == ("open_deliberation", c.stages.get(name=State.PROBLEM_IDENTIFICATION).ends_at)
    system = AuditEntry.objects.filter(record_id=str(c.pk), name="open_problem_identification").get()
    assert system.actor_role == "system"


def test_an_early_close_cancels_the_stage_deadline(make_consultation, moderator):
    c = transition(make_consultation("consult"), "publish", actor=moderator)
    c = transition(c, "open_deliberation_early", actor=moderator, reason="ครบแล้ว")
    assert list(Deadline.objects.filter(record_id=str(c.pk), done_at__isnull=True).values_list("transition", flat=True)) == [
        "open_deciding"
    ]


def test_it_announces_moves(make_consultation, moderator, clerk, residents):
    c = make_consultation("consult")
    _on_time_walk(c, moderator, clerk, residents)
    events = list(OutboxEvent.objects.filter(record_id=str(c.pk)).values_list("event", flat=True))
    assert events.count("consultation.stage_opened") == 4  # informing, deliberation, deciding, implementing
    assert events.count("consultation.decision_published") == 1
    assert events.count("consultation.closed") == 1
    event = OutboxEvent.objects.filter(record_id=str(c.pk), event="consultation.stage_opened").first()
    assert event.data["title"] == c.title and event.data["url"] == f"/consultations/{c.pk}/"


def test_it_sends_closing_soon_once_two_days_before_a_stage_ends(make_consultation, moderator):
    c = transition(make_consultation("consult"), "publish", actor=moderator)
    end = c.stages.get(name=State.INFORMING).ends_at
    assert services.closing_soon_send(now=end - dt.timedelta(days=3)) == 0
    assert services.closing_soon_send(now=end - dt.timedelta(days=1)) == 1
    assert services.closing_soon_send(now=end - dt.timedelta(hours=20)) == 0
    event = OutboxEvent.objects.get(event="consultation.closing_soon")
    assert event.data["due_date"] == end.isoformat() and event.audience == {"followers": True}


def test_cancel_needs_a_reason_and_is_impossible_once_decided(make_consultation, moderator):
    c = transition(make_consultation("consult"), "publish", actor=moderator)
    with pytest.raises(ValidationFailed):
        transition(c, "cancel", actor=moderator)
    transition(c, "cancel", actor=moderator, reason="งบประมาณไม่พอ")
    assert Consultation.objects.get(pk=c.pk).state == State.CANCELLED
    decided = make_consultation("consult", State.DECIDED)
    with pytest.raises(TransitionNotAllowed):
        transition(decided, "cancel", actor=moderator, reason="x")


def test_residents_cannot_move_stages(make_consultation, resident, api):
    c = make_consultation("consult")
    response = api(resident).post(f"/api/v1/consultations/{c.pk}/transitions/publish/", {}, format="json")
    assert response.status_code == 404  # drafts are invisible to residents
    c = force_state(c, State.INFORMING)
    response = api(resident).post(f"/api/v1/consultations/{c.pk}/transitions/cancel/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert Consultation.objects.get(pk=c.pk).state == State.INFORMING


def test_participating_follows_the_consultation(make_consultation, residents):
    from notifications.services import is_following

    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    assert not is_following(user=residents[0], record=c)
    services.problem_submit(consultation=c, actor=residents[0], title="ถนนเป็นหลุม")
    problem = add_problem(c, residents[0], title="ไฟดับ", visibility=Visibility.PUBLISHED)
    services.problem_support(problem=problem, actor=residents[1])
    assert is_following(user=residents[0], record=c) and is_following(user=residents[1], record=c)
