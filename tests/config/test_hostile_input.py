"""Hostile input never gets a 500: deeply nested or broken JSON, NUL bytes and lone surrogates in
text and choice fields, and tokens no mail ever carried. Every case answers a 4xx in the one error
shape (API) or an ordinary error page, echoes nothing it could not encode, and writes nothing."""

import json

import pytest
from django.urls import reverse

from accounts.models import Role
from petitions.models import Petition, PetitionPolicy, Signature
from tests.conftest import error_of
from tests.petitions.conftest import make_petition
from workflows.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

SIGN = "/api/v1/petitions/{pk}/signatures/"
CONFIRM = "/api/v1/signatures/confirm/"
WITHDRAW = "/api/v1/signatures/withdraw/"
SPONSOR = "/api/v1/petitions/{pk}/sponsors/"
TOKEN = "/api/v1/auth/token/"
LONE_SURROGATE = "\ud800"  # what `"\ud800"` in a JSON text decodes to: no UTF-8 encoding exists


def nested(depth: int) -> str:
    return '{"name": ' + "[" * depth + "]" * depth + "}"


def raw_post(client, path, body: str | bytes, content_type="application/json", **extra):
    """Post a body exactly as given (escapes like \\ud800 stay escapes on the wire)."""
    return client.generic("POST", path, body, content_type=content_type, **extra)


@pytest.fixture
def policy(org):
    return PetitionPolicy.objects.create(
        organisation=org, sponsors_required=1, response_threshold=3, council_threshold=5, ip_limit=1000, petition_limit=10**5
    )


@pytest.fixture
def petition(org, policy, resident, moderator, make_user):
    sponsor = make_user(Role.RESIDENT, org=org, email="sponsor@example.com")
    return make_petition(org, resident, state="open", sponsors=[sponsor], moderator=moderator)


@pytest.fixture
def collecting(org, policy, resident):
    return make_petition(org, resident, state="collecting_sponsors", title="ขอถังขยะเพิ่ม")


def assert_refused(response, status=400, code=None) -> dict:
    assert response.status_code == status, response.content
    error = error_of(response)
    if code:
        assert error["code"] == code, error
    json.dumps(error, ensure_ascii=False).encode("utf-8")  # nothing undecodable came back
    assert "\x00" not in json.dumps(error, ensure_ascii=False)
    return error


# --- one JSON parser with a depth limit ------------------------------------------------------------


JSON_ENDPOINTS = [TOKEN, "/api/v1/petitions/", "/api/v1/consultations/", CONFIRM, SIGN]  # DRF views, then plain ones


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_it_refuses_json_nested_deeper_than_the_limit_on_every_json_endpoint(client, moderator, petition, path, depth):
    client.force_login(moderator)  # past the sign-in check of the DRF views
    response = raw_post(client, path.format(pk=petition.pk), nested(depth))
    error = assert_refused(response, code="malformed_request")
    assert error["details"] == {"max_depth": MAX_JSON_DEPTH}


def test_json_within_the_depth_limit_is_parsed_as_usual(client, petition):
    body = json.dumps({"token": "x", "extra": json.loads(nested(MAX_JSON_DEPTH - 2))})
    response = raw_post(client, CONFIRM, body)
    assert_refused(response, status=404, code="invalid_token")  # parsed, then the token was checked


@pytest.mark.parametrize(
    "body",
    [b'{"email": "a@example.com",', b"\xff\xfe{}", b'{"a": NaN}', b'{"a": Infinity}', b'{"a": ' + b"1" * 5000 + b"}", b"[1, 2]"],
    ids=["truncated", "not-utf8", "nan", "infinity", "huge-int", "not-an-object"],
)
@pytest.mark.parametrize("path", [TOKEN, CONFIRM, "/api/v1/consultations/"])
def test_it_refuses_json_that_is_not_a_plain_object(client, moderator, path, body):
    client.force_login(moderator)
    assert_refused(raw_post(client, path, body), code="malformed_request")


@pytest.mark.django_db(transaction=True)  # the lane opens and closes its own connections
@pytest.mark.parametrize("body", [nested(100_000), '{"token": "a\\u0000b"}', '{"token": "\\ud800"}'])
def test_the_hot_lane_refuses_them_the_same_way(body):
    """The WSGI lane in front of Django (config/wsgi.py) parses with the same parser."""
    from tests.petitions.test_hot_lane import LANE_ONLY, call

    status, _headers, content = call(LANE_ONLY, CONFIRM, body.encode())
    assert status.startswith("400 ")
    assert json.loads(content)["error"]["code"] in ("malformed_request", "invalid")


# --- one text cleaner -----------------------------------------------------------------------------


BAD_TEXT = [("\\u0000", "nul"), ("\\ud800", "lone-surrogate"), ("\\udfff x", "lone-low-surrogate")]


@pytest.mark.parametrize(("escape", "what"), BAD_TEXT)
def test_bad_text_in_a_text_field_is_400_naming_the_field(api, moderator, escape, what):
    body = '{"organisation": "ban-song", "level": "consult", "title": "ถนน' + escape + '"}'
    client = api(moderator)
    response = client.generic("POST", "/api/v1/consultations/", body, content_type="application/json")
    error = assert_refused(response, code="invalid")
    assert list(error["details"]) == ["title"]


