"""Files on consultations, their decisions and progress updates (workflows.attachments): recognised
by content, within the limits, images with alternative text and a thumbnail, bound into the audit
chain on a published record, served safely, in the API and the pages."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from consultations import services
from consultations.models import Decision, ProgressUpdate, State
from tests.conftest import error_of
from workflows.attachments import attachment_add, attachment_remove, attachments_for
from workflows.errors import PermissionDenied, ValidationFailed
from workflows.models import Attachment, AuditEntry
from workflows.selectors import audit_verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_bytes() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Ban Song municipal plan 2569")
    return bytes(pdf.output())


def image_bytes(fmt="PNG", size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (11, 94, 85)).save(out, format=fmt)
    return out.getvalue()


def upload(data: bytes, name="plan.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def informing(make_consultation):
    return make_consultation(level="consult", state=State.INFORMING)


def test_a_pdf_is_stored_through_the_storage_api_with_its_hash(informing, moderator):
    data = pdf_bytes()
    a = attachment_add(record=informing, actor=moderator, upload=upload(data), title="แผนพัฒนา")
    assert (a.kind, a.content_type, a.size, a.title) == ("pdf", "application/pdf", len(data), "แผนพัฒนา")
    assert a.sha256 == hashlib.sha256(data).hexdigest()
    with a.file.open("rb") as f:
        assert f.read() == data
    assert a.file.name.startswith("attachments/") and "plan" not in a.file.name  # never the uploader's name
    assert not a.thumbnail


def test_a_fake_pdf_with_a_pdf_name_is_refused(informing, moderator):
    for fake in (
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00 a program",
        b'<svg xmlns="http://www.w3.org/2000/svg"/>',
    ):
        with pytest.raises(ValidationFailed) as caught:
            attachment_add(record=informing, actor=moderator, upload=upload(fake, "report.pdf"))
        assert "file" in caught.value.details
    assert Attachment.objects.count() == 0


def test_an_image_needs_alt_text_and_gets_a_thumbnail_without_metadata(informing, moderator):
    with pytest.raises(ValidationFailed) as caught:
        attachment_add(record=informing, actor=moderator, upload=upload(image_bytes(), "map.png", "image/png"))
    assert "alt_text" in caught.value.details
    with translation.override("th"):
        with pytest.raises(ValidationFailed) as caught:
            attachment_add(record=informing, actor=moderator, upload=upload(image_bytes(), "map.png", "image/png"))
        assert "ข้อความ" in str(caught.value.message)  # the refusal reads in Thai on Thai pages
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    Image.new("RGB", (3000, 1000), "white").save(out, format="JPEG", exif=exif)
    a = attachment_add(
        record=informing, actor=moderator, upload=upload(out.getvalue(), "IMG_0001.jpg", "image/jpeg"),
        alt_text="แผนที่ถนนหมู่ที่ 3",
    )  # fmt: skip
    assert (a.kind, a.content_type, a.alt_text) == ("image", "image/jpeg", "แผนที่ถนนหมู่ที่ 3")
    with a.thumbnail.open("rb") as f, Image.open(f) as thumb:
        assert max(thumb.size) == 320 and thumb.format == "JPEG"
    with a.file.open("rb") as f, Image.open(f) as stored:
        assert max(stored.size) == 2048 and not stored.getexif()


def test_size_limits_are_settings_per_kind(informing, moderator, settings):
    settings.ATTACHMENT_PDF_MAX_BYTES = 1000
    settings.ATTACHMENT_IMAGE_MAX_BYTES = 500
    with pytest.raises(ValidationFailed) as caught:
        attachment_add(record=informing, actor=moderator, upload=upload(b"%PDF-1.7\n" + b"0" * 1000))
    assert "1000" not in str(caught.value.message) and "MB" in str(caught.value.message)
    with pytest.raises(ValidationFailed):
        attachment_add(record=informing, actor=moderator, upload=upload(image_bytes(size=(300, 300)), "a.png"), alt_text="x")
    assert attachment_add(record=informing, actor=moderator, upload=upload(b"%PDF-1.7\n" + b"0" * 900)).kind == "pdf"


def test_only_staff_attach_to_a_consultation(informing, resident, outsider):
    for person in (resident, outsider):
        with pytest.raises(PermissionDenied):
            attachment_add(record=informing, actor=person, upload=upload(pdf_bytes()))


def test_attaching_and_removing_on_a_published_record_binds_the_hash(informing, moderator, django_capture_on_commit_callbacks):
    data = pdf_bytes()
    digest = hashlib.sha256(data).hexdigest()
    a = attachment_add(record=informing, actor=moderator, upload=upload(data))
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.name == "attachment_add" and entry.record_id == str(informing.pk)
    assert entry.payload["attachment"]["sha256"] == digest
    assert [f["sha256"] for f in entry.payload["published"]["attachments"]] == [digest]
    assert "plan" not in str(entry.payload)  # no file names (they may name a person)
    assert audit_verify().ok

    Attachment.objects.filter(pk=a.pk).update(sha256="0" * 64)  # the row swapped behind the chain's back
    report = audit_verify()
    assert (report.ok, report.code) == (False, "content_mismatch")
    Attachment.objects.filter(pk=a.pk).update(sha256=digest)

    stored = a.file.name
    with django_capture_on_commit_callbacks(execute=True):
        attachment_remove(attachment=a, actor=moderator)
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.name == "attachment_remove" and entry.payload["attachment"]["sha256"] == digest
    assert "attachments" not in entry.payload["published"]
    assert not a.file.storage.exists(stored) and not Attachment.objects.exists()
    assert audit_verify().ok


def test_a_draft_consultation_attaches_without_an_entry_then_publishing_binds_it(make_consultation, moderator):
    from workflows.services import transition

    draft = make_consultation(level="inform")
    before = AuditEntry.objects.count()
    a = attachment_add(record=draft, actor=moderator, upload=upload(pdf_bytes()))
    assert AuditEntry.objects.count() == before
    transition(draft, "publish", actor=moderator)
    bound = AuditEntry.objects.filter(name="publish:published").last()
    assert bound.payload["published"]["attachments"][0]["sha256"] == a.sha256


def test_files_on_a_decision_wait_until_it_is_published(make_consultation, clerk, resident):
    c = make_consultation(level="consult", state=State.DECIDING)
    Decision.objects.create(consultation=c, rationale="ตามผลโหวต", council_resolution="มติที่ 5/2569", recorded_by=clerk)
    a = attachment_add(record=c, actor=clerk, upload=upload(pdf_bytes()), part="decision")
    assert a in attachments_for(c, clerk) and a not in attachments_for(c, resident)
    assert not AuditEntry.objects.filter(name="attachment_add").exists()
    with pytest.raises(ValidationFailed):
        attachment_add(record=c, actor=clerk, upload=upload(pdf_bytes()), part="progress:999")


def test_progress_update_files_are_public(make_consultation, moderator, resident):
    c = make_consultation(level="consult", state=State.IMPLEMENTING)
    u = services.progress_update_post(consultation=c, actor=moderator, body="เริ่มก่อสร้างแล้ว", percent_complete=10)
    a = attachment_add(
        record=c, actor=moderator, upload=upload(image_bytes("WEBP"), "site.webp", "image/webp"), part=f"progress:{u.pk}",
        alt_text="รถแบ็คโฮขุดถนน",
    )  # fmt: skip
    assert a in attachments_for(c, resident) and a.content_type == "image/webp"
    assert AuditEntry.objects.filter(name="attachment_add").last().payload["attachment"]["part"] == f"progress:{u.pk}"
    assert ProgressUpdate.objects.count() == 1


# --- serving ---------------------------------------------------------------------------------------


def test_pdfs_download_and_images_show_inline_with_nosniff(client, informing, moderator):
    pdf = attachment_add(record=informing, actor=moderator, upload=upload(pdf_bytes()), title="แผน")
    img = attachment_add(record=informing, actor=moderator, upload=upload(image_bytes(), "m.png", "image/png"), alt_text="แผนที่")
    r = client.get(reverse("attachment", args=[pdf.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment;") and r["X-Content-Type-Options"] == "nosniff"
    assert b"".join(r.streaming_content).startswith(b"%PDF-")
    r = client.get(reverse("attachment-thumbnail", args=[img.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and r["Content-Disposition"].startswith("inline;")
    assert "sandbox" in r["Content-Security-Policy"]
    assert client.get(reverse("attachment-thumbnail", args=[pdf.pk])).status_code == 404


def test_files_of_a_draft_are_not_served_to_the_public(client, make_consultation, moderator):
    draft = make_consultation(level="inform")
    a = attachment_add(record=draft, actor=moderator, upload=upload(pdf_bytes()))
    assert client.get(reverse("attachment", args=[a.pk])).status_code == 404
    client.force_login(moderator)
    assert client.get(reverse("attachment", args=[a.pk])).status_code == 200


# --- pages -----------------------------------------------------------------------------------------


def test_staff_attach_from_the_page_and_the_public_sees_the_file(client, informing, moderator):
    client.force_login(moderator)
    page = client.get(informing.get_absolute_url()).content.decode()
    assert 'data-testid="attach-form-record"' in page and 'enctype="multipart/form-data"' in page
    url = reverse("attachment-add", args=["consultations", informing.pk])
    r = client.post(url, {"file": upload(image_bytes(), "map.png", "image/png"), "alt_text": "", "part": ""})
    assert r.status_code == 302 and r["Location"].endswith("#attachments-record")
    assert not Attachment.objects.exists()  # refused: no alternative text
    messages = [str(m) for m in r.wsgi_request._messages]
    assert any("ข้อความแทนภาพ" in m for m in messages)  # pages read in Thai by default
    r = client.post(url, {"file": upload(image_bytes(), "map.png", "image/png"), "alt_text": "แผนที่ตำบล", "title": "แผนที่"})
    assert Attachment.objects.count() == 1
    client.logout()
    page = client.get(informing.get_absolute_url()).content.decode()
    a = Attachment.objects.get()
    assert f'src="{reverse("attachment-thumbnail", args=[a.pk])}" alt="แผนที่ตำบล"' in page
    assert "แผนที่" in page and "attach-form" not in page


def test_a_resident_cannot_attach_from_the_page(client, informing, resident):
    client.force_login(resident)
    client.post(reverse("attachment-add", args=["consultations", informing.pk]), {"file": upload(pdf_bytes())})
    assert not Attachment.objects.exists()


# --- API -------------------------------------------------------------------------------------------


def test_api_upload_list_and_remove(api, informing, moderator, resident):
    url = f"/api/v1/consultations/{informing.pk}/attachments/"
    r = api(moderator).post(url, {"file": upload(pdf_bytes()), "title": "แผน"}, format="multipart")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "pdf" and body["thumbnail_url"] is None and body["url"].endswith(f"/files/{body['id']}/")
    listed = api().get(url).json()
    assert [f["sha256"] for f in listed] == [body["sha256"]]
    assert api(resident).delete(f"{url}{body['id']}/").status_code == 403
    assert api().delete(f"{url}{body['id']}/").status_code == 401
    assert api(moderator).delete(f"{url}{body['id']}/").status_code == 204
    assert api().get(url).json() == []


def test_api_refusals_are_clear_4xx(api, informing, moderator, settings):
    url = f"/api/v1/consultations/{informing.pk}/attachments/"
    client = api(moderator)
    r = client.post(url, {"file": upload(b"<html></html>", "x.pdf")}, format="multipart")
    assert r.status_code == 400 and "file" in error_of(r)["details"]
    r = client.post(url, {"file": upload(image_bytes(), "m.png", "image/png")}, format="multipart")
    assert r.status_code == 400 and "alt_text" in error_of(r)["details"]
    r = client.post(url, {"title": "no file"}, format="multipart")
    assert r.status_code == 400 and "file" in error_of(r)["details"]
    r = client.post(url, {"file": "text"}, format="json")
    assert r.status_code == 415
    r = client.post(url, {"file": upload(pdf_bytes()), "part": "decision"}, format="multipart")
    assert r.status_code == 400 and "part" in error_of(r)["details"]
    settings.ATTACHMENT_PDF_MAX_BYTES = settings.ATTACHMENT_IMAGE_MAX_BYTES = 100
    r = client.post(url, {"file": upload(b"%PDF-1.7\n" + b"0" * 70_000)}, format="multipart")
    assert r.status_code == 413 and error_of(r)["code"] == "payload_too_large"
    assert api().post(url, {"file": upload(pdf_bytes())}, format="multipart").status_code == 401
    assert api(moderator).get("/api/v1/nothing/1/attachments/").status_code == 404


def test_the_demo_consultation_open_now_has_a_pdf_and_an_image(client):
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    files = list(Attachment.objects.order_by("id"))
    assert [a.kind for a in files] == ["pdf", "image"] and files[1].alt_text
    c_id = files[0].record_id
    bound = AuditEntry.objects.filter(record_id=c_id, name="publish:published").get()
    assert {f["sha256"] for f in bound.payload["published"]["attachments"]} == {a.sha256 for a in files}
    page = client.get(reverse("consultations:detail", args=[c_id])).content.decode()
    assert f'alt="{files[1].alt_text}"' in page and reverse("attachment", args=[files[0].pk]) in page
    assert audit_verify().ok


def test_the_record_itself_lists_its_files_in_the_api(api, informing, moderator):
    a = attachment_add(record=informing, actor=moderator, upload=upload(pdf_bytes()))
    body = api().get(f"/api/v1/consultations/{informing.pk}/").json()
    assert [(f["id"], f["sha256"], f["kind"]) for f in body["attachments"]] == [(a.pk, a.sha256, "pdf")]


def test_the_decision_page_and_progress_updates_offer_the_form_to_staff(client, make_consultation, clerk, moderator):
    c = make_consultation(level="consult", state=State.DECIDING)
    Decision.objects.create(consultation=c, rationale="ตามผลโหวต", council_resolution="มติที่ 5/2569", recorded_by=clerk)
    client.force_login(clerk)
    page = client.get(reverse("consultations:decision", args=[c.pk])).content.decode()
    assert 'data-testid="attach-form-decision"' in page
    c = make_consultation(level="consult", state=State.IMPLEMENTING, title="ถนนหมู่ 2")
    u = services.progress_update_post(consultation=c, actor=moderator, body="เทคอนกรีตแล้ว")
    client.force_login(moderator)
    page = client.get(c.get_absolute_url()).content.decode()
    assert f'data-testid="attach-form-progress-{u.pk}"' in page and 'name="part" value="progress:' in page
