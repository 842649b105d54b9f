"""Moderation: pre/post, reports, auto-hide, reason codes, audit, the author told why, merges."""

import pytest

from consultations import services
from consultations.models import ConsultationPolicy, Problem, ReasonCode, Report, State, Support, Visibility
from notifications.models import OutboxEvent
from workflows.errors import Conflict, ValidationFailed
from workflows.models import AuditEntry

from .conftest import add_problem


def test_pre_moderation_holds_contributions_until_a_moderator_publishes(make_consultation, residents, moderator, api):
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION, moderation="pre")
    problem = services.problem_submit(consultation=c, actor=residents[0], title="ขยะล้นถัง")
    assert problem.visibility == Visibility.PENDING
    assert api().get(f"/api/v1/consultations/{c.pk}/problems/").json()["results"] == []
    assert [p["id"] for p in api(residents[0]).get(f"/api/v1/consultations/{c.pk}/problems/").json()["results"]] == [problem.pk]

    response = api(moderator).post(
        f"/api/v1/consultations/{c.pk}/moderation/",
        {"kind": "problem", "object_id": problem.pk, "outcome": "publish"},
        format="json",
    )
    assert response.status_code == 200
    assert [p["id"] for p in api().get(f"/api/v1/consultations/{c.pk}/problems/").json()["results"]] == [problem.pk]
    event = OutboxEvent.objects.get(event="moderation.outcome")
    assert event.audience == {"users": [residents[0].pk]} and event.data["outcome"] == "published"


def test_post_moderation_shows_at_once_and_reports_hide_it_for_review(make_consultation, residents, make_user, org, moderator):

    ConsultationPolicy.objects.create(organisation=org, auto_hide_reports=2)
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    problem = services.problem_submit(consultation=c, actor=residents[0], title="โฆษณาขายของ")
    assert problem.visibility == Visibility.PUBLISHED
    services.report_file(consultation=c, actor=residents[1], kind="problem", object_id=problem.pk, reason_code=ReasonCode.SPAM)
    with pytest.raises(Conflict):
        services.report_file(
            consultation=c, actor=residents[1], kind="problem", object_id=problem.pk, reason_code=ReasonCode.SPAM
        )
    assert Problem.objects.get(pk=problem.pk).visibility == Visibility.PUBLISHED
    services.report_file(consultation=c, actor=residents[2], kind="problem", object_id=problem.pk, reason_code=ReasonCode.SPAM)
    problem.refresh_from_db()
    assert (problem.visibility, problem.report_count) == (Visibility.HIDDEN, 2)
    hide = AuditEntry.objects.get(name="auto_hide")
    assert (hide.record_type, hide.record_id, hide.actor_role) == ("consultations.problem", str(problem.pk), "system")
    told = OutboxEvent.objects.get(event="moderation.outcome")
    assert told.data["outcome"] == "hidden" and told.data["reason_code"] == "spam"

    with pytest.raises(ValidationFailed):  # removing needs a reason code
        services.moderation_decide(consultation=c, actor=moderator, kind="problem", object_id=problem.pk, outcome="remove")
    services.moderation_decide(
        consultation=c,
        actor=moderator,
        kind="problem",
        object_id=problem.pk,
        outcome="remove",
        reason_code=ReasonCode.SPAM,
        reason="เป็นโฆษณา",
    )
    problem.refresh_from_db()
    assert problem.visibility == Visibility.REMOVED
    assert not Report.objects.filter(resolved_at__isnull=True).exists()
    entry = AuditEntry.objects.get(name="moderation_remove")
    assert (entry.reason, entry.from_state, entry.to_state, entry.actor_id) == ("เป็นโฆษณา", "hidden", "removed", moderator.pk)
    removed = OutboxEvent.objects.filter(event="moderation.outcome").last()
    assert removed.data["reason"] == "เป็นโฆษณา" and removed.data["reason_code"] == "spam" and removed.data["url"]


def test_residents_cannot_report_their_own_or_moderate(make_consultation, residents):
    from workflows.errors import PermissionDenied

    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    problem = add_problem(c, residents[0])
    with pytest.raises(ValidationFailed):
        services.report_file(
            consultation=c, actor=residents[0], kind="problem", object_id=problem.pk, reason_code=ReasonCode.SPAM
        )
    with pytest.raises(PermissionDenied):
        services.moderation_decide(
            consultation=c,
            actor=residents[1],
            kind="problem",
            object_id=problem.pk,
            outcome="remove",
            reason_code=ReasonCode.SPAM,
        )


def test_merging_a_duplicate_moves_its_supporters(make_consultation, residents, moderator):
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    original, duplicate = add_problem(c, residents[0], "ถนนหมู่ 2 เป็นหลุม"), add_problem(c, residents[1], "ถนนหมู่ 2 ชำรุด")
    Support.objects.create(problem=original, user=residents[2])
    Support.objects.create(problem=duplicate, user=residents[2])
    services.problem_merge(problem=duplicate, into=original, actor=moderator, reason="เรื่องเดียวกัน")
    duplicate.refresh_from_db()
    assert (duplicate.visibility, duplicate.merged_into_id) == (Visibility.MERGED, original.pk)
    assert set(Support.objects.filter(problem=original).values_list("user_id", flat=True)) == {residents[1].pk, residents[2].pk}
    assert AuditEntry.objects.filter(name="problem_merge", record_id=str(duplicate.pk)).exists()
    assert OutboxEvent.objects.get(event="moderation.outcome").data["reason_code"] == "duplicate"
    with pytest.raises(ValidationFailed):
        services.problem_merge(problem=original, into=original, actor=moderator)


def test_the_queue_lists_pending_hidden_and_reported(make_consultation, residents, moderator, client):
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION, moderation="pre")
    pending = services.problem_submit(consultation=c, actor=residents[0], title="รอตรวจ")
    reported = add_problem(c, residents[1], "ถูกรายงาน")
    services.report_file(
        consultation=c, actor=residents[2], kind="problem", object_id=reported.pk, reason_code=ReasonCode.OFFENSIVE
    )
    client.force_login(moderator)
    page = client.get(f"/consultations/{c.pk}/moderation/").content.decode()
    assert pending.title in page and reported.title in page
    response = client.post(
        f"/consultations/{c.pk}/moderation/", {"kind": "problem", "object_id": pending.pk, "outcome": "publish"}
    )
    assert response.status_code == 302
    assert Problem.objects.get(pk=pending.pk).visibility == Visibility.PUBLISHED
    client.force_login(residents[0])
    assert client.get(f"/consultations/{c.pk}/moderation/").status_code == 404
