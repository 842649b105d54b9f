"""PDPA: a person downloads everything held about them and asks for erasure; an organisation's
admin completes it. Erasure removes what identifies the person and keeps every count, the tallies
and the audit chain (verify_audit OK), and is itself audited without personal data."""

import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import ErasureRequest, Membership, Role, User
from accounts.privacy.services import erasure_complete, erasure_refuse, erasure_request, personal_data_export
from consultations import selectors as consultation_selectors
from consultations import services as consultation_services
from consultations.models import State as ConsultationState
from notifications.models import Notification, OutboxEvent, Preference, Subscription
from notifications.services import preference_set, subscription_follow
from petitions.models import Signature, SignatureState
from petitions.selectors import petition_counts
from tests.conftest import PASSWORD
from tests.consultations.conftest import force_state, schedule_for
from tests.petitions.conftest import make_petition, sign, sign_and_confirm
from workflows.errors import Conflict, NotFound, ValidationFailed
from workflows.models import AuditEntry
from workflows.selectors import audit_verify
from workflows.services import actor_pseudonym

EMAIL, NAME = "somsri.person@example.com", "สมศรี รักถิ่น"


@pytest.fixture
def person(make_user, org):
    return make_user(Role.RESIDENT, org=org, email=EMAIL, full_name=NAME, village=org.villages.get(number=2))


@pytest.fixture
def world(org, policy, person, make_user, moderator, admin_user):
    """The person has started a petition, sponsored one, signed one signed out and one signed in
    (pending), voted, written a problem and a comment, supported a problem, follows and has an inbox."""
    sponsors = [person, make_user(Role.RESIDENT, org=org, email="other-sponsor@example.com")]
    started = make_petition(org, person, title="ขอถังขยะ", state="collecting_sponsors")
    author = make_user(Role.RESIDENT, org=org, email="author@example.com")  # a moderator never opens their own
    sponsored = make_petition(org, author, state="open", sponsors=sponsors, moderator=moderator)
    for n in range(3):
        sign_and_confirm(sponsored, n, village=1)
    signed = sign_and_confirm(sponsored, 99, village=2, email=EMAIL.upper())  # signed out, the address typed in capitals
    second = make_petition(org, author, title="คำร้องที่สอง", state="open", sponsors=sponsors, moderator=moderator)
    pending, _outcome = sign(second, 98, email=EMAIL)

    c = consultation_services.consultation_create(organisation=org, actor=moderator, title="แผนพัฒนา", level="collaborate")
    consultation_services.consultation_schedule_set(consultation=c, actor=moderator, stages=schedule_for("collaborate"))
    c = force_state(c, ConsultationState.PROBLEM_IDENTIFICATION)
    problem = consultation_services.problem_submit(consultation=c, actor=person, title="น้ำท่วมซอย 4")
    consultation_services.problem_support(problem=problem, actor=make_user(Role.RESIDENT, org=org, email="x@example.com"))
    c = force_state(c, ConsultationState.ALTERNATIVES)
    alternative = consultation_services.alternative_create(consultation=c, actor=moderator, title="ขุดลอกคลอง")
    c = force_state(c, ConsultationState.DELIBERATION)
    consultation_services.comment_post(consultation=c, actor=person, body="เห็นด้วยกับการขุดลอก", alternative_id=alternative.pk)
    consultation_services.ballot_cast(consultation=c, actor=person, alternative_ids=[alternative.pk])

    subscription_follow(user=person, record=sponsored)
    preference_set(user=person, channel="email", mode="digest")
    Notification.objects.create(user=person, event="petition.opened", title="เปิดให้ลงชื่อแล้ว", url="/petitions/1/")
    return {
        "started": started, "sponsored": sponsored, "signed": signed, "second": second, "pending": pending,
        "consultation": c, "problem": problem, "alternative": alternative,
    }  # fmt: skip


def signed_in(user) -> Client:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client


