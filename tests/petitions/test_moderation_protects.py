"""Moderation that protects people (issue #15): a text rejected or hidden for libel, offence,
personal data or advertising is withheld from the public; a moderator restores it with a reason;
the sponsor link of a rejected or hidden petition is gone; nobody moderates their own petition."""

import pytest
from django.utils import timezone

from accounts.models import Role
from notifications.models import OutboxEvent
from petitions import services
from petitions.models import Petition
from tests.conftest import error_of
from workflows.errors import PermissionDenied, ValidationFailed
from workflows.models import AuditEntry, Deadline
from workflows.services import available_transitions, transition

from .conftest import make_petition

pytestmark = pytest.mark.django_db

LIBEL = "นายก อบต. โกงเงินงบประมาณ"
WITHHELD = "ข้อความถูกระงับ"  # the placeholder (Thai is the site's default language)


def awaiting(org, author, sponsors):
    return make_petition(org, author, title=LIBEL, state="awaiting_moderation", sponsors=sponsors)


def reject(petition, moderator, code="libellous", reason="กล่าวหาบุคคลโดยไม่มีหลักฐาน"):
    return transition(petition, "reject", actor=moderator, reason=reason, payload={"reason_code": code})


# --- 1. withheld text -----------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["libellous", "offensive", "personal_data", "advertising"])
def test_a_rejection_for_a_harmful_text_withholds_it_from_the_public_api(org, policy, resident, sponsors, moderator, api, code):
    petition = reject(awaiting(org, resident, sponsors), moderator, code=code)
    assert petition.state == "rejected" and petition.text_withheld
    body = api().get(f"/api/v1/petitions/{petition.pk}/").json()
    assert body["text_withheld"] is True
    assert body["title"] == WITHHELD and body["body"] == "" and body["background"] == ""
    assert body["rejection"]["code"] == code and body["rejection"]["reason"] == "กล่าวหาบุคคลโดยไม่มีหลักฐาน"
    listed = api().get("/api/v1/petitions/").json()["results"]
    assert [(p["id"], p["title"]) for p in listed] == [(petition.pk, WITHHELD)]
    assert LIBEL not in api().get("/api/v1/petitions/", {"q": "โกงเงิน"}).content.decode()
    # The author and the organisation's staff still read what was written (to restore it, or not).
    for reader in (resident, moderator):
        mine = api(reader).get(f"/api/v1/petitions/{petition.pk}/").json()
        assert mine["title"] == LIBEL and mine["text_withheld"] is True


def test_a_rejection_for_other_reasons_leaves_the_text_readable(org, policy, resident, sponsors, moderator, api):
    petition = reject(awaiting(org, resident, sponsors), moderator, code="duplicate")
    assert not petition.text_withheld
    body = api().get(f"/api/v1/petitions/{petition.pk}/").json()
    assert body["title"] == LIBEL and body["text_withheld"] is False