@pytest.mark.parametrize(("escape", "what"), BAD_TEXT)
def test_bad_text_in_a_choice_field_is_400_without_echoing_it(api, moderator, escape, what):
    body = '{"organisation": "ban-song", "title": "ถนน", "level": "consult' + escape + '"}'
    response = api(moderator).generic("POST", "/api/v1/consultations/", body, content_type="application/json")
    error = assert_refused(response, code="invalid")
    assert "consult" not in json.dumps(error)


def test_a_wrong_choice_is_refused_without_echoing_the_value(api, moderator):
    response = api(moderator).post(
        "/api/v1/consultations/", {"organisation": "ban-song", "title": "ถนน", "level": "<b>shout</b>"}, format="json"
    )
    error = assert_refused(response, code="invalid")
    assert "shout" not in json.dumps(error, ensure_ascii=False)
    assert error["details"]["level"]


def test_the_messages_are_in_thai_and_english(api, moderator):
    body = '{"organisation": "ban-song", "title": "\\ud800", "level": "shout"}'
    thai = api(moderator).generic("POST", "/api/v1/consultations/", body, content_type="application/json")
    assert error_of(thai)["details"]["title"] == ["ข้อความนี้มีอักขระที่บันทึกไม่ได้ (อักขระ NUL หรืออักขระยูนิโค้ดที่เสีย)"]
    body = {"organisation": "ban-song", "title": "ถนน", "level": "shout"}
    english = api(moderator).post("/api/v1/consultations/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert error_of(english)["details"]["level"] == ["This is not one of the allowed choices."]
    deep = api(moderator).generic("POST", "/api/v1/consultations/", nested(99), content_type="application/json")
    assert error_of(deep)["message"] == f"JSON ซ้อนกันลึกเกินไป (ได้ไม่เกิน {MAX_JSON_DEPTH} ชั้น)"


def test_a_wrong_choice_in_a_page_form_is_refused_without_echoing_the_value(client, resident, petition):
    client.force_login(resident)
    response = client.post(
        reverse("petitions:sign", args=[petition.pk]),
        {"name": "สมชาย", "email": "s@example.com", "village": "<b>99</b>", "consent": "on"},
    )
    assert response.status_code == 400
    assert "&lt;b&gt;99" not in response.content.decode()


@pytest.mark.parametrize(("escape", "what"), BAD_TEXT)
def test_bad_text_in_a_key_is_refused(api, moderator, escape, what):
    body = '{"organisation": "ban-song", "level": "consult", "title": "ถนน", "x' + escape + '": 1}'
    response = api(moderator).generic("POST", "/api/v1/consultations/", body, content_type="application/json")
    assert_refused(response, code="invalid")


@pytest.mark.parametrize(("escape", "what"), BAD_TEXT)
def test_bad_text_on_the_signing_hot_path_is_400_and_writes_nothing(client, petition, escape, what):
    body = '{"name": "ผู้ลงชื่อ' + escape + '", "email": "a@example.org", "village": 1, "consent": true}'
    error = assert_refused(raw_post(client, SIGN.format(pk=petition.pk), body), code="invalid")
    assert list(error["details"]) == ["name"]
    assert not Signature.objects.exists()


def test_a_nul_in_form_data_is_400_on_the_plain_endpoints(client, petition):
    response = client.post(
        SIGN.format(pk=petition.pk), {"name": "a\x00b", "email": "a@example.org", "village": "1", "consent": "1"}
    )
    error = assert_refused(response, code="invalid")
    assert list(error["details"]) == ["name"]
    assert not Signature.objects.exists()


def test_a_nul_in_form_data_is_400_on_drf_endpoints(api, moderator):
    response = api(moderator).post("/api/v1/consultations/", {"organisation": "ban-song", "title": "x", "level": "consult\x00"})
    error = assert_refused(response, code="invalid")
    assert list(error["details"]) == ["level"]


@pytest.mark.parametrize(
    "path", ["/api/v1/petitions/?state=%00", "/api/v1/consultations/?state=%00", "/api/v1/audit/?record_type=%00"]
)
def test_a_nul_in_the_query_string_is_400(client, path):
    assert_refused(client.get(path), code="invalid")


@pytest.mark.parametrize("path", ["/petitions/?tab=%00", "/audit/?record_type=%00&record_id=%00", "/consultations/?month=%00"])
def test_a_nul_in_a_page_query_string_is_an_error_page_not_a_500(client, path):
    assert client.get(path).status_code in (200, 400)


# --- tokens no mail ever carried ----------------------------------------------------------------------


ODD_TOKENS = [
    "ก.ข.ค",  # Thai letters
    "๑๒.abcd.ef",  # Thai digits: str.isdigit() is true for them
    "²³.abcd.ef",  # superscripts: isdigit() is true, int() refuses
    "1.abcd." + "é" * 40,  # a MAC of the right length with non-ASCII characters
    "1.\ud800.x",  # a lone surrogate (JSON escape)
    "1.a\x00b.c",
    "1." + "a" * 5000 + ".b",
]


@pytest.mark.parametrize("token", ODD_TOKENS)
@pytest.mark.parametrize("path", [CONFIRM, WITHDRAW])
def test_odd_tokens_on_confirm_and_withdraw_are_404(client, petition, path, token):
    response = raw_post(client, path, json.dumps({"token": token}))
    assert response.status_code in (400, 404), response.content
    assert_refused(response, status=response.status_code)


@pytest.mark.parametrize("token", ODD_TOKENS)
def test_odd_sponsor_tokens_are_404(api, collecting, make_user, org, token):
    user = make_user(Role.RESIDENT, org=org, email="backer@example.com")
    response = api(user).generic(
        "POST", SPONSOR.format(pk=collecting.pk), json.dumps({"token": token}), content_type="application/json"
    )
    assert response.status_code in (400, 404), response.content
    assert_refused(response, status=response.status_code)
    assert not collecting.sponsors.exists()


PAGE_TOKENS = ["ก.ข.ค", "๑๒.abcd.ef", "²³.abcd.ef", "1.abcd." + "é" * 40, "%ED%A0%80", "%00", "%FF%FE"]


@pytest.mark.parametrize("token", PAGE_TOKENS)
def test_odd_tokens_on_the_confirm_and_withdraw_pages_are_404(client, petition, token):
    for method, prefix in (("get", "confirm"), ("post", "confirm"), ("post", "withdraw")):
        response = getattr(client, method)(f"/petitions/signatures/{prefix}/{token}/")
        assert response.status_code in (400, 404), (method, prefix, response.status_code)


@pytest.mark.parametrize("token", PAGE_TOKENS)
def test_odd_tokens_on_the_sponsor_page_are_404(client, collecting, make_user, org, token):
    client.force_login(make_user(Role.RESIDENT, org=org, email="backer@example.com"))
    for method in ("get", "post"):
        response = getattr(client, method)(f"/petitions/{collecting.pk}/sponsor/{token}/")
        assert response.status_code == 404, (method, response.status_code)
    assert not collecting.sponsors.exists()


def test_a_real_sponsor_token_still_works(api, collecting, make_user, org):
    user = make_user(Role.RESIDENT, org=org, email="backer@example.com")
    response = api(user).post(SPONSOR.format(pk=collecting.pk), {"token": collecting.sponsor_token}, format="json")
    assert response.status_code == 201, response.content
    assert Petition.objects.get(pk=collecting.pk).state == "awaiting_moderation"


# --- page forms ----------------------------------------------------------------------------------------


def test_a_petition_move_without_its_own_form_reads_the_reason_through_one(client, org, policy, resident, moderator, make_user):
    from workflows.models import AuditEntry

    sponsor = make_user(Role.RESIDENT, org=org, email="sponsor@example.com")
    petition = make_petition(org, resident, state="awaiting_moderation", sponsors=[sponsor])
    client.force_login(moderator)
    entries = AuditEntry.objects.count()
    response = client.post(reverse("petitions:act", args=[petition.pk, "open"]), {"reason": "ก" * 4001})
    assert response.status_code == 302
    assert client.post(reverse("petitions:act", args=[petition.pk, "open"]), {"reason": "เปิด\x00"}).status_code == 400
    assert Petition.objects.get(pk=petition.pk).state == "awaiting_moderation"
    assert AuditEntry.objects.count() == entries
    client.post(reverse("petitions:act", args=[petition.pk, "open"]), {"reason": "เปิดให้ลงชื่อ"})
    assert Petition.objects.get(pk=petition.pk).state == "open"


def test_notification_settings_go_through_a_form(client, resident):
    from notifications.models import Preference

    client.force_login(resident)
    for value, status in (("off\x00", 400), ("hourly", 302), ("ปิด", 302)):
        response = client.post(reverse("notifications:preferences"), {"email": value})
        assert response.status_code == status
        assert not Preference.objects.exists()
    client.post(reverse("notifications:preferences"), {"email": "off"})
    assert Preference.objects.get(user=resident, channel="email").mode == "off"


def test_a_nul_in_any_page_form_is_400_before_the_view(client, moderator):
    """Every page form, also one a view reads without a form class (surveys/views.py survey_new)."""
    from surveys.models import Survey

    client.force_login(moderator)
    response = client.post("/surveys/new/", {"title": "แบบสอบถาม\x00", "subject": "municipality"})
    assert response.status_code == 400
    assert not Survey.objects.exists()
    response = client.post("/surveys/new/", {"title": "แบบสอบถาม", "subject": "municipality"})
    assert response.status_code == 302 and Survey.objects.count() == 1


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "-1", ""])
def test_a_survey_answer_id_that_is_not_a_number_is_404(client, moderator, org, value):
    from surveys import services as survey_services

    survey = survey_services.survey_create(organisation=org, actor=moderator, title="แบบสอบถาม")
    client.force_login(moderator)
    assert client.post(f"/surveys/{survey.pk}/moderation/", {"answer": value, "publish": "1"}).status_code == 404