# --- export -------------------------------------------------------------------------------------
def test_it_exports_everything_held_about_the_person(world, person):
    data = personal_data_export(user=person)
    assert data["account"]["email"] == EMAIL and data["account"]["full_name"] == NAME
    assert data["account"]["village"]["number"] == 2
    assert [m["role"] for m in data["memberships"]] == [Role.RESIDENT]
    petitions = data["petitions"]
    assert [p["title"] for p in petitions["petitions_started"]] == ["ขอถังขยะ"]
    assert [s["petition"] for s in petitions["sponsored"]] == [world["sponsored"].pk, world["second"].pk]
    signatures = {s["petition"]: s for s in petitions["signatures"]}
    assert signatures[world["sponsored"].pk]["state"] == "confirmed"  # signed while signed out
    assert signatures[world["sponsored"].pk]["village_number"] == 2
    assert signatures[world["second"].pk]["state"] == "pending"
    consultations = data["consultations"]
    assert [p["title"] for p in consultations["problems"]] == ["น้ำท่วมซอย 4"]
    assert [c["body"] for c in consultations["comments"]] == ["เห็นด้วยกับการขุดลอก"]
    notifications = data["notifications"]
    follows = {(f["record_type"], f["record_id"]) for f in notifications["follows"]}  # also those made by taking part
    assert {
        ("petitions.petition", str(world["sponsored"].pk)),
        ("consultations.consultation", str(world["consultation"].pk)),
    } <= follows
    assert notifications["preferences"] == {"email": "digest"}
    assert [n["title"] for n in notifications["inbox"]] == ["เปิดให้ลงชื่อแล้ว"]
    json.dumps(data)  # JSON-able as it is


def test_the_export_says_you_voted_but_never_how(world, person):
    (vote,) = personal_data_export(user=person)["consultations"]["votes"]
    assert vote["consultation"] == world["consultation"].pk and vote["voted"] is True
    assert set(vote) == {"consultation", "title", "voted", "first_voted_at", "last_changed_at", "changes"}
    assert "alternative" not in json.dumps(vote)


def test_signatures_by_email_need_a_confirmed_address(world, person):
    """Else anyone could register someone's address and read their signatures."""
    User.objects.filter(pk=person.pk).update(email_confirmed_at=None)
    person.refresh_from_db()
    assert personal_data_export(user=person)["petitions"]["signatures"] == []


