"""Every move of the petition machine: who may make it, when, and what it leaves behind."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from notifications.models import OutboxEvent
from petitions import filing, services
from petitions.models import CouncilOutcome, Petition, Response
from workflows.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry, Deadline
from workflows.services import transition

from .conftest import make_petition, sign_and_confirm

pytestmark = pytest.mark.django_db


def events(name):
    return list(OutboxEvent.objects.filter(event=name))


def test_it_creates_a_draft_with_the_policy_numbers(org, policy, resident):
    petition = make_petition(org, resident)
    assert petition.state == "draft"
    assert (petition.sponsors_required, petition.response_threshold, petition.council_threshold) == (2, 3, 5)
    ordinance = make_petition(org, resident, kind="ordinance")
    assert ordinance.response_threshold is None and ordinance.council_threshold == 4


def test_it_uses_the_defaults_without_a_policy_row(org, resident):
    petition = make_petition(org, resident)
    assert (petition.sponsors_required, petition.response_threshold, petition.council_threshold) == (5, 500, 2000)


def test_it_refuses_petitions_from_people_who_are_not_residents(org, policy, outsider, make_user):
    with pytest.raises(PermissionDenied):
        make_petition(org, outsider)
    unconfirmed = make_user(Role.RESIDENT, org=org, confirmed=False)
    with pytest.raises(PermissionDenied):
        make_petition(org, unconfirmed)
    assert Petition.objects.count() == 0


def test_only_the_author_asks_for_sponsors(org, policy, resident, moderator):
    petition = make_petition(org, resident)
    with pytest.raises(PermissionDenied):
        transition(petition, "request_sponsors", actor=moderator)
    petition = services.petition_request_sponsors(petition=petition, actor=resident)
    assert petition.state == "collecting_sponsors"
    event = events("petition.sponsor_requested")[0]
    assert event.data["sponsor_url"] == f"/petitions/{petition.pk}/sponsor/{petition.sponsor_token}/"
    assert event.audience == {"users": [resident.pk]}


def test_sponsors_move_it_to_moderation_at_the_policy_number(org, policy, resident, sponsors):
    petition = make_petition(org, resident, state="collecting_sponsors")
    services.sponsor_add(petition_id=petition.pk, user=sponsors[0], token=petition.sponsor_token)
    _s, created = services.sponsor_add(petition_id=petition.pk, user=sponsors[0], token=petition.sponsor_token)
    assert not created
    assert Petition.objects.get(pk=petition.pk).state == "collecting_sponsors"
    services.sponsor_add(petition_id=petition.pk, user=sponsors[1], token=petition.sponsor_token)
    petition.refresh_from_db()
    assert petition.state == "awaiting_moderation" and petition.moderation_requested_at
    deadline = Deadline.objects.get(record_id=str(petition.pk), transition="moderation_overdue")
    assert deadline.due_at == petition.moderation_requested_at + dt.timedelta(days=14)
    with pytest.raises(TransitionNotAllowed):
        services.sponsor_add(petition_id=petition.pk, user=sponsors[2], token=petition.sponsor_token)


def test_the_author_cannot_sponsor_and_a_wrong_link_is_not_found(org, policy, resident, sponsors):
    from workflows.errors import NotFound

    petition = make_petition(org, resident, state="collecting_sponsors")
    with pytest.raises(PermissionDenied):
        services.sponsor_add(petition_id=petition.pk, user=resident, token=petition.sponsor_token)
    with pytest.raises(NotFound):
        services.sponsor_add(petition_id=petition.pk, user=sponsors[0], token="wrong")
    assert petition.sponsors.count() == 0


def test_sponsors_complete_is_a_system_move(org, policy, resident, sponsors, admin_user):
    petition = make_petition(org, resident, state="collecting_sponsors")
    with pytest.raises(PermissionDenied):
        transition(petition, "sponsors_complete", actor=admin_user)
    with pytest.raises(TransitionNotAllowed):  # not enough sponsors
        transition(petition, "sponsors_complete", actor=None)


def test_a_moderator_opens_and_the_window_deadline_is_scheduled(org, policy, resident, sponsors, moderator, clerk):
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    for someone in (resident, clerk):
        with pytest.raises(PermissionDenied):
            transition(petition, "open", actor=someone)
    petition = transition(petition, "open", actor=moderator)
    assert petition.state == "open"
    assert petition.closes_at - petition.opened_at == dt.timedelta(days=90)
    assert Deadline.objects.get(record_id=str(petition.pk), transition="close", done_at__isnull=True).due_at == petition.closes_at
    assert Deadline.objects.get(record_id=str(petition.pk), transition="moderation_overdue").outcome == "cancelled"
    opened = events("petition.opened")[0]
    assert opened.data["title"] == petition.title and opened.data["url"] == f"/petitions/{petition.pk}/"
    assert AuditEntry.objects.filter(record_id=str(petition.pk), name="open", actor_role="moderator").exists()


@pytest.mark.parametrize("move,target", [("reject", "rejected"), ("hide", "hidden")])
def test_rejection_needs_a_reason_code_and_a_reason(org, policy, resident, sponsors, moderator, move, target):
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    with pytest.raises(ValidationFailed):
        transition(petition, move, actor=moderator, reason="ซ้ำกับข้อเสนอเดิม")
    with pytest.raises(ValidationFailed):
        transition(petition, move, actor=moderator, payload={"reason_code": "duplicate"})
    with pytest.raises(ValidationFailed):
        transition(petition, move, actor=moderator, reason="x", payload={"reason_code": "nonsense"})
    petition = transition(petition, move, actor=moderator, reason="ซ้ำกับข้อเสนอเดิม", payload={"reason_code": "duplicate"})
    assert (petition.state, petition.rejection_code) == (target, "duplicate")
    event = events("petition.rejected")[0]
    assert event.data["reason_code"] == "duplicate" and event.data["reason"] == "ซ้ำกับข้อเสนอเดิม"
    assert event.data["hidden"] is (move == "hide")


def test_hidden_petitions_are_seen_by_staff_only(org, policy, resident, sponsors, moderator, outsider):
    from petitions import rules

    petition = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    assert rules.can_see(petition, outsider)
    petition = transition(petition, "hide", actor=moderator, reason="หมิ่นประมาท", payload={"reason_code": "libellous"})
    assert rules.can_see(petition, moderator)
    assert not rules.can_see(petition, resident)
    assert not rules.can_see(petition, outsider)


def test_the_author_withdraws_only_before_opening(org, policy, resident, sponsors, moderator):
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    with pytest.raises(PermissionDenied):
        transition(petition, "withdraw", actor=moderator)
    assert transition(petition, "withdraw", actor=resident).state == "withdrawn"
    opened = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    with pytest.raises(TransitionNotAllowed):
        transition(opened, "withdraw", actor=resident)


def test_moderation_overdue_is_a_deadline_move_that_tells_staff(org, policy, resident, sponsors):
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    petition = transition(petition, "moderation_overdue", actor=None)
    assert petition.state == "awaiting_moderation"
    event = events("petition.moderation_overdue")[0]
    assert event.audience == {"roles": ["moderator", "admin"]} and event.data["overdue"] is True


def test_the_response_threshold_asks_staff_for_a_response(open_petition, moderator, resident):
    for n in range(2):
        sign_and_confirm(open_petition, n)
    assert Petition.objects.get(pk=open_petition.pk).response_state == "not_required"
    sign_and_confirm(open_petition, 2)
    petition = Petition.objects.get(pk=open_petition.pk)
    assert petition.response_state == "awaiting_response" and petition.response_threshold_reached_at
    assert len(events("petition.response_threshold_reached")) == 1
    sign_and_confirm(open_petition, 3)
    assert len(events("petition.response_threshold_reached")) == 1  # once
    with pytest.raises(PermissionDenied):
        transition(petition, "respond", actor=resident, payload={"text": "x"})
    with pytest.raises(ValidationFailed):
        transition(petition, "respond", actor=moderator, payload={"text": "  "})
    petition = transition(petition, "respond", actor=moderator, payload={"text": "เทศบาลจะติดตั้งไฟ 20 ต้นในปีงบประมาณ 2570"})
    assert petition.response_state == "responded"
    assert Response.objects.get(petition=petition).published_by == moderator
    assert events("petition.responded")[0].data["response"].startswith("เทศบาลจะติดตั้งไฟ")


def test_the_council_threshold_sends_a_general_petition_to_the_council_at_window_end(open_petition, moderator, clerk):
    for n in range(5):
        sign_and_confirm(open_petition, n)
    petition = Petition.objects.get(pk=open_petition.pk)
    assert petition.state == "open" and petition.council_threshold_reached_at
    assert len(events("petition.council_threshold_reached")) == 1
    pending = {d.transition for d in Deadline.objects.filter(record_id=str(petition.pk), done_at__isnull=True)}
    assert pending == {"submit"}
    with pytest.raises(TransitionNotAllowed):  # cannot simply close: it is due for the council
        transition(petition, "close", actor=None)
    petition = transition(petition, "submit", actor=None)
    assert petition.state == "submitted" and petition.council_due_at is None
    with pytest.raises(PermissionDenied):
        transition(petition, "consider", actor=moderator)
    petition = transition(petition, "consider", actor=clerk)
    with pytest.raises(ValidationFailed):
        transition(petition, "decide", actor=clerk, payload={"decision": "maybe", "summary": ""})
    petition = transition(
        petition, "decide", actor=clerk,
        payload={"decision": "adopted", "summary": "สภามีมติเห็นชอบ", "decided_on": "2026-12-15", "meeting": "สมัยสามัญที่ 4"},
    )  # fmt: skip
    assert petition.state == "decided"
    outcome = CouncilOutcome.objects.get(petition=petition)
    assert (outcome.decision, str(outcome.decided_on), outcome.recorded_by) == ("adopted", "2026-12-15", clerk)
    assert events("petition.council_outcome")[0].data["decision"] == "adopted"


def test_window_end_closes_a_petition_below_the_council_threshold(open_petition, moderator):
    sign_and_confirm(open_petition, 1)
    petition = transition(open_petition, "close", actor=None)
    assert petition.state == "closed" and petition.closed_at
    with pytest.raises(TransitionNotAllowed):
        transition(petition, "submit", actor=moderator)


def test_staff_close_early_only_with_a_reason(open_petition, moderator, resident):
    with pytest.raises(PermissionDenied):
        transition(open_petition, "close_early", actor=resident, reason="x")
    with pytest.raises(ValidationFailed):
        transition(open_petition, "close_early", actor=moderator)
    assert transition(open_petition, "close_early", actor=moderator, reason="ผู้เสนอขอยุติ").state == "closed"


def test_an_ordinance_closes_at_its_threshold_and_must_be_reported_within_15_days(open_ordinance, clerk):
    for n in range(4):
        sign_and_confirm(open_ordinance, n)
    petition = Petition.objects.get(pk=open_ordinance.pk)
    assert petition.state == "closed"
    assert petition.report_due_at - petition.council_threshold_reached_at == dt.timedelta(days=15)
    due = Deadline.objects.get(record_id=str(petition.pk), transition="report_overdue", done_at__isnull=True)
    assert due.due_at == petition.report_due_at
    assert events("petition.council_threshold_reached")[0].data["report_due_date"]
    transition(petition, "report_overdue", actor=None)
    assert events("petition.ordinance_report_due")[0].data["overdue"] is True
    # The filing carries the draft and a representative (petitions.filing) before it can go.
    filing.ordinance_details_set(petition=petition, actor=clerk, draft_ordinance="ร่างเทศบัญญัติ")
    filing.representative_add(
        petition=petition, actor=clerk, name="ผู้แทน", village_number=1, declaration="รับรอง", declared_on="2025-06-01"
    )
    petition = transition(Petition.objects.get(pk=petition.pk), "submit", actor=clerk)
    assert petition.council_due_at - petition.submitted_at == dt.timedelta(days=60)
    assert Deadline.objects.get(record_id=str(petition.pk), transition="council_overdue", done_at__isnull=True)
    assert Deadline.objects.get(record_id=str(petition.pk), transition="report_overdue").outcome == "cancelled"
    transition(petition, "council_overdue", actor=None)
    assert events("petition.ordinance_council_due")[0].audience == {"roles": ["clerk", "moderator", "admin"]}


def test_an_ordinance_whose_signers_withdrew_below_the_threshold_cannot_be_submitted(open_ordinance, clerk):
    from .conftest import last_confirm_token

    for n in range(4):
        sign_and_confirm(open_ordinance, n)
    services.signature_withdraw(token=last_confirm_token("signer0@example.org"))
    with pytest.raises(TransitionNotAllowed):
        transition(Petition.objects.get(pk=open_ordinance.pk), "submit", actor=clerk)


def test_the_deadline_runner_applies_the_window_end(open_petition):
    from workflows.services import deadlines_advance

    Deadline.objects.filter(record_id=str(open_petition.pk), transition="close").update(due_at=timezone.now())
    assert deadlines_advance()["applied"] == 1
    assert Petition.objects.get(pk=open_petition.pk).state == "closed"
    assert deadlines_advance() == {"applied": 0, "skipped": 0}
