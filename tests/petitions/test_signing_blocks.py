"""Block lists per organisation: an email domain (with its subdomains) or one exact address (folded
as signing folds it) cannot sign, confirm a pending signature, or be entered from paper; what was
confirmed before stands. Administrators only; every change audited without the address in clear."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from notifications.models import OutboxEvent
from petitions import controls, paper, services, signing
from petitions.models import PaperEntry, Signature, SigningBlock
from petitions.selectors import petition_total
from tests.conftest import PASSWORD, error_of
from workflows.errors import Conflict, PermissionDenied, ValidationFailed
from workflows.models import AuditEntry

from .conftest import last_confirm_token, sign, sign_and_confirm


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def block(org, admin_user, value, note=""):
    return controls.signing_block_add(organisation=org, actor=admin_user, value=value, note=note)


def sign_api(api, petition, email, *, name="ผู้ลงชื่อ บล็อก", language="th"):
    body = {"name": name, "email": email, "village": 1, "consent": True}
    return api().post(f"/api/v1/petitions/{petition.pk}/signatures/", body, format="json", HTTP_ACCEPT_LANGUAGE=language)


def test_it_blocks_a_domain_and_its_subdomains_and_writes_nothing(api, org, admin_user, open_petition):
    block(org, admin_user, "@Spam.Example", note="สแปม")
    mails = OutboxEvent.objects.count()
    for email in ("a@spam.example", "b@mail.spam.example"):
        response = sign_api(api, open_petition, email)
        assert response.status_code == 403 and error_of(response)["code"] == "email_blocked"
        assert "ไม่สามารถลงชื่อ" in error_of(response)["message"]
    english = sign_api(api, open_petition, "c@spam.example", language="en")
    assert "cannot sign this organisation's petitions" in error_of(english)["message"]
    assert not Signature.objects.exists() and OutboxEvent.objects.count() == mails
    assert sign_api(api, open_petition, "ok@notspam.example").status_code == 201  # only that domain


def test_an_exact_address_block_holds_the_whole_inbox(org, admin_user, open_petition):
    entry = block(org, admin_user, "J.o.h.n+petition@googlemail.com")
    assert (entry.kind, entry.value) == ("email", "john@gmail.com")
    with pytest.raises(PermissionDenied) as caught:
        sign(open_petition, 1, email="john+other@gmail.com")
    assert caught.value.code == "email_blocked"
    sign(open_petition, 2, email="jane@gmail.com")  # another inbox of the same provider signs
    assert list(Signature.objects.values_list("email", flat=True)) == ["jane@gmail.com"]


def test_the_portable_path_refuses_the_same_way(monkeypatch, org, admin_user, open_petition):
    block(org, admin_user, "spam.example")
    signature, _ = sign(open_petition, 1, email="late@spam-free.example")
    block(org, admin_user, "spam-free.example")
    monkeypatch.setattr(signing, "available", lambda: False)
    with pytest.raises(PermissionDenied) as caught:
        sign(open_petition, 2, email="x@spam.example")
    assert caught.value.code == "email_blocked"
    with pytest.raises(PermissionDenied) as confirming:
        services.signature_confirm(token=last_confirm_token(signature.email))
    assert confirming.value.code == "email_blocked"
    assert Signature.objects.get(pk=signature.pk).state == "pending"


def test_a_pending_signature_cannot_be_confirmed_once_blocked_and_confirmed_ones_stand(api, org, admin_user, open_petition):
    counted = sign_and_confirm(open_petition, 1, email="first@spam.example")
    pending, _ = sign(open_petition, 2, email="second@spam.example")
    entry = block(org, admin_user, "spam.example")
    token = last_confirm_token(pending.email)
    response = api().post("/api/v1/signatures/confirm/", {"token": token}, format="json")
    assert response.status_code == 403 and error_of(response)["code"] == "email_blocked"
    assert Signature.objects.get(pk=pending.pk).state == "pending"
    assert Signature.objects.get(pk=counted.pk).state == "confirmed" and petition_total(open_petition.pk) == 1
    # Lifted: the mailed link works again.
    controls.signing_block_remove(organisation=org, actor=admin_user, block_id=entry.pk, reason="ผิดพลาด")
    assert api().post("/api/v1/signatures/confirm/", {"token": token}, format="json").status_code == 200
    assert petition_total(open_petition.pk) == 2


def test_a_signed_in_member_with_a_blocked_address_is_refused(org, admin_user, open_petition, make_user):
    from accounts.models import Role

    member = make_user(Role.RESIDENT, org=org, email="member@spam.example")
    block(org, admin_user, "spam.example")
    with pytest.raises(PermissionDenied) as caught:
        services.signature_sign_member(petition_id=open_petition.pk, user=member, village_number=1, consent=True)
    assert caught.value.code == "email_blocked" and not Signature.objects.exists()


def test_paper_lines_with_a_blocked_email_are_refused(org, admin_user, open_petition, moderator):
    block(org, admin_user, "spam.example")
    paper.paper_sheet_add(petition=open_petition, actor=moderator, number=1, scan=ContentFile(b"%PDF", name="s.pdf"))
    today = timezone.localdate().isoformat()
    line = {"line": 1, "name": "ผู้ลงชื่อ กระดาษ", "village": 1, "email": "x@spam.example", "signed_on": today}
    with pytest.raises(PermissionDenied) as caught:
        paper.paper_entry_record(petition=open_petition, actor=moderator, sheet_number=1, **line)
    assert caught.value.code == "email_blocked"
    rows = f"line,name,village,national_id,email,signed_on\n1,ก ข,1,,ok@example.org,{today}\n2,ค ง,1,,y@spam.example,{today}\n"
    with pytest.raises(PermissionDenied) as csv_caught:
        paper.paper_sheet_import(petition=open_petition, actor=moderator, sheet_number=1, file=rows.encode())
    assert csv_caught.value.code == "email_blocked" and "row 3" in csv_caught.value.details
    assert not PaperEntry.objects.exists() and not Signature.objects.exists()
    # A line without an email, or with another one, is entered as before.
    ok = paper.paper_entry_record(petition=open_petition, actor=moderator, sheet_number=1, **(line | {"email": ""}))
    assert ok["counted"] == 1


def test_the_service_checks_who_and_what(org, admin_user, moderator, other_org):
    with pytest.raises(PermissionDenied):
        block(org, moderator, "spam.example")
    for bad in ("", "com", "not an address", "a@b", 7):
        with pytest.raises(ValidationFailed):
            block(org, admin_user, bad)
    block(org, admin_user, "spam.example")
    with pytest.raises(Conflict) as caught:
        block(org, admin_user, "SPAM.example.")
    assert caught.value.code == "block_exists"
    root = admin_user.__class__.objects.create_superuser("root@x.org", "pw")
    controls.signing_block_add(organisation=other_org, actor=root, value="spam.example")
    assert SigningBlock.objects.count() == 2  # per organisation


def test_each_change_is_audited_with_the_entry_and_never_the_address_in_clear(org, admin_user):
    domain = block(org, admin_user, "spam.example", note="bulk sign-ups")
    address = block(org, admin_user, "somchai@gmail.com")
    controls.signing_block_remove(organisation=org, actor=admin_user, block_id=address.pk, reason="ยกเลิก")
    added = AuditEntry.objects.filter(name="signing_block_added").order_by("id")
    assert added[0].payload == {"block": domain.pk, "kind": "domain", "value": "spam.example", "note": "bulk sign-ups"}
    assert added[0].organisation_id == org.pk and added[0].record_type == "petitions.signingblock"
    assert added[1].payload["masked"] == "s***@g***.com" and len(added[1].payload["value_hash"]) == 64
    removed = AuditEntry.objects.get(name="signing_block_removed")
    assert removed.payload["value_hash"] == added[1].payload["value_hash"] and removed.reason == "ยกเลิก"
    assert not AuditEntry.objects.filter(payload__icontains="somchai").exists()


def test_the_api_lists_adds_and_lifts_blocks_for_admins_only(api, org, admin_user, moderator):
    url = f"/api/v1/organisations/{org.slug}/signing-blocks/"
    created = api(admin_user).post(url, {"value": "spam.example", "note": "n"}, format="json")
    assert created.status_code == 201 and created.json()["kind"] == "domain"
    assert error_of(api(admin_user).post(url, {"value": "spam.example"}, format="json"))["code"] == "block_exists"
    assert error_of(api(admin_user).post(url, {"value": "nope"}, format="json"))["code"] == "invalid"
    assert [b["value"] for b in api(admin_user).get(url).json()] == ["spam.example"]
    assert api(moderator).get(url).status_code == 403
    assert api(moderator).post(url, {"value": "x.example"}, format="json").status_code == 403
    assert api().get(url).status_code in (401, 403)
    assert api(admin_user).get("/api/v1/organisations/nowhere/signing-blocks/").status_code == 404
    detail = f"{url}{created.json()['id']}/"
    assert api(moderator).delete(detail).status_code == 403
    assert api(admin_user).delete(detail).status_code == 204
    assert api(admin_user).delete(detail).status_code == 404
    assert not SigningBlock.objects.exists() and AuditEntry.objects.filter(name="signing_block_removed").count() == 1


def test_the_admin_page_adds_and_lifts_blocks(client, org, admin_user, moderator):
    url = f"/petitions/organisations/{org.slug}/signing-blocks/"
    client.login(email=moderator.email, password=PASSWORD)
    assert client.get(url).status_code == 403
    client.logout()
    client.login(email=admin_user.email, password=PASSWORD)
    assert "ไม่มีรายการที่ถูกระงับ" in client.get(url).content.decode()
    response = client.post(url, {"value": "@spam.example", "note": "สแปม"})
    assert response.status_code == 302
    html = client.get(url).content.decode()
    entry = SigningBlock.objects.get()
    assert "spam.example" in html and f'data-id="{entry.pk}"' in html
    bad = client.post(url, {"value": "nonsense"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    assert client.post(f"{url}{entry.pk}/remove/").status_code == 302
    assert not SigningBlock.objects.exists()
