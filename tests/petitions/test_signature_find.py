"""Staff find one signature by email or name (shown masked) and invalidate or restore it with a
reason: audited, the signer told, the count, the tallies, the thresholds and the signature log
following through the same services as the bulk acts."""

import pytest

from notifications.models import OutboxEvent
from petitions import controls, selectors, services, siglog
from petitions.models import Petition, Signature, SignatureLogEntry, SignatureLogHead
from petitions.selectors import petition_counts, petition_total
from tests.conftest import PASSWORD, error_of
from workflows.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry

from .conftest import last_confirm_token, make_petition, sign, sign_and_confirm


def sign_as(petition, name, email, village=2):
    signature, _ = services.signature_sign(
        petition_id=petition.pk, name=name, email=email, village_number=village, consent=True, ip="203.0.113.9"
    )
    return services.signature_confirm(token=last_confirm_token(signature.email))[0]


def test_it_masks_names_and_addresses():
    assert controls.mask_email("somchai@gmail.com") == "s***@g***.com"
    assert controls.mask_email("a@mail.example.co.th") == "a***@m***.th"
    assert controls.mask_name("สมชาย ใจดี") == "ส**** ใจดี"
    assert controls.mask_name("นิด หน่อย") == "นิ* หน่อย"  # a vowel mark belongs to its letter
    assert controls.mask_name("Jane") == "J***"


def test_it_finds_by_any_spelling_of_the_inbox_or_part_of_the_name(open_petition, org, resident, sponsors, moderator):
    somchai = sign_as(open_petition, "สมชาย ใจดี", "so.mchai+petition@googlemail.com")
    sign_as(open_petition, "มานี มีนา", "manee@example.org")
    other = make_petition(org, resident, title="อีกคำร้อง", state="open", sponsors=sponsors, moderator=moderator)
    sign_as(other, "สมชาย ใจดี", "somchai@gmail.com")
    (found,) = selectors.signatures_find(open_petition.pk, "SOMCHAI@gmail.com")
    assert (found.id, found.name, found.email, found.state) == (somchai.pk, "ส**** ใจดี", "s***@g***.com", "confirmed")
    assert found.can_invalidate and not found.can_restore
    assert [f.id for f in selectors.signatures_find(open_petition.pk, "  ใจดี ")] == [somchai.pk]
    assert selectors.signatures_find(open_petition.pk, "ส") == [] and selectors.signatures_find(open_petition.pk, "") == []
    assert selectors.signatures_find(open_petition.pk, "nobody@example.org") == []


def test_the_api_search_is_for_staff_and_shows_nothing_in_clear(api, open_petition, moderator, resident):
    sign_as(open_petition, "สมชาย ใจดี", "somchai@gmail.com")
    url = f"/api/v1/petitions/{open_petition.pk}/signatures/find/"
    body = api(moderator).get(url, {"q": "somchai@gmail.com"}).json()
    (row,) = body["results"]
    assert (row["name"], row["email"], row["village"], body["limited"]) == ("ส**** ใจดี", "s***@g***.com", 2, False)
    assert "somchai" not in str(body) and "สมชาย" not in str(body)
    assert error_of(api(moderator).get(url, {"q": "x"}))["code"] == "invalid"
    assert api(resident).get(url, {"q": "somchai@gmail.com"}).status_code == 403
    assert api().get(url, {"q": "somchai@gmail.com"}).status_code in (401, 403)


