"""The organisation's policy names the verification level signing needs (issue 16): an ordinance
initiative signed online may need ThaID or in-person verification, an ordinary petition an email.
Both signing paths enforce it and tell the resident how to reach the level."""

import pytest
from django.utils import translation

from accounts.models import Role, User
from accounts.services import identity_verify_in_person
from petitions import selectors, services
from petitions.models import PetitionPolicy, Signature
from tests.conftest import error_of
from workflows.errors import PermissionDenied, ValidationFailed

from .conftest import sign, valid_national_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(policy):
    PetitionPolicy.objects.filter(pk=policy.pk).update(ordinance_signing_level="in_person")
    services.targets_forget()
    return policy


@pytest.fixture
def member(make_user, org):
    return make_user(Role.RESIDENT, org=org, email="member@example.org")


def _verify(clerk, user, org, n: int) -> User:
    identity_verify_in_person(actor=clerk, user=user, organisation=org, national_id=valid_national_id(n), id_card_seen=True)
    return User.objects.get(pk=user.pk)


def test_an_ordinance_needing_verified_identity_refuses_a_signer_without_an_account(open_ordinance, strict):
    with pytest.raises(PermissionDenied) as err:
        sign(open_ordinance, 1)
    assert err.value.code == "verification_required"
    assert err.value.details == {"required": "in_person", "level": "email", "verify_url": "/accounts/verification/"}
    assert "สำนักงานเทศบาล" in str(err.value.message)  # the site speaks Thai first
    with translation.override("en"), pytest.raises(PermissionDenied) as err:
        sign(open_ordinance, 1)
    assert "in person at the municipal office" in str(err.value.message)
    assert not Signature.objects.exists()


def test_the_api_answers_403_with_the_way_to_get_verified_in_thai_and_english(api, open_ordinance, strict):
    body = {"name": "สมชาย", "email": "a@example.org", "village": 1, "consent": True, "national_id": valid_national_id(1)}
    thai = api().post(f"/api/v1/petitions/{open_ordinance.pk}/signatures/", body, format="json", HTTP_ACCEPT_LANGUAGE="th")
    assert thai.status_code == 403
    error = error_of(thai)
    assert error["code"] == "verification_required" and error["details"]["required"] == "in_person"
    assert "ThaID" in error["message"] and "สำนักงาน" in error["message"]  # Thai, naming both ways
    english = api().post(f"/api/v1/petitions/{open_ordinance.pk}/signatures/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert "in person at the municipal office" in error_of(english)["message"]
    assert not Signature.objects.exists()


def test_an_email_confirmed_member_is_refused_and_a_verified_one_signs(open_ordinance, strict, member, clerk, org):
    with pytest.raises(PermissionDenied) as err:
        services.signature_sign_member(
            petition_id=open_ordinance.pk, user=member, village_number=1, consent=True, national_id=valid_national_id(5)
        )
    assert err.value.code == "verification_required"
    member = _verify(clerk, member, org, 5)
    signature = services.signature_sign_member(
        petition_id=open_ordinance.pk, user=member, village_number=1, consent=True, national_id=valid_national_id(5)
    )
    assert signature.state == "confirmed"
    assert selectors.petition_counts(open_ordinance.pk, fresh=True).total == 1


def test_a_verified_member_signs_only_with_the_id_they_were_verified_with(open_ordinance, strict, member, clerk, org):
    member = _verify(clerk, member, org, 5)
    with pytest.raises(ValidationFailed) as err:
        services.signature_sign_member(
            petition_id=open_ordinance.pk, user=member, village_number=1, consent=True, national_id=valid_national_id(6)
        )
    assert "national_id" in err.value.details
    assert not Signature.objects.exists()


def test_a_policy_asking_for_thaid_refuses_in_person(open_ordinance, policy, member, clerk, org):
    PetitionPolicy.objects.filter(pk=policy.pk).update(ordinance_signing_level="thaid")
    services.targets_forget()
    member = _verify(clerk, member, org, 5)
    with pytest.raises(PermissionDenied) as err:
        services.signature_sign_member(
            petition_id=open_ordinance.pk, user=member, village_number=1, consent=True, national_id=valid_national_id(5)
        )
    assert err.value.details["required"] == "thaid" and "ThaID" in str(err.value.message)
    User.objects.filter(pk=member.pk).update(identity_level="thaid")
    member.refresh_from_db()
    services.signature_sign_member(
        petition_id=open_ordinance.pk, user=member, village_number=1, consent=True, national_id=valid_national_id(5)
    )
    assert Signature.objects.filter(state="confirmed").count() == 1


def test_the_level_is_per_kind_an_ordinary_petition_still_takes_email(open_petition, open_ordinance, strict, member):
    signature, outcome = sign(open_petition, 1)
    assert outcome == "created"
    services.signature_sign_member(petition_id=open_petition.pk, user=member, village_number=1, consent=True)
    assert Signature.objects.filter(petition=open_petition).count() == 2


def test_a_petition_needing_verified_identity_refuses_on_the_page_with_the_way(client, open_petition, policy, member):
    PetitionPolicy.objects.filter(pk=policy.pk).update(signing_level="in_person")
    services.targets_forget()
    client.force_login(member)
    with translation.override("en"):
        response = client.post(f"/petitions/{open_petition.pk}/sign/", {"village": 1, "consent": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "/accounts/verification/" in response.content.decode()
    assert not Signature.objects.exists()


def test_the_policy_change_is_audited_through_policy_update(admin_user, org, policy):
    services.petition_policy_update(actor=admin_user, organisation_id=org.pk, values={"ordinance_signing_level": "thaid"})
    assert PetitionPolicy.objects.get(pk=policy.pk).ordinance_signing_level == "thaid"
    with pytest.raises(ValidationFailed):
        services.petition_policy_update(actor=admin_user, organisation_id=org.pk, values={"signing_level": "nonsense"})
