"""An account whose email is not confirmed sees why it cannot take part, where the forms would be,
with a button that sends the link again; the API answers 403 `unconfirmed`, and
POST /api/v1/me/confirmation/ sends the link again (limited like every account mail)."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts import services
from accounts.models import Role
from consultations import services as consultation_services
from consultations.models import Problem, State
from notifications.models import OutboxEvent
from petitions.models import Petition
from tests.conftest import requires_redis
from tests.consultations.conftest import force_state, schedule_for
from workflows.errors import Conflict, PermissionDenied, RateLimited

pytestmark = pytest.mark.django_db
WHY = 'data-testid="unconfirmed-why"'


@pytest.fixture
def unconfirmed(make_user, org):
    return make_user(Role.RESIDENT, org=org, email="somsri@example.com", confirmed=False, village=org.villages.first())


@pytest.fixture
def hearing(org, moderator):
    c = consultation_services.consultation_create(organisation=org, actor=moderator, title="แผนพัฒนา", level="involve")
    consultation_services.consultation_schedule_set(consultation=c, actor=moderator, stages=schedule_for("involve"))
    return force_state(c, State.PROBLEM_IDENTIFICATION)


def confirmations():
    return OutboxEvent.objects.filter(event="account.confirm_email").count()


def test_the_service_sends_the_own_link_and_refuses_a_confirmed_account(unconfirmed, resident):
    services.email_confirmation_resend_own(user=unconfirmed, address="10.0.0.1")
    (event,) = OutboxEvent.objects.filter(event="account.confirm_email")
    assert event.audience["emails"][0]["email"] == "somsri@example.com"
    with pytest.raises(Conflict) as exc:
        services.email_confirmation_resend_own(user=resident, address="10.0.0.1")
    assert exc.value.code == "already_confirmed" and confirmations() == 1


@requires_redis
@pytest.mark.redis
def test_the_api_resends_and_is_limited(api, unconfirmed, resident):
    client = api(unconfirmed)
    answers = [client.post("/api/v1/me/confirmation/") for _ in range(settings.ACCOUNT_MAIL_LIMIT + 1)]
    assert [a.status_code for a in answers] == [202] * settings.ACCOUNT_MAIL_LIMIT + [429]
    assert answers[0].json() == {"sent": True, "email": "somsri@example.com"}
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited" and int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["details"]["retry_after_seconds"] == int(refused["Retry-After"])
    assert confirmations() == settings.ACCOUNT_MAIL_LIMIT
    with pytest.raises(RateLimited):
        services.email_confirmation_resend_own(user=unconfirmed, address="10.9.9.9")  # the address is limited too
    confirmed = api(resident).post("/api/v1/me/confirmation/")
    assert confirmed.status_code == 409 and confirmed.json()["error"]["code"] == "already_confirmed"
    assert api().post("/api/v1/me/confirmation/").status_code == 401


def test_taking_part_answers_403_unconfirmed(api, unconfirmed, hearing, org):
    with pytest.raises(PermissionDenied) as exc:
        consultation_services.problem_submit(consultation=hearing, actor=unconfirmed, title="ถนนชำรุด")
    assert exc.value.code == "unconfirmed"
    answer = api(unconfirmed).post(f"/api/v1/consultations/{hearing.pk}/problems/", {"title": "ถนนชำรุด"}, format="json")
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "unconfirmed" and error["details"]["resend"] == "/api/v1/me/confirmation/"
    assert not Problem.objects.exists()
    from petitions.models import PetitionPolicy

    PetitionPolicy.objects.get_or_create(organisation=org)
    answer = api(unconfirmed).post(
        "/api/v1/petitions/", {"organisation": org.slug, "kind": "general", "title": "ขอไฟถนน", "body": "ซอย 3 มืด"}, format="json"
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "unconfirmed"
    assert not Petition.objects.exists()


def test_the_consultation_page_says_why_instead_of_the_forms(client, unconfirmed, resident, hearing):
    client.force_login(unconfirmed)
    page = client.get(hearing.get_absolute_url()).content.decode()
    assert WHY in page and 'data-testid="problem-form"' not in page
    assert "somsri@example.com ของคุณยังไม่ได้รับการยืนยัน" in page
    assert f'action="{reverse("accounts:confirm_resend")}"' in page and 'data-testid="resend-confirmation"' in page
    assert client.post(reverse("accounts:confirm_resend")).status_code == 302 and confirmations() == 1
    client.force_login(resident)
    page = client.get(hearing.get_absolute_url()).content.decode()
    assert WHY not in page and 'data-testid="problem-form"' in page
    closed = force_state(hearing, State.DECIDING)  # nothing to take part in: nothing to explain
    client.force_login(unconfirmed)
    assert WHY not in client.get(closed.get_absolute_url()).content.decode()


def test_the_petition_pages_say_why(client, unconfirmed, org, resident, moderator, make_user):
    from petitions.models import PetitionPolicy
    from tests.petitions.conftest import make_petition

    PetitionPolicy.objects.create(organisation=org, sponsors_required=1, response_threshold=3, council_threshold=5)
    client.force_login(unconfirmed)
    create = client.get(reverse("petitions:create"))
    html = create.content.decode()
    assert create.status_code == 403 and WHY in html and 'data-testid="create-form"' not in html
    assert "เริ่มคำร้องไม่ได้" in html
    sponsor = make_user(Role.RESIDENT, org=org, email="sponsor@example.com")
    petition = make_petition(org, resident, state="open", sponsors=[sponsor], moderator=moderator)
    html = client.get(petition.get_absolute_url()).content.decode()
    assert WHY in html and 'data-testid="resend-confirmation"' in html
    client.force_login(resident)
    assert WHY not in client.get(petition.get_absolute_url()).content.decode()
