"""The staff desk (issue 14): one page per role with what waits for it in every app, oldest first
with due dates; staff are told in their inbox (and by mail) when something lands on it."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from consultations import services as consultation_services
from consultations.models import Comment, ConsultationPolicy, ReasonCode, State, Visibility
from notifications.models import Notification
from notifications.relay import relay_pending
from petitions.models import AddressFlag, Petition
from tests.consultations.conftest import end_current_stage, make_consultation, residents  # noqa: F401 (fixtures)
from tests.petitions.conftest import make_petition, policy, sponsors  # noqa: F401 (fixtures)
from workflows.services import transition

pytestmark = pytest.mark.django_db


def _titles(page: str, *titles: str) -> list[int]:
    return [page.index(t) for t in titles]


@pytest.fixture
def work(org, policy, resident, sponsors, moderator, make_consultation, make_user):  # noqa: F811
    """Something waiting on each desk, made oldest first."""
    awaiting = make_petition(org, resident, title="คำร้องรอตรวจ", state="awaiting_moderation", sponsors=sponsors)
    Petition.objects.filter(pk=awaiting.pk).update(moderation_requested_at=timezone.now() - dt.timedelta(days=20))
    c = make_consultation("consult", State.DELIBERATION, title="แผนพัฒนา", moderation="pre")
    voter = make_user(Role.RESIDENT, org=org)
    pending = consultation_services.comment_post(consultation=c, actor=voter, body="ความเห็นรอตรวจ")
    shown = Comment.objects.create(consultation=c, author=voter, body="ความเห็นถูกรายงาน")
    reporter = make_user(Role.RESIDENT, org=org)
    consultation_services.report_file(
        consultation=c, actor=reporter, kind="comment", object_id=shown.pk, reason_code=ReasonCode.SPAM
    )
    opened = make_petition(org, resident, title="คำร้องเปิดอยู่", state="open", sponsors=sponsors, moderator=moderator)
    AddressFlag.objects.create(petition=opened, ip_hash="ab" * 32)
    deciding = make_consultation("consult", State.DECIDING, title="รอตัดสินใจ")
    return {"awaiting": awaiting, "pending": pending, "shown": shown, "opened": opened, "deciding": deciding}


def test_the_moderators_desk_lists_what_waits_oldest_first_with_due_dates(client, moderator, work):
    client.force_login(moderator)
    response = client.get("/desk/")
    assert response.status_code == 302 and response["Location"] == "/desk/moderator/"
    page = client.get("/desk/moderator/").content.decode()
    assert "โต๊ะงานของฉัน" in page
    for title in ("คำร้องรอตรวจ", "ความเห็นรอตรวจ", "ความเห็นถูกรายงาน", "คำร้องเปิดอยู่"):
        assert title in page, title
    assert "รอตัดสินใจ" not in page  # the clerks' desk
    first, *rest = _titles(page, "คำร้องรอตรวจ", "ความเห็นรอตรวจ")
    assert first < rest[0]  # waiting 20 days: at the top
    assert 'data-testid="desk-overdue"' in page  # moderation was due after the policy's 14 days
    assert f"/consultations/{work['pending'].consultation_id}/#comment-{work['pending'].pk}" in page


def test_the_clerks_desk_has_the_decisions_due(client, clerk, work):
    client.force_login(clerk)
    assert client.get("/desk/")["Location"] == "/desk/clerk/"
    page = client.get("/desk/clerk/").content.decode()
    assert "รอตัดสินใจ" in page and f"/consultations/{work['deciding'].pk}/decision/" in page
    assert "ความเห็นรอตรวจ" not in page
    assert client.get("/desk/moderator/").status_code == 404  # not a role they hold


def test_an_admin_has_a_page_per_role_they_hold(client, make_user, org, work):
    both = make_user(Role.MODERATOR, Role.CLERK, org=org)
    client.force_login(both)
    page = client.get("/desk/clerk/").content.decode()
    assert 'data-testid="desk-tab-moderator"' in page and 'data-testid="desk-tab-clerk"' in page


def test_residents_have_no_desk_and_other_municipalities_see_nothing_of_ours(client, resident, outsider, work):
    client.force_login(resident)
    assert client.get("/desk/").status_code == 403
    client.force_login(outsider)
    page = client.get("/desk/moderator/").content.decode()
    assert 'data-testid="desk-empty"' in page and "คำร้องรอตรวจ" not in page


def test_the_header_links_staff_to_their_desk(client, moderator, resident):
    client.force_login(moderator)
    assert 'data-testid="desk-link"' in client.get("/").content.decode()
    client.force_login(resident)
    assert 'data-testid="desk-link"' not in client.get("/").content.decode()


def _told(user, event: str) -> bool:
    relay_pending()
    return Notification.objects.filter(user=user, event=event).exists()


def test_moderators_are_told_when_a_petition_waits_for_moderation(org, policy, resident, sponsors, moderator, clerk):  # noqa: F811
    make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    assert _told(moderator, "petition.awaiting_moderation") and not _told(clerk, "petition.awaiting_moderation")


def test_moderators_are_told_of_a_contribution_to_moderate_and_of_the_first_report(
    make_consultation, residents, moderator, org  # noqa: F811
):  # fmt: skip
    ConsultationPolicy.objects.create(organisation=org, auto_hide_reports=3)
    c = make_consultation("consult", State.DELIBERATION, moderation="pre")
    consultation_services.comment_post(consultation=c, actor=residents[0], body="รอตรวจ")
    assert _told(moderator, "consultation.contribution_pending")
    shown = Comment.objects.create(consultation=c, author=residents[0], body="แสดงอยู่", visibility=Visibility.PUBLISHED)
    for reporter in residents[1:]:
        consultation_services.report_file(
            consultation=c, actor=reporter, kind="comment", object_id=shown.pk, reason_code=ReasonCode.SPAM, note="ขายของ"
        )
    relay_pending()
    (told,) = Notification.objects.filter(user=moderator, event="consultation.contribution_reported")  # once, not per report
    assert told.url == f"/consultations/{c.pk}/#comment-{shown.pk}"


def test_clerks_are_told_when_a_decision_is_due(make_consultation, moderator, clerk):  # noqa: F811
    c = make_consultation("consult", State.DELIBERATION)
    end_current_stage(c)
    transition(c, "open_deciding", actor=moderator)
    assert _told(clerk, "consultation.decision_due")


def test_staff_are_told_when_a_petition_reaches_a_threshold(org, policy, resident, sponsors, moderator, clerk, make_user):  # noqa: F811
    """3 confirmed signatures reach the response threshold (moderators answer it), 5 the council's
    (clerks take it to the council): each lands on a desk, so its staff hear of it; a resident who
    does not follow it does not."""
    from tests.petitions.conftest import sign_and_confirm

    bystander = make_user(Role.RESIDENT, org=org)
    petition = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    for n in range(3):
        sign_and_confirm(petition, n)
    assert _told(moderator, "petition.response_threshold_reached")
    assert not _told(clerk, "petition.council_threshold_reached")
    for n in range(3, 5):
        sign_and_confirm(petition, n)
    assert _told(clerk, "petition.council_threshold_reached") and _told(moderator, "petition.council_threshold_reached")
    assert not _told(bystander, "petition.council_threshold_reached")
