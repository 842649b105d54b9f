"""An ordinance initiative's filing: the draft and representatives it carries, the packet for the
council president (PDF text extracted, CSV), the public objection notice and the objections."""

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from pypdf import PdfReader

from accounts.models import Role
from petitions import filing, paper, rules
from petitions.models import Objection, Petition, Signature
from petitions.selectors import petition_total
from workflows.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from workflows.models import AuditEntry
from workflows.services import transition

from .conftest import sign_and_confirm, valid_national_id


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def second_staff(make_user, org):
    return make_user(Role.CLERK, org=org, email="clerk2@example.com", full_name="เสมียน สอง")


@pytest.fixture
def collected(open_ordinance, moderator, second_staff):
    """Two online signers and one paper signer (double-entered) on an ordinance initiative (threshold 4)."""
    sign_and_confirm(open_ordinance, 1, village=1)
    sign_and_confirm(open_ordinance, 2, village=2)
    paper.paper_sheet_add(petition=open_ordinance, actor=moderator, number=3, scan=ContentFile(b"scan", name="s.pdf"))
    line = {
        "line": 4, "name": "นางสาวบุญมี ศรีสุข", "village": 2, "national_id": valid_national_id(77),
        "signed_on": timezone.localdate().isoformat(),
    }  # fmt: skip
    for actor in (moderator, second_staff):
        paper.paper_entry_record(petition=open_ordinance, actor=actor, sheet_number=3, **line)
    return Petition.objects.get(pk=open_ordinance.pk)