def test_invalidating_one_lowers_the_count_and_the_thresholds_and_tells_the_signer(open_petition, moderator):
    for n in range(2):
        sign_and_confirm(open_petition, n)
    target = sign_as(open_petition, "สมชาย ใจดี", "somchai@gmail.com")
    assert Petition.objects.get(pk=open_petition.pk).response_state == "awaiting_response"  # 3 reached the threshold
    result = services.signature_invalidate_one(
        petition=open_petition, signature_id=target.pk, actor=moderator, reason="ผู้ลงชื่อแจ้งว่าไม่ได้ลงชื่อเอง"
    )
    assert (result["count_before"], result["count_after"], result["state"]) == (3, 2, "invalidated")
    assert Signature.objects.get(pk=target.pk).state == "invalidated" and petition_total(open_petition.pk) == 2
    assert petition_counts(open_petition.pk, fresh=True).villages.get(2, 0) == 0
    entry = AuditEntry.objects.filter(name="signatures_invalidated").get()
    assert entry.payload["filter"]["signature"] == target.pk and entry.payload["filter"]["receipt"] == siglog.receipt(target.salt)
    assert (entry.from_state, entry.to_state, entry.reason) == ("3", "2", "ผู้ลงชื่อแจ้งว่าไม่ได้ลงชื่อเอง")
    assert "somchai" not in str(entry.payload)
    lost = AuditEntry.objects.get(name="response_threshold_lost")  # the existing fall service made the move
    assert lost.payload["because"] == "signatures_invalidated"
    assert Petition.objects.get(pk=open_petition.pk).response_state == "not_required"
    mail = OutboxEvent.objects.filter(event="signature.invalidated").get()
    assert mail.audience["emails"][0]["email"] == "somchai@gmail.com" and mail.data["reason"] == entry.reason


def test_restoring_one_counts_it_again_reaches_the_threshold_and_logs_it(open_petition, moderator):
    for n in range(2):
        sign_and_confirm(open_petition, n)
    target = sign_as(open_petition, "สมชาย ใจดี", "somchai@gmail.com")
    services.signature_invalidate_one(petition=open_petition, signature_id=target.pk, actor=moderator, reason="ตรวจสอบ")
    siglog.seal(open_petition.pk)  # the log records the invalidation before the restore
    result = services.signature_restore_one(
        petition=open_petition, signature_id=target.pk, actor=moderator, reason="ผู้ลงชื่อยืนยันตัวตนที่สำนักงานแล้ว"
    )
    assert (result["state"], result["counted"], result["count_before"], result["count_after"]) == ("confirmed", True, 2, 3)
    assert petition_total(open_petition.pk) == 3 and petition_counts(open_petition.pk, fresh=True).villages[2] == 1
    entry = AuditEntry.objects.get(name="signature_restored")
    assert (entry.from_state, entry.to_state) == ("2", "3") and entry.payload["receipt"] == siglog.receipt(target.salt)
    assert Petition.objects.get(pk=open_petition.pk).response_state == "awaiting_response"  # thresholds_check
    assert OutboxEvent.objects.filter(event="signature.restored").get().data["state"] == "confirmed"
    siglog.seal(open_petition.pk)
    events = list(
        SignatureLogEntry.objects.filter(petition=open_petition, receipt=siglog.receipt(target.salt)).values_list(
            "event", flat=True
        )
    )
    assert events == ["confirmed", "invalidated", "restored"]
    assert SignatureLogHead.objects.get(petition=open_petition).valid == petition_total(open_petition.pk) == 3
    assert siglog.receipt_lookup(siglog.receipt(target.salt))["counted"] is True


def test_a_pending_one_goes_back_to_pending_and_its_link_works_again(open_petition, moderator):
    pending, _ = sign(open_petition, 1)
    services.signature_invalidate_one(petition=open_petition, signature_id=pending.pk, actor=moderator, reason="r")
    result = services.signature_restore_one(petition=open_petition, signature_id=pending.pk, actor=moderator, reason="r")
    assert (result["state"], result["counted"], result["count_after"]) == ("pending", False, 0)
    services.signature_confirm(token=last_confirm_token(pending.email))
    assert petition_total(open_petition.pk) == 1


def test_each_act_needs_a_reason_staff_and_a_move_the_graph_has(open_petition, moderator, resident, admin_user):
    target = sign_and_confirm(open_petition, 1)
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed):
        services.signature_invalidate_one(petition=open_petition, signature_id=target.pk, actor=moderator, reason="  ")
    with pytest.raises(PermissionDenied):
        services.signature_invalidate_one(petition=open_petition, signature_id=target.pk, actor=resident, reason="r")
    with pytest.raises(Conflict) as not_invalidated:
        services.signature_restore_one(petition=open_petition, signature_id=target.pk, actor=moderator, reason="r")
    assert not_invalidated.value.code == "signature_move_refused"
    assert AuditEntry.objects.count() == entries and petition_total(open_petition.pk) == 1
    services.signature_invalidate_one(petition=open_petition, signature_id=target.pk, actor=admin_user, reason="r")
    with pytest.raises(Conflict) as again:
        services.signature_invalidate_one(petition=open_petition, signature_id=target.pk, actor=moderator, reason="r")
    assert again.value.code == "signature_not_active"


