"""Files on petitions (workflows.attachments): the author attaches while the petition is a draft;
the files are bound into the audit chain when it opens, and shown on its page and in the API."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.conftest import error_of
from workflows.attachments import attachment_add
from workflows.errors import PermissionDenied
from workflows.models import Attachment, AuditEntry
from workflows.selectors import audit_verify
from workflows.services import transition

from .conftest import make_petition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 30, 30)).save(out, format="JPEG")
    return SimpleUploadedFile("dark-road.jpg", out.getvalue(), content_type="image/jpeg")


def test_the_author_attaches_to_a_draft_and_opening_binds_the_file(org, policy, resident, sponsors, moderator):
    petition = make_petition(org, resident)
    a = attachment_add(record=petition, actor=resident, upload=photo(), alt_text="ถนนมืดตอนกลางคืน หมู่ที่ 3")
    assert not AuditEntry.objects.filter(name="attachment_add").exists()  # a draft is nobody else's yet
    with pytest.raises(PermissionDenied):
        attachment_add(record=petition, actor=moderator, upload=photo(), alt_text="x")  # staff: not on a petition
    from petitions import services

    services.petition_request_sponsors(petition=petition, actor=resident)
    petition.refresh_from_db()
    with pytest.raises(PermissionDenied):  # no longer a draft: what sponsors read stays put
        attachment_add(record=petition, actor=resident, upload=photo(), alt_text="x")
    for user in sponsors[: petition.sponsors_required]:
        services.sponsor_add(petition_id=petition.pk, user=user, token=petition.sponsor_token)
    petition.refresh_from_db()
    transition(petition, "open", actor=moderator)
    bound = AuditEntry.objects.filter(record_id=str(petition.pk), name="open:published").get()
    assert [f["sha256"] for f in bound.payload["published"]["attachments"]] == [a.sha256]
    assert audit_verify().ok


def test_the_draft_page_offers_the_form_and_the_api_lists_the_file(client, api, org, policy, resident, outsider):
    petition = make_petition(org, resident)
    client.force_login(resident)
    assert 'data-testid="attach-form-record"' in client.get(petition.get_absolute_url()).content.decode()
    client.post(reverse("attachment-add", args=["petitions", petition.pk]), {"file": photo(), "alt_text": "ถนนมืด"})
    a = Attachment.objects.get()
    assert 'alt="ถนนมืด"' in client.get(petition.get_absolute_url()).content.decode()
    assert [f["id"] for f in api(resident).get(f"/api/v1/petitions/{petition.pk}/attachments/").json()] == [a.pk]
    r = api().get(f"/api/v1/petitions/{petition.pk}/attachments/")  # a draft is not public
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    assert client.get(reverse("attachment", args=[a.pk])).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("attachment", args=[a.pk])).status_code == 404
