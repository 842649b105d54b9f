"""The staff view of a consultation (issue 14): moderators see everything they may act on, read each
report's reason and note, and dismiss reports, hide and restore where they read."""

import pytest

from consultations import selectors, services
from consultations.models import Comment, ConsultationPolicy, ReasonCode, Report, State, Visibility
from notifications.models import OutboxEvent
from workflows.errors import Conflict, PermissionDenied
from workflows.models import AuditEntry

from .conftest import add_problem


def _comment(c, author, body="ความเห็น", visibility=Visibility.PUBLISHED):
    return Comment.objects.create(consultation=c, author=author, body=body, visibility=visibility)


def test_it_shows_moderators_every_problem_not_only_merged_ones(make_consultation, residents, moderator, client):
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    shown = add_problem(c, residents[0], title="ถนนชำรุด")
    waiting = add_problem(c, residents[1], title="ไฟดับ", visibility=Visibility.PENDING)
    hidden = add_problem(c, residents[2], title="โฆษณา", visibility=Visibility.HIDDEN)
    merged = add_problem(c, residents[2], title="ถนนพัง", visibility=Visibility.MERGED)
    assert set(selectors.problems_for(c, moderator, moderator=True)) == {shown, waiting, hidden, merged}
    assert set(selectors.problems_for(c, None)) == {shown, merged}

    client.force_login(moderator)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    for title in ("ถนนชำรุด", "ไฟดับ", "โฆษณา", "ถนนพัง"):
        assert title in page
    assert f'data-testid="restore-problem-{waiting.pk}"' in page  # pending: publish from the page
    assert f'data-testid="restore-problem-{hidden.pk}"' in page
    assert f'data-testid="hide-problem-{shown.pk}"' in page


def test_it_shows_the_public_no_staff_controls(make_consultation, residents, client):
    c = make_consultation("involve", State.PROBLEM_IDENTIFICATION)
    add_problem(c, residents[0], title="ถนนชำรุด")
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert "ถนนชำรุด" in page and 'data-testid="moderate-' not in page


def test_a_moderator_reads_each_reporters_reason_and_note(make_consultation, residents, moderator, client):
    c = make_consultation("consult", State.DELIBERATION)
    comment = _comment(c, residents[0])
    services.report_file(
        consultation=c, actor=residents[1], kind="comment", object_id=comment.pk, reason_code=ReasonCode.OFFENSIVE,
        note="ใช้คำหยาบ",
    )  # fmt: skip
    client.force_login(moderator)
    for url in (f"/consultations/{c.pk}/", f"/consultations/{c.pk}/moderation/"):
        page = client.get(url).content.decode()
        assert "ใช้คำหยาบ" in page and str(ReasonCode.OFFENSIVE.label) in page, url
    queue = client.get(f"/api/v1/consultations/{c.pk}/moderation/").json()["results"]
    assert queue[0]["report_reasons"][0]["note"] == "ใช้คำหยาบ"


def test_dismissing_reports_keeps_the_comment_and_is_audited(make_consultation, residents, moderator):
    c = make_consultation("consult", State.DELIBERATION)
    comment = _comment(c, residents[0])
    services.report_file(consultation=c, actor=residents[1], kind="comment", object_id=comment.pk, reason_code=ReasonCode.SPAM)
    services.moderation_decide(
        consultation=c, actor=moderator, kind="comment", object_id=comment.pk, outcome="dismiss", reason="ไม่ใช่สแปม"
    )
    comment.refresh_from_db()
    assert comment.visibility == Visibility.PUBLISHED and comment.report_count == 0
    assert not Report.objects.filter(resolved_at__isnull=True).exists()
    entry = AuditEntry.objects.get(name="reports_dismissed")
    assert (entry.record_type, entry.record_id, entry.reason) == ("consultations.comment", str(comment.pk), "ไม่ใช่สแปม")
    assert entry.payload["reports"] == 1
    with pytest.raises(Conflict):  # nothing left to dismiss
        services.report_dismiss(consultation=c, actor=moderator, kind="comment", object_id=comment.pk)


def test_dismissing_brings_back_a_comment_the_reports_had_hidden(make_consultation, residents, moderator, org):
    ConsultationPolicy.objects.create(organisation=org, auto_hide_reports=2)
    c = make_consultation("consult", State.DELIBERATION)
    comment = _comment(c, residents[0])
    for reporter in residents[1:]:
        services.report_file(consultation=c, actor=reporter, kind="comment", object_id=comment.pk, reason_code=ReasonCode.SPAM)
    comment.refresh_from_db()
    assert comment.visibility == Visibility.HIDDEN
    services.report_dismiss(consultation=c, actor=moderator, kind="comment", object_id=comment.pk)
    comment.refresh_from_db()
    assert comment.visibility == Visibility.PUBLISHED
    told = OutboxEvent.objects.filter(event="moderation.outcome").last()
    assert told.data["outcome"] == "published" and told.audience == {"users": [residents[0].pk]}


def test_residents_cannot_dismiss_reports(make_consultation, residents):
    c = make_consultation("consult", State.DELIBERATION)
    comment = _comment(c, residents[0])
    services.report_file(consultation=c, actor=residents[1], kind="comment", object_id=comment.pk, reason_code=ReasonCode.SPAM)
    with pytest.raises(PermissionDenied):
        services.report_dismiss(consultation=c, actor=residents[2], kind="comment", object_id=comment.pk)


def test_a_moderator_hides_and_restores_a_comment_from_the_public_page(make_consultation, residents, moderator, client):
    c = make_consultation("consult", State.DELIBERATION)
    comment = _comment(c, residents[0], body="ข้อความยาว")
    client.force_login(moderator)
    back = f"/consultations/{c.pk}/#comment-{comment.pk}"
    response = client.post(
        f"/consultations/{c.pk}/moderation/",
        {"kind": "comment", "object_id": comment.pk, "outcome": "remove", "reason_code": "off_topic", "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    comment.refresh_from_db()
    assert comment.visibility == Visibility.REMOVED
    client.logout()
    assert "ข้อความยาว" not in client.get(f"/consultations/{c.pk}/").content.decode()

    client.force_login(moderator)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert "ข้อความยาว" in page and f'data-testid="restore-comment-{comment.pk}"' in page
    client.post(
        f"/consultations/{c.pk}/moderation/", {"kind": "comment", "object_id": comment.pk, "outcome": "publish", "next": back}
    )
    comment.refresh_from_db()
    assert comment.visibility == Visibility.PUBLISHED


def test_a_moderator_dismisses_from_the_public_page(make_consultation, residents, moderator, client):
    c = make_consultation("consult", State.DELIBERATION)
    comment = _comment(c, residents[0])
    services.report_file(consultation=c, actor=residents[1], kind="comment", object_id=comment.pk, reason_code=ReasonCode.SPAM)
    client.force_login(moderator)
    page = client.get(f"/consultations/{c.pk}/").content.decode()
    assert f'data-testid="dismiss-comment-{comment.pk}"' in page
    response = client.post(
        f"/consultations/{c.pk}/moderation/",
        {"kind": "comment", "object_id": comment.pk, "outcome": "dismiss", "next": f"/consultations/{c.pk}/"},
        follow=True,
    )
    assert "ยกเลิกรายงานแล้ว" in response.content.decode()
    assert not Report.objects.filter(resolved_at__isnull=True).exists()