def test_restoring_is_refused_when_the_person_signed_again_or_is_blocked_or_signing_was_submitted(
    open_petition, moderator, org, admin_user
):
    first = sign_as(open_petition, "สมชาย ใจดี", "somchai@gmail.com")
    services.signature_invalidate_one(petition=open_petition, signature_id=first.pk, actor=moderator, reason="r")
    again = sign_as(open_petition, "สมชาย ใจดี", "somchai@gmail.com")
    with pytest.raises(Conflict) as signed_again:
        services.signature_restore_one(petition=open_petition, signature_id=first.pk, actor=moderator, reason="r")
    assert signed_again.value.code == "signed_again"
    services.signature_invalidate_one(petition=open_petition, signature_id=again.pk, actor=moderator, reason="r")
    controls.signing_block_add(organisation=org, actor=admin_user, value="gmail.com")
    with pytest.raises(PermissionDenied) as blocked:
        services.signature_restore_one(petition=open_petition, signature_id=first.pk, actor=moderator, reason="r")
    assert blocked.value.code == "email_blocked" and petition_total(open_petition.pk) == 0
    Petition.objects.filter(pk=open_petition.pk).update(state="submitted")
    with pytest.raises(TransitionNotAllowed) as final:
        services.signature_restore_one(petition=open_petition, signature_id=first.pk, actor=moderator, reason="r")
    assert final.value.code == "signatures_final"


def test_the_api_invalidates_and_restores_one(api, open_petition, moderator, resident):
    target = sign_and_confirm(open_petition, 1)
    base = f"/api/v1/petitions/{open_petition.pk}/signatures/{target.pk}"
    assert error_of(api(moderator).post(f"{base}/invalidate/", {}, format="json"))["code"] == "invalid"
    assert api(resident).post(f"{base}/invalidate/", {"reason": "r"}, format="json").status_code == 403
    done = api(moderator).post(f"{base}/invalidate/", {"reason": "ซ้ำ"}, format="json")
    assert done.status_code == 200 and done.json()["signatures"] == 0 and done.json()["state"] == "invalidated"
    assert error_of(api(moderator).post(f"{base}/invalidate/", {"reason": "ซ้ำ"}, format="json"))["code"] == "signature_not_active"
    back = api(moderator).post(f"{base}/restore/", {"reason": "ผิดพลาด"}, format="json")
    assert back.status_code == 200 and back.json()["signatures"] == 1
    missing = f"/api/v1/petitions/{open_petition.pk}/signatures/999999999/restore/"
    assert api(moderator).post(missing, {"reason": "r"}, format="json").status_code == 404


def test_the_page_finds_and_acts_on_one(client, open_petition, moderator, resident):
    target = sign_as(open_petition, "สมชาย ใจดี", "somchai@gmail.com")
    url = f"/petitions/{open_petition.pk}/signatures/find/"
    client.login(email=resident.email, password=PASSWORD)
    assert client.get(url).status_code == 403
    client.logout()
    client.login(email=moderator.email, password=PASSWORD)
    html = client.get(url, {"q": "ใจดี"}).content.decode()
    assert f'data-id="{target.pk}"' in html and "ส**** ใจดี" in html and "s***@g***.com" in html
    assert "somchai@gmail.com" not in html
    assert client.get(url, {"q": "ส"}).status_code == 400
    act = f"/petitions/{open_petition.pk}/signatures/{target.pk}/invalidate/"
    client.post(act, {"reason": ""})
    assert Signature.objects.get(pk=target.pk).state == "confirmed"  # no reason, nothing done
    response = client.post(act, {"reason": "ผู้ลงชื่อขอยกเลิก", "next": f"{url}?q=ใจดี"}, follow=True)
    assert Signature.objects.get(pk=target.pk).state == "invalidated"
    assert "จำนวนเปลี่ยนจาก 1 เป็น 0" in response.content.decode()
    client.post(f"/petitions/{open_petition.pk}/signatures/{target.pk}/restore/", {"reason": "ตรวจแล้ว"})
    assert Signature.objects.get(pk=target.pk).state == "confirmed" and petition_total(open_petition.pk) == 1
