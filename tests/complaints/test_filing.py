"""Filing a complaint: with or without an account, on the page and through the API; photos are
checked and stripped of metadata; bad input is a clear 4xx and writes nothing."""

import io
import json

import pytest
from PIL import Image

from accounts.models import Role
from complaints.models import Complaint
from notifications.models import OutboxEvent
from workflows.models import AuditEntry

from .conftest import image_bytes, upload


def _form(road, **extra):
    return {"category": road.pk, "title": "ถนนเป็นหลุมลึก", "body": "หน้าวัด หมู่ 3 รถล้มบ่อย", **extra}


def test_anyone_files_on_the_page_and_lands_on_the_tracking_page(client, road, org):
    village = org.villages.get(number=3)
    response = client.post("/complaints/new/", _form(road, village=village.pk, email="nid@example.com"))
    c = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/complaints/track/{c.tracking_code}/"
    assert (c.filer_id, c.filer_email, c.village_id, c.state) == (None, "nid@example.com", village.pk, "received")
    page = client.get(response["Location"]).content.decode()
    assert c.tracking_code in page and "ได้รับเรื่องแล้ว" in page


def test_a_signed_in_resident_files_as_themselves(client, road, resident):
    client.force_login(resident)
    form = client.get("/complaints/new/").content.decode()
    assert resident.email in form  # prefilled
    client.post("/complaints/new/", _form(road, email=resident.email, name=resident.full_name))
    c = Complaint.objects.get()
    assert c.filer_id == resident.pk
    assert OutboxEvent.objects.get(event="complaint.received").audience == {"users": [resident.pk]}


def test_the_api_files_with_json_and_returns_the_tracking_code(api, road):
    response = api().post(
        "/api/v1/complaints/", _form(road, latitude="13.7563309", longitude="100.5017651", location_text="หน้าวัด"), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    c = Complaint.objects.get(tracking_code=body["tracking_code"])
    assert body["tracking_url"] == f"/complaints/track/{c.tracking_code}/"
    assert (str(c.latitude), str(c.longitude)) == ("13.756331", "100.501765")


def test_the_api_files_with_a_photo_and_the_stored_copy_has_no_gps(api, road, resident):
    photo = upload(image_bytes(exif_gps=True))
    response = api(resident).post("/api/v1/complaints/", _form(road, photo=photo), format="multipart")
    assert response.status_code == 201, response.json()
    c = Complaint.objects.get()
    with c.photo.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif()  # no Make, no GPS
    assert "photo" not in c.photo.name.rsplit("/", 1)[-1] or c.photo.name.endswith(".jpg")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"body": "x" * 5001}, "body"),
        ({"category": 999999}, "category"),
        ({"latitude": "95", "longitude": "100"}, "latitude"),
        ({"latitude": "13.7"}, "latitude"),
        ({"latitude": "abc", "longitude": "1"}, "latitude"),
        ({"village": 999999}, "village"),
        ({"phone": "call me maybe"}, "phone"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(data, field, api, road, org):
    response = api().post("/api/v1/complaints/", _form(road, **data), format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["details"], error
    assert not Complaint.objects.exists() and not OutboxEvent.objects.exists() and not AuditEntry.objects.exists()


def test_a_category_of_another_organisation_is_refused(api, road, other_org):
    from complaints.services import defaults_ensure

    defaults_ensure(organisation=other_org)
    foreign = other_org and road.__class__.objects.get(organisation=other_org, code="road")
    response = api().post("/api/v1/complaints/", _form(road, category=foreign.pk), format="json")
    assert response.status_code == 400 and "category" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"%PDF-1.4 not an image", "file.jpg"),
        (b"GIF89a" + b"\x00" * 40, "anim.gif"),
        (image_bytes("GIF"), "real.gif"),
        (image_bytes()[:60], "cut.jpg"),
    ],
)
def test_a_file_that_is_not_a_jpeg_png_or_webp_photo_is_refused(content, name, api, road):
    response = api().post("/api/v1/complaints/", _form(road, photo=upload(content, name)), format="multipart")
    assert response.status_code == 400, response.json()
    assert "photo" in response.json()["error"]["details"]
    assert not Complaint.objects.exists()


def test_a_photo_over_the_size_limit_is_refused_in_thai_on_the_page(client, road, settings):
    settings.COMPLAINT_PHOTO_MAX_BYTES = 1000
    big = image_bytes("PNG", size=(400, 400))
    assert len(big) > 1000
    response = client.post("/complaints/new/", _form(road, photo=upload(big, "big.png", "image/png")))
    assert response.status_code == 400
    assert "รูปภาพใหญ่เกินไป" in response.content.decode()
    assert not Complaint.objects.exists()


def test_png_and_webp_are_kept_in_their_format(api, road):
    for kind, name in (("PNG", "a.png"), ("WEBP", "a.webp")):
        response = api().post("/api/v1/complaints/", _form(road, photo=upload(image_bytes(kind), name)), format="multipart")
        assert response.status_code == 201, response.json()
    assert sorted(c.photo.name.rsplit(".", 1)[-1] for c in Complaint.objects.all()) == ["png", "webp"]


def test_a_huge_image_is_shrunk(api, road):
    response = api().post("/api/v1/complaints/", _form(road, photo=upload(image_bytes(size=(4000, 1000)))), format="multipart")
    assert response.status_code == 201
    with Complaint.objects.get().photo.open("rb") as f, Image.open(io.BytesIO(f.read())) as image:
        assert image.size == (2048, 512)


def test_filing_is_limited_per_address(api, road):
    for _ in range(10):
        assert api().post("/api/v1/complaints/", _form(road), format="json").status_code == 201
    response = api().post("/api/v1/complaints/", _form(road), format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert Complaint.objects.count() == 10


def test_the_page_form_shows_thai_and_the_categories(client, setup):
    page = client.get("/complaints/new/").content.decode()
    assert "แจ้งเรื่องร้องเรียน" in page and "ไฟฟ้าส่องสว่างสาธารณะ" in page and 'enctype="multipart/form-data"' in page


def test_a_fresh_install_gets_the_standard_categories_on_first_use(client, org):
    assert "ถนน ทางเท้า สะพาน" in client.get("/complaints/new/").content.decode()


def test_staff_are_told_about_a_new_complaint(make_complaint, make_user, org):
    make_user(Role.MODERATOR, org=org)
    c = make_complaint()
    event = OutboxEvent.objects.get(event="complaint.filed")
    assert event.audience == {"roles": ["moderator", "clerk", "admin"]}
    assert event.data["url"] == f"/complaints/{c.pk}/"


@pytest.mark.parametrize("village", ["3.5", "1e0", "3.0"])
def test_the_api_refuses_a_village_that_is_not_a_whole_number(api, road, village):
    """Issue 15: a village is a whole number wherever it is entered."""
    body = json.dumps(_form(road))[:-1] + f', "village": {village}}}'
    response = api().post("/api/v1/complaints/", body.encode(), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "village" in response.json()["error"]["details"] and Complaint.objects.count() == 0
