"""One seeded site per module for the accessibility tests: the demo municipality (seed_demo) plus a
consultation in every stage, a pending signature and the demo's tracking codes, served by a live
server of the module's own. Hundreds of page checks share it instead of seeding per test (a
transactional test empties the database after itself, so pytest-django's live_server cannot keep
data between tests); the database is emptied once, when the module is done. The modules carry
the plain django_db mark, so the test database is created and each test's own writes in this
process roll back; what the live server writes is committed, like the seeded data.

Personas sign in with a session cookie (no login form per page); each (persona, language) has one
browser context, reused by every page check in the module."""

import io
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import watch_policy_errors

PERSONAS = {
    "anon": None,
    "resident": "resident@example.com",
    "moderator": "moderator@example.com",
    "clerk": "clerk@example.com",
    "admin": "admin@example.com",
    "integrity": "integrity@example.com",
}
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
LANGUAGES = ("th", "en")
STAGES = (
    "draft", "informing", "problem_identification", "alternatives", "deliberation",
    "deciding", "decided", "implementing", "closed", "cancelled",
)  # fmt: skip


@dataclass
class Site:
    url: str
    consultation: dict = field(default_factory=dict)  # stage name -> pk
    petition: dict = field(default_factory=dict)  # state name -> pk
    signature_token: str = ""
    complaint_code: str = ""
    complaint_pk: int = 0
    integrity_reference: str = ""
    integrity_pk: int = 0
    survey_pk: int = 0
    sessions: dict = field(default_factory=dict)


def _consultations(org, staff, residents) -> dict:
    """A collaborate consultation with problems, comments, alternatives and ballots, put in each stage."""
    from consultations import services
    from tests.consultations.conftest import force_state, schedule_for

    made = {}
    for stage in STAGES:
        c = services.consultation_create(
            organisation=org, actor=staff, level="collaborate", title=f"ปรับปรุงตลาดสดเทศบาล ({stage})",
            summary="ร่วมกันกำหนดปัญหาและเลือกแนวทางปรับปรุงตลาดสด",
        )  # fmt: skip
        services.consultation_schedule_set(consultation=c, actor=staff, stages=schedule_for("collaborate"))
        if stage != "draft":
            c = force_state(c, "problem_identification")
            problem = services.problem_submit(consultation=c, actor=residents[0], title="ทางเดินในตลาดลื่นและมืด")
            services.problem_submit(consultation=c, actor=residents[1], title="ไม่มีที่จอดรถจักรยานยนต์")
            services.comment_post(consultation=c, actor=residents[1], body="เห็นด้วย ฝนตกทีไรลื่นทุกครั้ง")
            c = force_state(c, "alternatives")
            a = services.alternative_create(consultation=c, actor=staff, title="ปูพื้นกันลื่นและติดไฟ LED", problem_ids=[problem.pk])
            b = services.alternative_create(consultation=c, actor=staff, title="ขยายลานจอดรถด้านหลังตลาด")
            c = force_state(c, "deliberation")
            services.ballot_cast(consultation=c, actor=residents[2], alternative_ids=[a.pk])
            services.ballot_cast(consultation=c, actor=residents[3], alternative_ids=[b.pk])
            c = force_state(c, stage)
        made[stage] = c.pk
    return made


def _seed(site: Site) -> None:
    from accounts.models import Organisation, User
    from complaints.models import Complaint, IntegrityReport
    from petitions import services as petitions
    from petitions.models import Petition
    from surveys.models import Survey

    call_command("seed_demo", stdout=io.StringIO())
    org = Organisation.objects.get(slug="ban-song")
    residents = list(User.objects.filter(email__startswith="resident").order_by("email"))
    site.consultation = _consultations(org, User.objects.get(email=PERSONAS["clerk"]), residents)
    site.petition = {p.state: p.pk for p in Petition.objects.order_by("-pk")}
    signature, _ = petitions.signature_sign(
        petition_id=site.petition["open"], name="ประสิทธิ์ ทดสอบ", email="prasit@example.com",
        village_number=3, consent=True, language="th", notify_outcome=True,
    )  # fmt: skip
    site.signature_token = petitions.signature_token(signature)
    complaint = Complaint.objects.exclude(tracking_code="").order_by("pk").first()
    site.complaint_code, site.complaint_pk = complaint.tracking_code, complaint.pk
    report = IntegrityReport.objects.order_by("pk").first()
    site.integrity_reference, site.integrity_pk = report.reference, report.pk
    site.survey_pk = Survey.objects.order_by("pk").first().pk
    for persona, email in PERSONAS.items():
        if email:
            client = Client()
            client.force_login(User.objects.get(email=email))
            site.sessions[persona] = client.cookies["sessionid"].value


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    from django.db import connection
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        # The test database exists only when a collected test asks for one (the django_db mark on
        # these modules): never seed, then flush, the database named in DATABASE_URL itself.
        name = str(connection.settings_dict["NAME"])
        assert name.startswith("test_") or connection.creation.is_in_memory_db(name), f"not a test database: {name}"
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            seeded = Site(url=server.url)
            _seed(seeded)
            yield seeded
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)  # the next module starts from empty


@pytest.fixture(scope="module")
def pages(browser, site):
    """pages(persona, language): that persona's one tab in that language (created on first use)."""
    import os

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    opened: dict = {}

    def get(persona: str, language: str):
        key = (persona, language)
        if key not in opened:
            context = browser.new_context(base_url=site.url, locale="th-TH", viewport=VIEWPORTS["phone"])
            context.set_default_timeout(20_000)
            cookies = [{"name": "django_language", "value": language, "url": site.url}]
            if persona != "anon":
                cookies.append({"name": "sessionid", "value": site.sessions[persona], "url": site.url})
            context.add_cookies(cookies)
            page = context.new_page()
            opened[key] = (page, watch_policy_errors(page))
        return opened[key]

    yield get
    for page, _ in opened.values():
        page.context.close()
