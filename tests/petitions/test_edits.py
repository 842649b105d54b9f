"""Editing a petition's text (issue #15): the author until it is sponsored, a moderator's correction
with a reason ("edited by the municipality"), both audited with the text's hash, never the old text."""

import hashlib
import json

import pytest

from accounts.models import Role
from notifications.models import OutboxEvent
from petitions import services
from petitions.models import Petition
from tests.conftest import error_of
from workflows.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.selectors import audit_verify

from .conftest import make_petition

pytestmark = pytest.mark.django_db

OLD_TITLE = "ขอไฟส่องสว่างถนนหมู่ที่ 3"
OLD_BODY = "ถนนเปลี่ยวและมืด ขอให้ติดตั้งไฟส่องสว่าง 20 ต้น"


def sha(title, body, background=""):
    text = {"title": title, "body": body, "background": background}
    return hashlib.sha256(json.dumps(text, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def entries(petition, name):
    return list(AuditEntry.objects.filter(record_type="petitions.petition", record_id=str(petition.pk), name=name))


# --- 4. the author's edit --------------------------------------------------------------------------
def test_the_author_edits_a_draft_and_the_audit_binds_the_hashes(org, policy, resident):
    petition = make_petition(org, resident)
    values = {"title": "  ขอไฟถนนหมู่ 3 ", "background": "มีอุบัติเหตุ"}
    edited = services.petition_edit(petition=petition, actor=resident, values=values)
    assert (edited.title, edited.body, edited.background, edited.version) == ("ขอไฟถนนหมู่ 3", OLD_BODY, "มีอุบัติเหตุ", 1)
    assert edited.municipal_edit_at is None
    (entry,) = entries(petition, "edit")
    assert entry.payload == {
        "fields": ["title", "background"],
        "previous_sha256": sha(OLD_TITLE, OLD_BODY),
        "content_sha256": sha("ขอไฟถนนหมู่ 3", OLD_BODY, "มีอุบัติเหตุ"),
    }
    assert OLD_TITLE not in json.dumps(entry.payload, ensure_ascii=False)
    assert audit_verify().ok
    # Nothing changed: nothing audited.
    services.petition_edit(petition=edited, actor=resident, values={"title": "ขอไฟถนนหมู่ 3"})
    assert len(entries(petition, "edit")) == 1


def test_the_author_edits_while_collecting_until_the_first_sponsor(org, policy, resident, sponsors):
    petition = make_petition(org, resident, state="collecting_sponsors")
    services.petition_edit(petition=petition, actor=resident, values={"body": "ขอไฟ 30 ต้น"})
    services.sponsor_add(petition_id=petition.pk, user=sponsors[0], token=petition.sponsor_token)
    with pytest.raises(TransitionNotAllowed) as err:
        services.petition_edit(petition=petition, actor=resident, values={"body": "ขอไฟ 40 ต้น"})
    assert err.value.code == "petition_not_editable" and err.value.status == 409
    assert Petition.objects.get(pk=petition.pk).body == "ขอไฟ 30 ต้น"


def test_the_api_patch_edits_and_refuses_after_moderation_starts(org, policy, resident, sponsors, outsider, api):
    petition = make_petition(org, resident)
    url = f"/api/v1/petitions/{petition.pk}/"
    response = api(resident).patch(url, {"title": "ขอไฟถนน", "expected_version": 0}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "ขอไฟถนน" and response.json()["version"] == 1
    stale = api(resident).patch(url, {"title": "อีกครั้ง", "expected_version": 0}, format="json")
    assert stale.status_code == 409 and error_of(stale)["code"] == "conflict"
    bad = api(resident).patch(url, {"title": " ", "kind": "ordinance"}, format="json")
    assert bad.status_code == 400 and error_of(bad)["code"] == "invalid"
    assert api().patch(url, {"title": "x"}, format="json").status_code in (401, 403)
    assert api(outsider).patch(url, {"title": "x"}, format="json").status_code == 404  # cannot see a draft
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    late = api(resident).patch(f"/api/v1/petitions/{petition.pk}/", {"body": "ขอเพิ่ม"}, format="json")
    assert late.status_code == 409 and error_of(late)["code"] == "petition_not_editable"
    assert Petition.objects.get(pk=petition.pk).body == OLD_BODY


def test_someone_else_may_not_edit(org, policy, resident, make_user, clerk):
    petition = make_petition(org, resident)
    for person in (make_user(Role.RESIDENT, org=org), clerk):
        with pytest.raises(PermissionDenied):
            services.petition_edit(petition=petition, actor=person, values={"title": "x"})
    assert not entries(petition, "municipal_edit")


# --- 5. the municipality's correction ----------------------------------------------------------------
def test_a_moderator_corrects_an_open_petition_with_a_reason(org, policy, resident, sponsors, moderator, api):
    petition = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    with pytest.raises(ValidationFailed) as err:
        services.petition_edit(petition=petition, actor=moderator, values={"body": "ขอไฟ"})
    assert "reason" in err.value.details
    corrected = services.petition_edit(
        petition=petition, actor=moderator, values={"body": "ถนนมืด ขอไฟส่องสว่าง"}, reason="ลบชื่อบุคคลออก"
    )
    assert corrected.body == "ถนนมืด ขอไฟส่องสว่าง" and corrected.municipal_edit_reason == "ลบชื่อบุคคลออก"
    (entry,) = entries(petition, "municipal_edit")
    assert entry.reason == "ลบชื่อบุคคลออก" and entry.actor_role == "moderator"
    assert entry.payload == {
        "fields": ["body"], "previous_sha256": sha(OLD_TITLE, OLD_BODY),
        "content_sha256": sha(OLD_TITLE, "ถนนมืด ขอไฟส่องสว่าง"),
    }  # fmt: skip
    assert OLD_BODY not in json.dumps(entry.payload, ensure_ascii=False)  # the old text is not kept
    public = api().get(f"/api/v1/petitions/{petition.pk}/").json()
    assert public["body"] == "ถนนมืด ขอไฟส่องสว่าง"
    assert public["municipal_edit"]["reason"] == "ลบชื่อบุคคลออก" and public["municipal_edit"]["edited_at"]
    told = OutboxEvent.objects.get(event="petition.corrected")
    assert told.audience == {"users": [resident.pk]} and told.data["reason"] == "ลบชื่อบุคคลออก"
    assert audit_verify().ok


def test_the_api_correction_needs_a_reason_and_not_by_the_author_moderator(org, policy, moderator, sponsors, make_user, api):
    petition = make_petition(org, moderator, state="open", sponsors=sponsors, moderator=make_user(Role.MODERATOR, org=org))
    url = f"/api/v1/petitions/{petition.pk}/"
    # The moderator who started it is its author: past sponsoring they may not edit it at all.
    response = api(moderator).patch(url, {"body": "แก้"}, format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "petition_not_editable"
    other = make_user(Role.MODERATOR, org=org)
    response = api(other).patch(url, {"body": "แก้"}, format="json")
    assert response.status_code == 400 and "reason" in error_of(response)["details"]
    response = api(other).patch(url, {"body": "แก้", "reason": "ข้อมูลส่วนบุคคล"}, format="json")
    assert response.status_code == 200 and response.json()["municipal_edit"]["reason"] == "ข้อมูลส่วนบุคคล"


def test_the_moderator_guard_refuses_a_correction_of_own_petition(org, policy, moderator, make_user, sponsors):
    """A moderator's own draft is theirs to edit as its author; the correction path is never theirs."""
    petition = make_petition(org, moderator, state="open", sponsors=sponsors, moderator=make_user(Role.MODERATOR, org=org))
    from workflows.services import moderation_guard

    with pytest.raises(PermissionDenied) as err:
        moderation_guard(petition, moderator)
    assert err.value.code == "own_contribution_moderation"


# --- the page forms ----------------------------------------------------------------------------------
def test_the_author_edits_from_the_page_until_sponsored(org, policy, resident, sponsors, client):
    petition = make_petition(org, resident)
    client.force_login(resident)
    detail = client.get(f"/petitions/{petition.pk}/").content.decode()
    assert f'href="/petitions/{petition.pk}/edit/"' in detail
    form = client.get(f"/petitions/{petition.pk}/edit/").content.decode()
    assert 'data-testid="edit-form"' in form and OLD_TITLE in form and 'name="reason"' not in form
    response = client.post(f"/petitions/{petition.pk}/edit/", {"title": "", "body": "x"})
    assert response.status_code == 400
    response = client.post(f"/petitions/{petition.pk}/edit/", {"title": "ขอไฟถนน", "body": "ขอไฟ 30 ต้น", "background": ""})
    assert response.status_code == 302
    assert Petition.objects.get(pk=petition.pk).title == "ขอไฟถนน"
    services.petition_request_sponsors(petition=petition, actor=resident)
    services.sponsor_add(petition_id=petition.pk, user=sponsors[0], token=petition.sponsor_token)
    assert client.get(f"/petitions/{petition.pk}/edit/").status_code == 409
    assert client.post(f"/petitions/{petition.pk}/edit/", {"title": "อีก", "body": "อีก"}).status_code == 409
    assert 'data-testid="edit-link"' not in client.get(f"/petitions/{petition.pk}/").content.decode()
    assert Petition.objects.get(pk=petition.pk).title == "ขอไฟถนน"


def test_a_moderator_corrects_from_the_page_and_the_public_sees_it(org, policy, resident, sponsors, moderator, client):
    petition = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    client.force_login(moderator)
    form = client.get(f"/petitions/{petition.pk}/edit/").content.decode()
    assert 'name="reason"' in form
    response = client.post(f"/petitions/{petition.pk}/edit/", {"title": OLD_TITLE, "body": "ถนนมืด", "background": ""})
    assert response.status_code == 400  # no reason
    response = client.post(
        f"/petitions/{petition.pk}/edit/", {"title": OLD_TITLE, "body": "ถนนมืด", "background": "", "reason": "ลบเบอร์โทร"}
    )
    assert response.status_code == 302
    client.logout()
    page = client.get(f"/petitions/{petition.pk}/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert 'data-testid="municipal-edit"' in page and "แก้ไขโดยเทศบาล" in page and "ลบเบอร์โทร" in page
    assert "ถนนมืด" in page and OLD_BODY not in page
    assert client.get(f"/petitions/{petition.pk}/edit/").status_code == 302  # to the login page
