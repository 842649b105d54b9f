"""PDPA notices: every page that collects personal data says why, on what legal basis, for how long
and to whom, in Thai and English; the API says the same (accounts/privacy/notices.py)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.privacy.notices import KINDS
from consultations import services as consultation_services
from consultations.models import State as ConsultationState
from tests.conftest import PASSWORD
from tests.consultations.conftest import force_state, schedule_for
from tests.petitions.conftest import make_petition

HEADINGS = {
    "th": ["ข้อมูลส่วนบุคคลของคุณ", "วัตถุประสงค์", "ฐานทางกฎหมาย", "ระยะเวลาที่เก็บ", "ผู้ที่ได้รับข้อมูล"],
    "en": ["Your personal data", "Why we collect it", "Legal basis", "How long we keep it", "Who receives it"],
}


def client_for(user=None, language="th") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.cookies["django_language"] = language
    if user is not None:
        assert c.login(email=user.email, password=PASSWORD)
    return c


def notice_of(html: str, kind: str) -> str:
    found = re.search(rf'<aside class="privacy-notice"[^>]*data-kind="{kind}".*?</aside>', html, re.S)
    assert found, f"no {kind} notice on the page"
    return found.group(0)


def assert_notice(response, kind: str, language: str = "th") -> str:
    assert response.status_code == 200
    block = notice_of(response.content.decode(), kind)
    for heading in HEADINGS[language]:
        assert heading in block, (kind, heading)
    return block


@pytest.fixture
def pages(org, policy, resident, sponsors, moderator):
    """(kind, the page's URL, who looks) for every page that collects personal data."""
    collecting = make_petition(org, resident, state="collecting_sponsors")
    general = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    ordinance = make_petition(org, resident, kind="ordinance", state="open", sponsors=sponsors, moderator=moderator)
    consultation = consultation_services.consultation_create(
        organisation=org, actor=moderator, title="แผนพัฒนา", level="collaborate"
    )
    consultation_services.consultation_schedule_set(
        consultation=consultation, actor=moderator, stages=schedule_for("collaborate")
    )
    consultation = force_state(consultation, ConsultationState.DELIBERATION)
    return [
        ("registration", reverse("accounts:register"), None),
        ("petition", reverse("petitions:create"), resident),
        ("sponsor", reverse("petitions:sponsor", args=[collecting.pk, collecting.sponsor_token]), sponsors[0]),
        ("sponsor", reverse("petitions:sponsor", args=[collecting.pk, collecting.sponsor_token]), None),
        ("signature", reverse("petitions:detail", args=[general.pk]), None),
        ("signature_ordinance", reverse("petitions:detail", args=[ordinance.pk]), None),
        ("consultation", reverse("consultations:detail", args=[consultation.pk]), resident),
        ("notifications", reverse("notifications:preferences"), resident),
    ]


@pytest.mark.parametrize("language", ["th", "en"])
def test_it_shows_the_notice_on_every_page_that_collects_personal_data(pages, language):
    for kind, url, user in pages:
        assert_notice(client_for(user, language).get(url), kind, language)


def test_it_covers_every_kind_of_collection(pages):
    assert {kind for kind, _url, _user in pages} == set(KINDS)


def test_it_names_the_retention_the_purge_uses(pages, settings):
    settings.PDPA_SIGNATURE_RETENTION_DAYS = 200
    url = next(url for kind, url, _user in pages if kind == "signature")
    block = assert_notice(client_for(None, "th").get(url), "signature")
    assert "200 วัน" in block
    assert "ความยินยอม" in block and "มาตรา 19" in block  # consent, PDPA section 19
    block = assert_notice(client_for(None, "en").get(url), "signature", "en")
    assert "200 days after the petition ends" in block


def test_it_says_the_ordinance_signature_is_a_legal_obligation(pages):
    url = next(url for kind, url, _user in pages if kind == "signature_ordinance")
    block = assert_notice(client_for(None, "th").get(url), "signature_ordinance")
    assert "มาตรา 24(6)" in block and "2565" in block


def test_it_does_not_show_the_consultation_notice_to_someone_who_cannot_take_part(pages):
    url = next(url for kind, url, _user in pages if kind == "consultation")
    assert 'data-kind="consultation"' not in client_for(None).get(url).content.decode()


def test_the_privacy_page_lists_every_notice(db, org):
    html = client_for(None).get(reverse("accounts:privacy")).content.decode()
    for kind in KINDS:
        notice_of(html, kind)
    assert org.name in html


def test_the_api_gives_the_notices_in_the_requested_language(api, org):
    rows = api().get("/api/v1/privacy/notices/", HTTP_ACCEPT_LANGUAGE="th").json()
    assert [r["kind"] for r in rows] == list(KINDS)
    assert {"purpose", "legal_basis", "retention", "recipients", "controller"} <= set(rows[0])
    one = api().get("/api/v1/privacy/notices/signature/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert one["kind"] == "signature" and "consent" in one["legal_basis"].lower()
    thai = api().get("/api/v1/privacy/notices/signature/", HTTP_ACCEPT_LANGUAGE="th").json()
    assert "ความยินยอม" in thai["legal_basis"]
    missing = api().get("/api/v1/privacy/notices/nothing/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_sign_api_documents_the_notice(api, db):
    schema = api().get("/api/schema/?format=json").json()
    sign = schema["paths"]["/api/v1/petitions/{id}/signatures/"]["post"]
    assert "/api/v1/privacy/notices/signature/" in sign["description"]
