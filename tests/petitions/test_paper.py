"""Paper signatures: a sheet with its scan, lines entered one by one or from a CSV, double entry
for ordinance sheets, duplicates across channels, and the same tallies and thresholds as online."""

import pytest
from django.core.files.base import ContentFile

from accounts.models import Role
from petitions import paper
from petitions.models import Channel, PaperEntry, Petition, Signature
from petitions.selectors import petition_counts, petition_total
from tests.conftest import error_of
from workflows.errors import Conflict, PermissionDenied, ValidationFailed
from workflows.models import AuditEntry

from .conftest import sign_and_confirm, valid_national_id


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def second_staff(make_user, org):
    return make_user(Role.CLERK, org=org, email="clerk2@example.com", full_name="เสมียน สอง")


def scan(name="sheet.pdf"):
    return ContentFile(b"%PDF-1.4 scanned sheet", name=name)


def today():
    from django.utils import timezone

    return timezone.localdate().isoformat()


def reading(n, *, village=2, national_id=None, email="", name=None, petition=None):
    return {
        "line": n, "name": name or f"ผู้ลงชื่อกระดาษ {n}", "village": village, "email": email, "signed_on": today(),
        "national_id": national_id if national_id is not None else valid_national_id(100 + n),
    }  # fmt: skip


def test_it_counts_a_paper_line_of_a_general_petition_in_every_tally(open_petition, moderator):
    sheet = paper.paper_sheet_add(petition=open_petition, actor=moderator, number=1, scan=scan())
    assert sheet.scan.storage.exists(sheet.scan.name)
    result = paper.paper_entry_record(petition=open_petition, actor=moderator, sheet_number=1, **reading(1, national_id=""))
    assert result["lines"] == {1: "counted"} and (result["count_before"], result["count_after"]) == (0, 1)
    signature = Signature.objects.get(petition=open_petition)
    assert (signature.channel, signature.paper_sheet_id, signature.sheet_line, signature.state) == (
        Channel.PAPER, sheet.pk, 1, "confirmed",
    )  # fmt: skip
    assert signature.notify_outcome is False and signature.email.endswith("@paper.invalid")
    counts = petition_counts(open_petition.pk, fresh=True)
    assert counts.total == 1 and counts.villages == {2: 1} and sum(n for _h, n in counts.hours) == 1
    entry = AuditEntry.objects.filter(name="paper_signature_entered").get()
    assert (entry.from_state, entry.to_state) == ("0", "1") and entry.payload["counted"] == 1


def test_it_reaches_the_thresholds_with_paper_and_online_signatures_together(open_petition, moderator):
    sign_and_confirm(open_petition, 1)
    sign_and_confirm(open_petition, 2)
    paper.paper_sheet_add(petition=open_petition, actor=moderator, number=1, scan=scan())
    paper.paper_entry_record(petition=open_petition, actor=moderator, sheet_number=1, **reading(1, national_id=""))
    petition = Petition.objects.get(pk=open_petition.pk)
    assert petition.response_state == "awaiting_response"  # the policy's response threshold is 3


def test_an_ordinance_line_counts_only_when_two_different_staff_entered_it_alike(open_ordinance, moderator, second_staff):
    paper.paper_sheet_add(petition=open_ordinance, actor=moderator, number=7, scan=scan())
    first = paper.paper_entry_record(petition=open_ordinance, actor=moderator, sheet_number=7, **reading(1))
    assert first["lines"] == {1: "waiting"} and petition_total(open_ordinance.pk) == 0
    # The same person entering it again is a correction, not a second entry.
    again = paper.paper_entry_record(petition=open_ordinance, actor=moderator, sheet_number=7, **reading(1))
    assert again["lines"] == {1: "waiting"} and PaperEntry.objects.count() == 1
    # A second person reads a different village: the difference is shown and nothing counts.
    differ = paper.paper_entry_record(petition=open_ordinance, actor=second_staff, sheet_number=7, **reading(1, village=3))
    assert differ["lines"] == {1: "mismatch"} and petition_total(open_ordinance.pk) == 0
    sheet = paper.paper_sheet_get(petition=open_ordinance, number=7)
    [line] = paper.sheet_lines(sheet)
    assert line["differs"] == ["village_number"] and len(line["entries"]) == 2
    # The second person corrects their reading: the two agree, the line counts.
    settled = paper.paper_entry_record(petition=open_ordinance, actor=second_staff, sheet_number=7, **reading(1))
    assert settled["lines"] == {1: "counted"} and petition_total(open_ordinance.pk) == 1
    signature = Signature.objects.get(petition=open_ordinance)
    assert signature.national_id_last4 == valid_national_id(101)[-4:] and len(signature.national_id_hash) == 64
    # A counted line is final.
    with pytest.raises(Conflict):
        paper.paper_entry_record(petition=open_ordinance, actor=moderator, sheet_number=7, **reading(1, village=4))