def test_the_page_download_and_the_api_give_the_same_file(world, person, api):
    response = signed_in(person).get(reverse("accounts:privacy-download"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="ruamkid-personal-data-')
    assert response["Cache-Control"] == "no-store"
    from_page = json.loads(response.content)
    from_api = api(User.objects.get(pk=person.pk)).get("/api/v1/me/data/").json()  # last_login as the page saw it
    from_page.pop("generated_at"), from_api.pop("generated_at")
    assert from_page == from_api
    assert from_page["account"]["full_name"] == NAME  # UTF-8, not escaped away


def test_the_download_needs_a_signed_in_person(db, api):
    response = Client().get(reverse("accounts:privacy-download"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert api().get("/api/v1/me/data/").status_code == 401


# --- asking -------------------------------------------------------------------------------------
def test_a_person_asks_for_erasure_once_and_the_admins_are_told(person, admin_user):
    client = signed_in(person)
    unconfirmed = client.post(reverse("accounts:privacy-erase"), {"note": "ย้ายไปต่างจังหวัด"})
    assert unconfirmed.status_code == 302 and not ErasureRequest.objects.exists()
    client.post(reverse("accounts:privacy-erase"), {"confirm": "yes", "note": "ย้ายไปต่างจังหวัด"})
    client.post(reverse("accounts:privacy-erase"), {"confirm": "yes"})
    request = ErasureRequest.objects.get()
    assert request.state == "open" and request.user == person and request.note == "ย้ายไปต่างจังหวัด"
    assert request.organisation == admin_user.memberships.get().organisation
    event = OutboxEvent.objects.get(event="privacy.erasure_requested")
    assert event.audience == {"roles": ["admin"]} and event.organisation_id == request.organisation_id
    page = client.get(reverse("accounts:privacy")).content.decode()
    assert 'data-testid="erasure-pending"' in page


def test_staff_see_the_requests_of_their_organisation_only(person, admin_user, moderator, make_user, other_org):
    request, _created = erasure_request(user=person)
    page = signed_in(admin_user).get(reverse("accounts:privacy-requests"))
    assert page.status_code == 200 and EMAIL in page.content.decode()
    assert signed_in(moderator).get(reverse("accounts:privacy-requests")).status_code == 403
    other_admin = make_user(Role.ADMIN, org=other_org, email="other-admin@example.com")
    assert EMAIL not in signed_in(other_admin).get(reverse("accounts:privacy-requests")).content.decode()
    refused = signed_in(other_admin).post(reverse("accounts:privacy-decide", args=[request.pk, "complete"]))
    assert refused.status_code == 404
    with pytest.raises(NotFound):
        erasure_complete(request_id=request.pk, actor=moderator)
    superuser = User.objects.create_superuser("root@example.com", PASSWORD)
    assert EMAIL in signed_in(superuser).get(reverse("accounts:privacy-requests")).content.decode()
    assert ErasureRequest.objects.get().state == "open"


# --- erasure ------------------------------------------------------------------------------------
def counts_of(world) -> dict:
    c = world["consultation"]
    return {
        "sponsored": petition_counts(world["sponsored"].pk, fresh=True),
        "second": petition_counts(world["second"].pk, fresh=True),
        "sponsors": world["started"].sponsors.count() + world["sponsored"].sponsors.count(),
        "tally": consultation_selectors.tally(c),
        "supports": world["problem"].supports.count(),
        "confirmed_rows": Signature.objects.filter(state=SignatureState.CONFIRMED).count(),
    }


def test_erasure_keeps_counts_and_the_chain_and_removes_what_identifies_the_person(world, person, admin_user):
    before = counts_of(world)
    entries_before = AuditEntry.objects.count()
    request, _created = erasure_request(user=person, note="โปรดลบข้อมูลของฉัน")
    response = signed_in(admin_user).post(reverse("accounts:privacy-decide", args=[request.pk, "complete"]))
    assert response.status_code == 302

    assert counts_of(world) == before
    report = audit_verify()
    assert report.ok, report
    call_command("verify_audit")  # exits 0

    user = User.objects.get(pk=person.pk)
    assert (user.email, user.full_name, user.village_id, user.is_active) == (
        f"erased-{person.pk}@erased.invalid",
        "",
        None,
        False,
    )
    assert user.erased_at is not None and not user.has_usable_password() and str(user) != NAME
    assert not Membership.objects.filter(user=user).exists()
    assert not Client().login(email=EMAIL, password=PASSWORD)
    signed = Signature.objects.get(pk=world["signed"].pk)
    assert (signed.name, signed.national_id_hash, signed.ip_hash, signed.state) == ("", None, "", "confirmed")
    assert EMAIL not in signed.email and signed.village_number == 2
    assert not Signature.objects.filter(pk=world["pending"].pk).exists()  # never counted: gone
    assert not Subscription.objects.filter(user=user).exists() and not Preference.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    assert not [e for e in OutboxEvent.objects.all() if EMAIL in json.dumps(e.audience) + json.dumps(e.data)]
    assert ErasureRequest.objects.get(pk=request.pk).note == ""

    assert AuditEntry.objects.count() == entries_before + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.name, entry.record_type, entry.record_id, entry.to_state) == (
        "personal_data_erased", "accounts.erasurerequest", str(request.pk), "done",
    )  # fmt: skip
    assert entry.payload["subject"] == actor_pseudonym(user) and entry.actor_role == "admin"
    assert entry.payload["erased"]["petitions.signatures_anonymised"] == 1
    assert entry.payload["erased"]["petitions.pending_signatures_deleted"] == 1
    public = json.dumps([e.payload for e in AuditEntry.objects.all()], ensure_ascii=False)
    public += "".join(e.reason for e in AuditEntry.objects.all())
    assert EMAIL not in public and NAME not in public and "โปรดลบ" not in public


def test_the_petition_page_names_an_erased_author_a_resident(world, person, admin_user, moderator):
    petition = make_petition(person.memberships.get().organisation, person, title="ไฟถนน", state="open",
                             sponsors=[moderator, admin_user], moderator=moderator)  # fmt: skip
    request, _created = erasure_request(user=person)
    erasure_complete(request_id=request.pk, actor=admin_user)
    html = Client(HTTP_ACCEPT_LANGUAGE="th").get(f"/petitions/{petition.pk}/").content.decode()
    assert NAME not in html and EMAIL not in html and "erased-" not in html


def test_an_erasure_is_done_once(world, person, admin_user):
    request, _created = erasure_request(user=person)
    erasure_complete(request_id=request.pk, actor=admin_user)
    entries = AuditEntry.objects.count()
    with pytest.raises(Conflict):
        erasure_complete(request_id=request.pk, actor=admin_user)
    assert AuditEntry.objects.count() == entries


def test_staff_refuse_with_a_reason_and_it_is_audited(world, person, admin_user):
    request, _created = erasure_request(user=person)
    with pytest.raises(ValidationFailed):
        erasure_refuse(request_id=request.pk, actor=admin_user, reason="  ")
    erasure_refuse(request_id=request.pk, actor=admin_user, reason="ข้อบัญญัติยื่นต่อสภาแล้ว ต้องเก็บรายชื่อไว้")
    request.refresh_from_db()
    assert request.state == "refused" and request.decided_by == admin_user
    entry = AuditEntry.objects.get(name="personal_data_erasure_refused")
    assert entry.payload == {"subject": actor_pseudonym(person)} and entry.to_state == "refused"
    assert User.objects.get(pk=person.pk).email == EMAIL  # nothing erased
    assert audit_verify().ok
