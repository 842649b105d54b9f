"""Staff extend a running stage with a reason (issue 15): a later end only, the stages after it move
by as much, the minimum hearing days are checked by the same rule as the schedule, the deadline
follows, the audit keeps the old and the new end, and followers are told. Refusals are 4xx and
change nothing."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations import services
from consultations.models import ConsultationPolicy, Stage, State
from notifications.models import Notification, OutboxEvent
from notifications.relay import relay_pending
from workflows.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry, Deadline
from workflows.services import deadline_schedule

from .conftest import end_current_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(make_consultation, residents):
    """A collaborate consultation in problem identification (4 stages of 4 days from now), followed by a resident."""
    c = make_consultation("collaborate", State.PROBLEM_IDENTIFICATION)
    deadline_schedule(c, transition="open_alternatives", due_at=c.stage_end())
    services.problem_submit(consultation=c, actor=residents[0], title="ถนนชำรุด")  # follows it
    return c


def schedule_of(c) -> dict:
    return {s.name: (s.starts_at, s.ends_at) for s in Stage.objects.filter(consultation=c)}


def snapshot(c):
    return (
        schedule_of(c),
        AuditEntry.objects.count(),
        OutboxEvent.objects.filter(event="consultation.stage_extended").count(),
        list(Deadline.objects.values_list("due_at", flat=True)),
    )


def test_it_moves_the_end_the_later_stages_the_deadline_and_audits_and_tells(running, moderator, residents):
    before = schedule_of(running)
    old_end = before[State.PROBLEM_IDENTIFICATION][1]
    new_end = old_end + dt.timedelta(days=3)
    stage = services.consultation_stage_extend(consultation=running, actor=moderator, ends_at=new_end, reason="ฝนตกหนัก")
    assert stage.ends_at == new_end
    after = schedule_of(running)
    assert after[State.INFORMING] == before[State.INFORMING]
    assert after[State.PROBLEM_IDENTIFICATION] == (before[State.PROBLEM_IDENTIFICATION][0], new_end)
    for name in (State.ALTERNATIVES, State.DELIBERATION):
        assert after[name] == (before[name][0] + dt.timedelta(days=3), before[name][1] + dt.timedelta(days=3))
    assert after[State.ALTERNATIVES][0] == new_end  # still contiguous
    (pending,) = Deadline.objects.filter(done_at__isnull=True)
    assert pending.transition == "open_alternatives" and pending.due_at == new_end
    entry = AuditEntry.objects.filter(name="stage_extended").get()
    assert entry.reason == "ฝนตกหนัก" and entry.record_id == str(running.pk)
    assert entry.payload["old_ends_at"] == old_end.isoformat() and entry.payload["new_ends_at"] == new_end.isoformat()
    assert entry.payload["stage"] == "problem_identification" and set(entry.payload["moved"]) == {"alternatives", "deliberation"}
    event = OutboxEvent.objects.get(event="consultation.stage_extended")
    assert event.audience == {"followers": True} and event.data["reason"] == "ฝนตกหนัก"
    relay_pending()
    note = Notification.objects.get(event="consultation.stage_extended", user=residents[0])
    assert running.title in note.title


def test_it_cannot_shorten_or_keep_the_end(running, moderator):
    old_end = running.stage_end()
    before = snapshot(running)
    for ends_at in (old_end, old_end - dt.timedelta(hours=1)):
        with pytest.raises(ValidationFailed) as exc:
            services.consultation_stage_extend(consultation=running, actor=moderator, ends_at=ends_at, reason="r")
        assert exc.value.code == "extension_not_later" and "ends_at" in exc.value.details
    assert snapshot(running) == before


def test_the_minimum_hearing_days_still_hold(running, moderator, org):
    """The same rule as setting the schedule (services.schedule_problems): a policy that now asks
    for more days than the extended schedule gives refuses the extension."""
    ConsultationPolicy.objects.create(organisation=org, min_hearing_days=40)
    before = snapshot(running)
    with pytest.raises(ValidationFailed) as exc:
        services.consultation_stage_extend(
            consultation=running, actor=moderator, ends_at=running.stage_end() + dt.timedelta(days=1), reason="r"
        )
    assert exc.value.code == "schedule_invalid" and "40" in str(exc.value.details["schedule"])
    assert snapshot(running) == before
    services.consultation_stage_extend(  # 16 + 25 days: enough
        consultation=running, actor=moderator, ends_at=running.stage_end() + dt.timedelta(days=25), reason="r"
    )


def test_it_is_refused_to_residents_after_the_end_and_without_a_reason(running, moderator, residents, make_consultation):
    later = running.stage_end() + dt.timedelta(days=1)
    before = snapshot(running)
    with pytest.raises(PermissionDenied):
        services.consultation_stage_extend(consultation=running, actor=residents[0], ends_at=later, reason="r")
    with pytest.raises(ValidationFailed):
        services.consultation_stage_extend(consultation=running, actor=moderator, ends_at=later, reason="  ")
    with pytest.raises(ValidationFailed):
        services.consultation_stage_extend(consultation=running, actor=moderator, ends_at=later.replace(tzinfo=None), reason="r")
    assert snapshot(running) == before
    deciding = make_consultation("consult", State.DECIDING)
    with pytest.raises(TransitionNotAllowed):
        services.consultation_stage_extend(consultation=deciding, actor=moderator, ends_at=later, reason="r")
    end_current_stage(running)
    with pytest.raises(Conflict) as exc:
        services.consultation_stage_extend(
            consultation=running, actor=moderator, ends_at=later + dt.timedelta(days=9), reason="r"
        )
    assert exc.value.code == "stage_not_running"


def test_the_api_extends_and_answers_4xx_codes(running, moderator, residents, api):
    url = f"/api/v1/consultations/{running.pk}/stage/extend/"
    new_end = running.stage_end() + dt.timedelta(days=2)
    response = api(moderator).post(url, {"ends_at": new_end.isoformat(), "reason": "งานบุญประจำปี"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stage"] == "problem_identification"
    assert dt.datetime.fromisoformat(body["ends_at"]) == new_end
    current = next(s for s in body["schedule"] if s["current"])
    assert dt.datetime.fromisoformat(current["ends_at"]) == new_end
    later = (new_end + dt.timedelta(days=1)).isoformat()
    cases = [
        (api(moderator), {"ends_at": later}, 400, "invalid"),  # no reason
        (api(moderator), {"ends_at": new_end.isoformat(), "reason": "r"}, 400, "extension_not_later"),
        (api(moderator), {"ends_at": "tomorrow", "reason": "r"}, 400, "invalid"),
        (api(residents[0]), {"ends_at": later, "reason": "r"}, 403, "forbidden"),
        (api(), {"ends_at": later, "reason": "r"}, 401, "not_authenticated"),
    ]
    for client, data, status, code in cases:
        answer = client.post(url, data, format="json")
        assert answer.status_code == status, (data, answer.content)
        assert answer.json()["error"]["code"] == code
    end_current_stage(running)
    answer = api(moderator).post(
        url, {"ends_at": (timezone.now() + dt.timedelta(days=30)).isoformat(), "reason": "r"}, format="json"
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "stage_not_running"
    assert AuditEntry.objects.filter(name="stage_extended").count() == 1


def test_the_staff_page_form_extends(running, moderator, residents, client):
    client.force_login(residents[0])
    assert 'data-testid="extend-stage"' not in client.get(running.get_absolute_url()).content.decode()
    client.force_login(moderator)
    page = client.get(running.get_absolute_url()).content.decode()
    assert 'data-testid="extend-stage"' in page
    local = timezone.localtime(running.stage_end() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    response = client.post(
        reverse("consultations:stage_extend", args=[running.pk]),
        {"ends_at": local.strftime("%Y-%m-%dT%H:%M"), "reason": "ขอขยาย"},
        follow=True,
    )
    assert response.status_code == 200
    assert Stage.objects.get(consultation=running, name=State.PROBLEM_IDENTIFICATION).ends_at == local
    assert AuditEntry.objects.filter(name="stage_extended", reason="ขอขยาย").exists()
    refused = client.post(
        reverse("consultations:stage_extend", args=[running.pk]),
        {"ends_at": local.strftime("%Y-%m-%dT%H:%M"), "reason": "ซ้ำ"},
        follow=True,
    )
    assert "ต้องสิ้นสุดช้ากว่า" in refused.content.decode()
    assert AuditEntry.objects.filter(name="stage_extended").count() == 1
