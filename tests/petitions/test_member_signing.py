"""A signed-in resident with a confirmed email signs in one step (no mail round trip) and the page
says "you signed this" afterwards (issue 14)."""

import pytest

from accounts.models import Role
from notifications.models import OutboxEvent
from petitions import selectors, services
from petitions.models import Signature, SignatureState
from workflows.errors import Conflict, PermissionDenied, ValidationFailed

from .conftest import sign, valid_national_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(make_user, org):
    return make_user(Role.RESIDENT, org=org, email="Member@Example.org", full_name="สมศรี รักดี", village=org.villages.get(number=2))


def test_a_confirmed_member_signs_at_once_without_a_mail(open_petition, member):
    signature = services.signature_sign_member(petition_id=open_petition.pk, user=member, village_number=2, consent=True)
    assert (signature.state, signature.user_id, signature.email, signature.name) == (
        SignatureState.CONFIRMED, member.pk, "member@example.org", "สมศรี รักดี",
    )  # fmt: skip
    assert not OutboxEvent.objects.filter(event="signature.confirm_requested").exists()
    assert selectors.petition_counts(open_petition.pk, fresh=True).total == 1
    assert selectors.signature_of(open_petition.pk, member) == signature
    with pytest.raises(Conflict) as err:
        services.signature_sign_member(petition_id=open_petition.pk, user=member, village_number=2, consent=True)
    assert err.value.code == "already_signed"
    assert selectors.petition_counts(open_petition.pk, fresh=True).total == 1


def test_it_confirms_the_pending_signature_the_member_started_by_email(open_petition, member):
    pending, _ = sign(open_petition, 1, email="member@example.org", village=2)
    signature = services.signature_sign_member(petition_id=open_petition.pk, user=member, village_number=2, consent=True)
    assert signature.pk == pending.pk and signature.state == SignatureState.CONFIRMED
    assert Signature.objects.count() == 1
    assert selectors.petition_counts(open_petition.pk, fresh=True).total == 1


def test_an_unconfirmed_account_still_confirms_by_mail(open_petition, make_user, org):
    unconfirmed = make_user(Role.RESIDENT, org=org, confirmed=False)
    with pytest.raises(PermissionDenied):
        services.signature_sign_member(petition_id=open_petition.pk, user=unconfirmed, village_number=2, consent=True)


def test_the_member_path_keeps_the_checks_of_signing(open_ordinance, member):
    with pytest.raises(ValidationFailed) as err:
        services.signature_sign_member(petition_id=open_ordinance.pk, user=member, village_number=9, consent=False)
    assert set(err.value.details) == {"village", "consent", "national_id"}
    services.signature_sign_member(
        petition_id=open_ordinance.pk, user=member, village_number=2, consent=True, national_id=valid_national_id(7)
    )
    assert Signature.objects.get().national_id_last4 == valid_national_id(7)[-4:]


def test_a_member_signs_on_the_page_and_sees_that_they_signed(client, open_petition, member):
    client.force_login(member)
    page = client.get(f"/petitions/{open_petition.pk}/").content.decode()
    assert 'data-testid="member-sign"' in page and 'name="email"' not in page
    response = client.post(f"/petitions/{open_petition.pk}/sign/", {"village": "2", "consent": "on", "notify_outcome": "on"})
    assert response.status_code == 302 and response["Location"].endswith("#signed")
    page = client.get(f"/petitions/{open_petition.pk}/").content.decode()
    assert 'data-testid="you-signed"' in page and "คุณลงชื่อในคำร้องนี้แล้ว" in page
    assert 'data-testid="sign-form"' not in page
    assert Signature.objects.get().notify_outcome is True


def test_a_member_who_unticks_the_outcome_box_is_not_mailed_the_outcome(client, open_petition, member):
    client.force_login(member)
    client.post(f"/petitions/{open_petition.pk}/sign/", {"village": "2", "consent": "on"})
    assert Signature.objects.get().notify_outcome is False


def test_a_pending_signature_by_the_accounts_email_is_shown_as_waiting(client, open_petition, make_user, org):
    person = make_user(Role.RESIDENT, org=org, email="later@example.org", confirmed=False)
    sign(open_petition, 1, email="later@example.org")
    client.force_login(person)
    page = client.get(f"/petitions/{open_petition.pk}/").content.decode()
    assert 'data-testid="you-signed"' in page and "รอการยืนยัน" in page