def test_an_ordinance_sheet_from_csv_needs_the_second_entry_too(open_ordinance, moderator, second_staff):
    rows = "line,name,village,national_id,email,signed_on\n" + "".join(
        f"{n},ผู้ลงชื่อ {n},1,{valid_national_id(200 + n)},,{today()}\n" for n in (1, 2, 3)
    )
    first = paper.paper_sheet_import(
        petition=open_ordinance, actor=moderator, sheet_number=2, file=ContentFile(rows.encode()), scan=scan()
    )
    assert first["waiting"] == 3 and petition_total(open_ordinance.pk) == 0
    second_rows = rows.replace(f"3,ผู้ลงชื่อ 3,1,{valid_national_id(203)}", f"3,ผู้ลงชื่อ 3,1,{valid_national_id(204)}")
    second = paper.paper_sheet_import(
        petition=open_ordinance, actor=second_staff, sheet_number=2, file=ContentFile(second_rows.encode())
    )
    assert second["lines"] == {1: "counted", 2: "counted", 3: "mismatch"}
    assert petition_total(open_ordinance.pk) == 2
    [*_, third] = paper.sheet_lines(paper.paper_sheet_get(petition=open_ordinance, number=2))
    assert third["differs"] == ["national_id_last4"]


def test_a_bad_csv_row_refuses_the_whole_file(open_ordinance, moderator):
    paper.paper_sheet_add(petition=open_ordinance, actor=moderator, number=1, scan=scan())
    rows = (
        "line,name,village,national_id,email,signed_on\n"
        f"1,ผู้ลงชื่อ 1,1,{valid_national_id(301)},,{today()}\n"
        f"2,ผู้ลงชื่อ 2,1,1234567890123,,{today()}\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        paper.paper_sheet_import(petition=open_ordinance, actor=moderator, sheet_number=1, file=rows.encode())
    assert "national_id" in caught.value.details["row 3"]
    assert PaperEntry.objects.count() == 0


def test_duplicates_are_caught_against_online_signers_and_other_sheets(open_ordinance, moderator, second_staff):
    online = sign_and_confirm(open_ordinance, 1)  # national ID valid_national_id(1)
    paper.paper_sheet_add(petition=open_ordinance, actor=moderator, number=1, scan=scan())
    paper.paper_sheet_add(petition=open_ordinance, actor=moderator, number=2, scan=scan())
    same_as_online = reading(1, national_id=valid_national_id(1))
    for actor in (moderator, second_staff):
        result = paper.paper_entry_record(petition=open_ordinance, actor=actor, sheet_number=1, **same_as_online)
    assert result["lines"] == {1: "duplicate"}
    assert PaperEntry.objects.filter(status="duplicate").first().note == "already signed online"
    once = reading(2)
    for actor in (moderator, second_staff):
        paper.paper_entry_record(petition=open_ordinance, actor=actor, sheet_number=1, **once)
    for actor in (moderator, second_staff):
        result = paper.paper_entry_record(petition=open_ordinance, actor=actor, sheet_number=2, **{**once, "line": 5})
    assert result["lines"] == {5: "duplicate"}
    assert PaperEntry.objects.filter(sheet__number=2, line=5).first().note == "already signed on sheet 1, line 2"
    assert petition_total(open_ordinance.pk) == 2  # the online signer and sheet 1 line 2
    assert Signature.objects.filter(channel="paper").count() == 1 and online.pk


def test_a_paper_email_is_a_duplicate_of_the_same_email_online(open_petition, moderator):
    sign_and_confirm(open_petition, 1, email="Somsri@Example.org")
    paper.paper_sheet_add(petition=open_petition, actor=moderator, number=1, scan=scan())
    result = paper.paper_entry_record(
        petition=open_petition, actor=moderator, sheet_number=1, **reading(1, national_id="", email="somsri@example.org")
    )
    assert result["lines"] == {1: "duplicate"} and petition_total(open_petition.pk) == 1


def test_an_online_signer_already_on_paper_is_refused(open_ordinance, moderator, second_staff):
    paper.paper_sheet_add(petition=open_ordinance, actor=moderator, number=1, scan=scan())
    for actor in (moderator, second_staff):
        paper.paper_entry_record(
            petition=open_ordinance, actor=actor, sheet_number=1, **reading(1, national_id=valid_national_id(9))
        )
    with pytest.raises(Conflict):
        sign_and_confirm(open_ordinance, 9)
    assert petition_total(open_ordinance.pk) == 1


def test_only_staff_enter_paper_and_a_sheet_needs_its_scan(open_petition, resident, moderator):
    with pytest.raises(PermissionDenied):
        paper.paper_sheet_add(petition=open_petition, actor=resident, number=1, scan=scan())
    with pytest.raises(ValidationFailed) as caught:
        paper.paper_sheet_add(petition=open_petition, actor=moderator, number=1, scan=None)
    assert "scan" in caught.value.details
    paper.paper_sheet_add(petition=open_petition, actor=moderator, number=1, scan=scan())
    with pytest.raises(Conflict):
        paper.paper_sheet_add(petition=open_petition, actor=moderator, number=1, scan=scan())


def test_the_api_enters_a_sheet_and_a_line(api, open_petition, moderator, resident):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/api/v1/petitions/{open_petition.pk}/paper-sheets/"
    upload = SimpleUploadedFile("sheet.png", b"\x89PNG scanned", content_type="image/png")
    assert api(resident).post(url, {"number": 1, "scan": upload}, format="multipart").status_code == 403
    upload = SimpleUploadedFile("sheet.png", b"\x89PNG scanned", content_type="image/png")
    created = api(moderator).post(url, {"number": 1, "scan": upload}, format="multipart")
    assert created.status_code == 201, created.content
    line = api(moderator).post(f"{url}1/lines/", {**reading(1, national_id=""), "line": 1}, format="json")
    assert line.status_code == 201, line.content
    assert line.json()["lines"] == {"1": "counted"}
    listed = api(moderator).get(url).json()
    assert listed[0]["number"] == 1 and listed[0]["counted"] == 1
    bad = api(moderator).post(f"{url}1/lines/", {"line": "x"}, format="json")
    assert bad.status_code == 400 and error_of(bad)["code"] == "invalid"


def test_every_export_marks_the_paper_signatures(open_petition, moderator, client):
    from opendata.datasets import DATASETS, Scope

    sign_and_confirm(open_petition, 1, village=1)
    paper.paper_sheet_add(petition=open_petition, actor=moderator, number=1, scan=scan())
    paper.paper_entry_record(petition=open_petition, actor=moderator, sheet_number=1, **reading(1, national_id=""))
    scope = Scope(petition_id=open_petition.pk)
    [row] = DATASETS["petitions"].rows(scope)
    assert (row["signatures"], row["paper_signatures"]) == (2, 1)
    by_village = {
        r["village_number"]: (r["signatures"], r["paper_signatures"]) for r in DATASETS["signatures-by-village"].rows(scope)
    }
    assert by_village[1] == (1, 0) and by_village[2] == (1, 1)
    hours = list(DATASETS["signatures-by-hour"].rows(scope))
    assert sum(r["paper_signatures"] for r in hours) == 1 and sum(r["signatures"] for r in hours) == 2
    csv_text = client.get("/open-data/signatures-by-village.csv").content.decode()
    assert "paper_signatures" in csv_text.splitlines()[0]