def _pdf_text(data: bytes) -> str:
    """The PDF's text with runs of white space as one space (table cells wrap)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_the_packet_pdf_shows_masked_ids_channels_and_totals_and_no_full_id(collected, clerk):
    filing.ordinance_details_set(
        petition=collected, actor=clerk, draft_ordinance="ร่างเทศบัญญัติ เรื่อง การจัดการขยะมูลฝอย พ.ศ. 2568",
        collection_regulation="ระเบียบสภาเทศบาลตำบลบ้านซ่อง ข้อ 8",
    )  # fmt: skip
    filing.representative_add(
        petition=collected, actor=clerk, name="นายสมหมาย ตัวแทน", village_number=1,
        declaration="ข้าพเจ้าขอรับรองว่าเป็นผู้แทนผู้เข้าชื่อ", declared_on="2025-06-01",
    )  # fmt: skip
    with translation.override("en"):
        f = filing.filing(Petition.objects.get(pk=collected.pk))
        text = _pdf_text(filing.filing_pdf(f))
    assert f.totals == {"signers": 3, "online": 2, "paper": 1, "threshold": 4, "sheets": 1}
    for n in (1, 2, 77):
        full = valid_national_id(n)
        assert full not in text
        assert f"x-xxxx-xxxx{full[9]}-{full[10:12]}-{full[12]}" in text
    assert "นางสาวบุญมี ศรีสุข" in text and "นายสมหมาย ตัวแทน" in text
    assert "ร่างเทศบัญญัติ" in text
    assert "Signers: 3 (threshold 4)" in text and "Online: 2" in text and "On paper: 1 from 1 sheets" in text
    assert "paper sheet 3 line 4" in text


def test_the_packet_csv_has_every_signer_with_the_channel_and_the_totals(collected):
    with translation.override("en"):
        rows = [[str(cell) for cell in row] for row in filing.filing_csv_rows(filing.filing(collected))]
    header, *rest = rows
    assert header == ["entry", "name", "village", "masked_national_id", "channel", "sheet_and_line", "signed_on"]
    signers = [r for r in rest if r and r[0] != "total"]
    assert [r[4] for r in signers] == ["online", "online", "paper"]
    assert ["total", "signers", "3"] in rest and ["total", "paper", "1"] in rest
    assert not any(valid_national_id(77) in cell for r in rows for cell in r)


def test_the_packet_pages_are_staff_only(client, collected, clerk, resident):
    client.force_login(resident)
    assert client.get(f"/petitions/{collected.pk}/filing.pdf").status_code in (403, 404)
    client.force_login(clerk)
    response = client.get(f"/petitions/{collected.pk}/filing.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    csv_response = client.get(f"/petitions/{collected.pk}/filing.csv")
    assert csv_response.status_code == 200 and "x-xxxx" in csv_response.content.decode()


def test_an_ordinance_is_submitted_only_with_its_draft_and_a_representative(collected, clerk):
    sign_and_confirm(collected, 3)
    petition = Petition.objects.get(pk=collected.pk)
    assert petition.state == "closed"
    with pytest.raises(TransitionNotAllowed):
        transition(petition, "submit", actor=clerk)
    filing.ordinance_details_set(petition=petition, actor=clerk, draft_ordinance="ร่างเทศบัญญัติ")
    filing.representative_add(
        petition=petition, actor=clerk, name="ผู้แทน", village_number=1, declaration="รับรอง", declared_on="2025-06-01"
    )
    assert transition(Petition.objects.get(pk=petition.pk), "submit", actor=clerk).state == "submitted"
    with pytest.raises(TransitionNotAllowed):
        filing.ordinance_details_set(petition=petition, actor=clerk, draft_ordinance="แก้ไขหลังยื่น")


def test_the_objection_notice_lists_names_and_villages_and_an_upheld_objection_removes_the_entry(collected, clerk, api):
    with pytest.raises(TransitionNotAllowed):  # nothing to object to before the notice is posted
        filing.objection_file(petition=collected, entry=1, objector_name="x", reason="y")
    petition = filing.objection_notice_post(petition=collected, actor=clerk)
    assert petition.objection_closes_at - petition.objection_opens_at == dt.timedelta(days=15)
    notice = api().get(f"/api/v1/petitions/{collected.pk}/objection-notice/").json()
    assert notice["posted"] is True and len(notice["entries"]) == 3
    assert set(notice["entries"][0]) == {"entry", "name", "village"}
    body = str(notice)
    assert "x-xxxx" not in body and "@" not in body and valid_national_id(77)[-4:] not in body
    page = api().get(f"/petitions/{collected.pk}/objections/")
    assert page.status_code == 200 and "นางสาวบุญมี ศรีสุข" in page.content.decode()
    paper_entry = Signature.objects.get(petition=collected, channel="paper")
    filed = api().post(
        f"/api/v1/petitions/{collected.pk}/objections/",
        {"entry": paper_entry.pk, "objector_name": "นายค้าน", "contact": "081", "reason": "ไม่ใช่ผู้มีสิทธิเลือกตั้งในเขตนี้"},
        format="json",
    )
    assert filed.status_code == 201, filed.content
    objection = Objection.objects.get()
    assert "นายค้าน" not in str(AuditEntry.objects.get(name="objection_filed").payload)
    # A submission waits while an objection is open (and while the period runs).
    assert not rules.filing_complete(Petition.objects.get(pk=collected.pk))
    with pytest.raises(ValidationFailed):
        filing.objection_resolve(objection_id=objection.pk, actor=clerk, uphold=True, reason="")
    resolved = api(clerk).post(
        f"/api/v1/objections/{objection.pk}/resolve/", {"uphold": True, "reason": "ตรวจทะเบียนแล้ว"}, format="json"
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "upheld"
    assert Signature.objects.get(pk=paper_entry.pk).state == "invalidated" and petition_total(collected.pk) == 2
    entry = AuditEntry.objects.get(name="objection_upheld")
    assert (entry.from_state, entry.to_state, entry.reason) == ("3", "2", "ตรวจทะเบียนแล้ว")
    with pytest.raises(Conflict):
        filing.objection_resolve(objection_id=objection.pk, actor=clerk, uphold=False, reason="again")


def test_a_dismissed_objection_keeps_the_entry_and_only_staff_resolve(collected, clerk, resident):
    filing.objection_notice_post(petition=collected, actor=clerk)
    online = Signature.objects.filter(petition=collected, channel="online").first()
    objection = filing.objection_file(petition=collected, entry=online.pk, objector_name="ก", reason="ข")
    with pytest.raises(Exception) as caught:
        filing.objection_resolve(objection_id=objection.pk, actor=resident, uphold=True, reason="r")
    assert caught.value.status == 404
    filing.objection_resolve(objection_id=objection.pk, actor=clerk, uphold=False, reason="ถูกต้องตามทะเบียน")
    assert Signature.objects.get(pk=online.pk).state == "confirmed" and petition_total(collected.pk) == 3
    assert AuditEntry.objects.filter(name="objection_dismissed", to_state="3").exists()
    with pytest.raises(ValidationFailed):
        filing.objection_file(petition=collected, entry=999999, objector_name="ก", reason="ข")


def test_only_staff_post_the_notice_and_add_representatives(collected, resident):
    with pytest.raises(PermissionDenied):
        filing.objection_notice_post(petition=collected, actor=resident)
    with pytest.raises(PermissionDenied):
        filing.representative_add(
            petition=collected, actor=resident, name="x", village_number=1, declaration="y", declared_on="2025-01-01"
        )