def test_the_page_shows_the_placeholder_and_the_reason_not_the_text(org, policy, resident, sponsors, moderator, client):
    petition = reject(awaiting(org, resident, sponsors), moderator)
    page = client.get(f"/petitions/{petition.pk}/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert "ข้อความถูกระงับ" in page and 'data-testid="text-withheld"' in page
    assert "กล่าวหาบุคคลโดยไม่มีหลักฐาน" in page  # the reason
    assert LIBEL not in page and "ถนนเปลี่ยวและมืด" not in page  # neither title nor body
    listing = client.get("/petitions/?tab=rejected").content.decode()
    assert LIBEL not in listing and "ข้อความถูกระงับ" in listing
    client.force_login(moderator)
    staff_page = client.get(f"/petitions/{petition.pk}/").content.decode()
    assert LIBEL in staff_page and 'data-testid="withheld-notice"' in staff_page


def test_the_outcome_mail_and_the_audit_trail_carry_the_placeholder(org, policy, resident, sponsors, moderator):
    petition = reject(awaiting(org, resident, sponsors), moderator)
    told = OutboxEvent.objects.filter(event="petition.rejected").last()
    assert told.data["title"] == "ข้อความถูกระงับ / Text withheld" and told.data["reason"] == "กล่าวหาบุคคลโดยไม่มีหลักฐาน"
    assert told.audience["users"] == [resident.pk]
    from workflows import registry

    assert registry.machine_for(petition).title(petition) == WITHHELD


def test_hiding_an_open_petition_for_personal_data_withholds_it(org, policy, resident, sponsors, moderator, api):
    petition = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    hidden = transition(petition, "hide", actor=moderator, reason="มีเบอร์โทรศัพท์", payload={"reason_code": "personal_data"})
    assert hidden.text_withheld and hidden.moderated_from == "open"
    assert api().get(f"/api/v1/petitions/{petition.pk}/").status_code == 404  # hidden: staff only
    assert api(moderator).get(f"/api/v1/petitions/{petition.pk}/").json()["text_withheld"] is True


# --- 1. restore ------------------------------------------------------------------------------------
def test_a_moderator_restores_a_rejected_petition_to_the_moderation_desk(org, policy, resident, sponsors, moderator, api):
    petition = reject(awaiting(org, resident, sponsors), moderator)
    with pytest.raises(ValidationFailed):
        transition(petition, "restore", actor=moderator, reason=" ")
    restored = transition(petition, "restore", actor=moderator, reason="ผู้ร้องแก้ไขถ้อยคำแล้ว")
    assert restored.state == "awaiting_moderation"
    assert (restored.rejection_code, restored.rejection_reason, restored.text_withheld) == ("", "", False)
    entry = restored.last_audit_entry
    assert (entry.name, entry.from_state, entry.to_state, entry.reason) == (
        "restore", "rejected", "awaiting_moderation", "ผู้ร้องแก้ไขถ้อยคำแล้ว",
    )  # fmt: skip
    assert Deadline.objects.filter(record_id=str(petition.pk), transition="moderation_overdue", done_at__isnull=True).exists()
    told = OutboxEvent.objects.filter(event="petition.restored").get()
    assert told.audience == {"users": [resident.pk]} and told.data["reason"] == "ผู้ร้องแก้ไขถ้อยคำแล้ว"
    assert told.data["title"] == LIBEL  # no longer withheld


def test_restoring_a_hidden_petition_takes_it_back_to_signing(org, policy, resident, sponsors, moderator, api):
    petition = make_petition(org, resident, title=LIBEL, state="open", sponsors=sponsors, moderator=moderator)
    transition(petition, "hide", actor=moderator, reason="ตรวจสอบ", payload={"reason_code": "offensive"})
    response = api(moderator).post(
        f"/api/v1/petitions/{petition.pk}/transitions/restore/", {"reason": "ตรวจแล้วไม่พบปัญหา"}, format="json"
    )
    assert response.status_code == 200, response.content
    petition.refresh_from_db()
    assert (petition.state, petition.closed_at, petition.rejection_code) == ("open", None, "")
    assert petition.accepting_signatures
    close = Deadline.objects.get(record_id=str(petition.pk), transition="close", done_at__isnull=True)
    assert close.due_at == petition.closes_at
    assert OutboxEvent.objects.filter(event="petition.restored").get().audience == {"followers": True, "users": [resident.pk]}
    assert api().get(f"/api/v1/petitions/{petition.pk}/").json()["title"] == LIBEL


def test_only_a_moderator_restores(org, policy, resident, sponsors, moderator, clerk, api):
    petition = reject(awaiting(org, resident, sponsors), moderator)
    for person in (resident, clerk):
        with pytest.raises(PermissionDenied):
            transition(petition, "restore", actor=person, reason="x")
    restore = next(m for m in available_transitions(petition, moderator) if m["name"] == "restore")
    assert restore["target"] == "awaiting_moderation" and restore["reason_required"] is True
    response = api(resident).post(f"/api/v1/petitions/{petition.pk}/transitions/restore/", {"reason": "x"}, format="json")
    assert response.status_code == 403
    assert Petition.objects.get(pk=petition.pk).state == "rejected"


# --- 2. the sponsor link ---------------------------------------------------------------------------
def test_the_sponsor_link_of_a_rejected_or_hidden_petition_answers_404(
    org, policy, resident, sponsors, moderator, make_user, client, api
):
    petition = make_petition(org, resident, title=LIBEL, state="collecting_sponsors")
    link = f"/petitions/{petition.pk}/sponsor/{petition.sponsor_token}/"
    assert client.get(link).status_code == 200
    services.sponsor_add(petition_id=petition.pk, user=sponsors[0], token=petition.sponsor_token)
    services.sponsor_add(petition_id=petition.pk, user=sponsors[1], token=petition.sponsor_token)
    petition = reject(Petition.objects.get(pk=petition.pk), moderator)
    late = make_user(Role.RESIDENT, org=org)
    assert client.get(link).status_code == 404
    assert LIBEL not in client.get(link).content.decode()
    client.force_login(late)
    assert client.post(link).status_code == 404
    response = api(late).post(f"/api/v1/petitions/{petition.pk}/sponsors/", {"token": petition.sponsor_token}, format="json")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    transition(petition, "hide", actor=moderator, reason="ซ่อน", payload={"reason_code": "libellous"})
    assert client.get(link).status_code == 404
    body = {"token": petition.sponsor_token}
    response = api(sponsors[0]).post(f"/api/v1/petitions/{petition.pk}/sponsors/", body, format="json")
    assert response.status_code == 404  # even for someone who sponsored it: the link is gone


# --- 3. nobody moderates their own petition --------------------------------------------------------
@pytest.fixture
def staff_petition(org, policy, moderator, sponsors):
    """A petition a moderator started for a resident who called in."""
    return make_petition(org, moderator, state="awaiting_moderation", sponsors=sponsors)


def test_a_moderator_cannot_moderate_their_own_petition(staff_petition, moderator, make_user, org):
    for name, payload in (("open", {}), ("reject", {"reason_code": "unclear"}), ("hide", {"reason_code": "unclear"})):
        with pytest.raises(PermissionDenied) as err:
            transition(staff_petition, name, actor=moderator, reason="x", payload=payload)
        assert err.value.code == "own_contribution_moderation"
    assert not {"open", "reject", "hide"} & {m["name"] for m in available_transitions(staff_petition, moderator)}
    other = make_user(Role.MODERATOR, org=org)
    assert transition(staff_petition, "open", actor=other).state == "open"
    assert not AuditEntry.objects.filter(record_id=str(staff_petition.pk), name__in=["reject", "hide"]).exists()


def test_the_api_refuses_own_moderation_with_its_code_and_offers_no_such_move(staff_petition, moderator, api):
    url = f"/api/v1/petitions/{staff_petition.pk}/transitions/"
    offered = {t["name"] for t in api(moderator).get(url).json()["transitions"]}
    assert "open" not in offered and "reject" not in offered
    response = api(moderator).post(url + "open/", {}, format="json")
    assert response.status_code == 403 and error_of(response)["code"] == "own_contribution_moderation"
    assert Petition.objects.get(pk=staff_petition.pk).state == "awaiting_moderation"


def test_the_page_offers_no_moderation_buttons_on_own_petition(staff_petition, moderator, make_user, org, client):
    client.force_login(moderator)
    page = client.get(f"/petitions/{staff_petition.pk}/").content.decode()
    assert 'data-testid="act-open"' not in page and 'data-testid="act-reject"' not in page
    client.post(f"/petitions/{staff_petition.pk}/act/open/", {})
    assert Petition.objects.get(pk=staff_petition.pk).state == "awaiting_moderation"
    queue = client.get("/petitions/moderation/").content.decode()
    assert f'data-testid="own-petition-{staff_petition.pk}"' in queue and f'data-testid="open-{staff_petition.pk}"' not in queue
    client.force_login(make_user(Role.MODERATOR, org=org))
    page = client.get(f"/petitions/{staff_petition.pk}/").content.decode()
    assert 'data-testid="act-open"' in page and 'data-testid="act-reject"' in page
    queue = client.get("/petitions/moderation/").content.decode()
    assert f'data-testid="open-{staff_petition.pk}"' in queue and "own-petition-" not in queue


# --- 6. the author hears ---------------------------------------------------------------------------
def test_the_author_hears_when_the_sponsors_are_complete(org, policy, resident, sponsors):
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    told = OutboxEvent.objects.get(event="petition.sponsors_complete")
    assert told.audience == {"users": [resident.pk]} and told.record_id == str(petition.pk)
    assert told.data["count"] == 2 and told.data["due_date"] > timezone.now().isoformat()[:10]


def test_the_open_data_and_the_ita_report_carry_the_placeholder(org, policy, resident, sponsors, moderator):
    from opendata import ita
    from opendata.datasets import Scope, petition_rows

    petition = reject(awaiting(org, resident, sponsors), moderator)
    (row,) = petition_rows(Scope(petition_id=petition.pk))
    assert (row["title"], row["body"], row["background"]) == (WITHHELD, "", "")
    assert row["rejection_code"] == "libellous"
    today = timezone.localdate()
    year_be = today.year + 543 + (1 if today.month >= 10 else 0)  # the fiscal year (from 1 October)
    activities = [a for a in ita.report(year_be, organisation=org).activities if a.kind == "petition"]
    assert [a.title for a in activities] == [WITHHELD]
    assert LIBEL not in " ".join(activities[0].issue)
