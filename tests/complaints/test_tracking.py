"""The tracking page and API: someone without an account follows a complaint by its code and sees
its progress, never the filer or their contact details."""

import pytest

from accounts.models import Role
from workflows.services import transition


@pytest.fixture
def walked(make_complaint, moderator, works):
    c = make_complaint(name="สมศรี รักดี", email="somsri@example.com", phone="0812345678")
    c = transition(c, "assign", actor=moderator, payload={"division": works.pk})
    c = transition(c, "start", actor=moderator)
    return transition(c, "resolve", actor=moderator, reason="ซ่อมผิวถนนแล้ว")


def test_the_tracking_page_shows_the_progress_without_an_account(client, walked):
    page = client.get(f"/complaints/track/{walked.tracking_code}/")
    assert page.status_code == 200
    text = page.content.decode()
    for expected in ("ได้รับเรื่องแล้ว", "ส่งให้กองรับผิดชอบแล้ว", "กำลังดำเนินการ", "แก้ไขเสร็จแล้ว", "กองช่าง", "ซ่อมผิวถนนแล้ว"):
        assert expected in text, expected
    for private in ("สมศรี", "somsri@example.com", "0812345678", walked.body):
        assert private not in text


def test_the_code_is_found_however_it_is_typed(client, walked):
    typed = walked.tracking_code.replace("-", " ").lower()
    response = client.get("/complaints/track/", {"code": typed})
    assert response.status_code == 302 and response["Location"] == f"/complaints/track/{walked.tracking_code}/"


def test_an_unknown_code_is_a_404_with_a_thai_message(client, setup, api):
    response = client.get("/complaints/track/", {"code": "C-2222-2222"})
    assert response.status_code == 404 and "ไม่พบเรื่องที่มีรหัสนี้" in response.content.decode()
    assert client.get("/complaints/track/C-2222-2222/").status_code == 404
    error = api().get("/api/v1/complaints/track/C-2222-2222/").json()["error"]
    assert error["code"] == "not_found"


def test_the_tracking_api_gives_the_steps(api, walked):
    body = api().get(f"/api/v1/complaints/track/{walked.tracking_code}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [s["state"] for s in body["steps"]] == ["received", "assigned", "in_progress", "resolved"]
    assert body["steps"][-1]["note"] == "ซ่อมผิวถนนแล้ว"
    assert body["division"] == "Public Works Division"
    assert "filer" not in str(body) and "somsri" not in str(body)


@pytest.mark.parametrize("role", ["anonymous", "resident", "outsider", "moderator", "clerk", "admin", "filer"])
def test_the_full_record_is_seen_only_by_staff_and_the_filer(role, make_complaint, make_user, org, other_org, client, api):
    filer = make_user(Role.RESIDENT, org=org)
    c = make_complaint(actor=filer, photo=_photo())
    user = {
        "anonymous": None,
        "resident": make_user(Role.RESIDENT, org=org),
        "outsider": make_user(Role.ADMIN, org=other_org),
        "filer": filer,
    }.get(role) or (make_user(role, org=org) if role not in ("anonymous",) else None)
    if user is not None:
        client.force_login(user)
    sees = role in ("moderator", "clerk", "admin", "filer")
    assert (client.get(f"/complaints/{c.pk}/").status_code == 200) == sees
    assert (client.get(f"/complaints/{c.pk}/photo/").status_code == 200) == sees
    assert (api(user).get(f"/api/v1/complaints/{c.pk}/").status_code == 200) == sees
    listed = api(user).get("/api/v1/complaints/")
    if user is None:
        assert listed.status_code == 401
    else:
        assert ([r["id"] for r in listed.json()["results"]] == [c.pk]) == sees
    staff_page = client.get("/complaints/staff/")
    assert (staff_page.status_code == 200) == (role in ("moderator", "clerk", "admin", "outsider"))  # staff somewhere
    assert (c.tracking_code in staff_page.content.decode()) == (role in ("moderator", "clerk", "admin"))


def _photo():
    from .conftest import image_bytes, upload

    return upload(image_bytes())
