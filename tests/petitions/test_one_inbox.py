"""Issue 15: one inbox is one signer (Gmail dots, googlemail.com and +tags fold into one address),
a household sharing one address signs with distinct names in one village up to a limit, and an
ordinance initiative stays one signature per national ID."""

import pytest

from accounts.models import Role, fold_email
from petitions import services
from petitions.models import Signature
from petitions.selectors import petition_total
from tests.conftest import error_of

from .conftest import last_confirm_token, sign_and_confirm, valid_national_id

pytestmark = pytest.mark.django_db


def url(petition):
    return f"/api/v1/petitions/{petition.pk}/signatures/"


def body(name="สมหญิง รักถิ่น", email="somying@example.org", village=3, **extra):
    return {"name": name, "email": email, "village": village, "consent": True, **extra}


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("J.o.h.n+petition@GoogleMail.com", "john@gmail.com"),
        (" john.doe+x+y@gmail.com ", "johndoe@gmail.com"),
        ("a.b+news@outlook.com", "a.b@outlook.com"),  # Outlook ignores +tags, not dots
        ("a.b+x@example.org", "a.b+x@example.org"),  # an unlisted provider: kept as typed
        ("+x@gmail.com", "+x@gmail.com"),  # nothing before the tag: not folded to an empty name
    ],
)
def test_it_folds_what_the_listed_providers_ignore(typed, folded):
    assert fold_email(typed) == folded


def test_the_provider_lists_are_settings(settings):
    settings.PETITION_EMAIL_IGNORES_PLUS = []
    assert fold_email("j.o.h.n+x@gmail.com") == "john+x@gmail.com"


def test_dotted_and_tagged_variants_of_one_inbox_are_one_signer(api, open_petition):
    first = api().post(url(open_petition), body(email="Som.Ying@gmail.com"), format="json")
    assert first.status_code == 201, first.json()
    again = api().post(url(open_petition), body(email="somying+petition@googlemail.com"), format="json")
    assert again.status_code == 200 and again.json()["outcome"] in ("resent", "pending")
    assert Signature.objects.get().email == "somying@gmail.com"
    services.signature_confirm(token=last_confirm_token("somying@gmail.com"))
    response = api().post(url(open_petition), body(email="s.o.m.y.i.n.g@gmail.com"), format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "already_signed"
    assert petition_total(open_petition.pk) == 1


def test_a_household_signs_with_distinct_names_in_one_village_up_to_the_limit(api, open_petition):
    shared = "family@example.org"
    for name in ["พ่อ ใจดี", "แม่ ใจดี", "ลูก ใจดี", "ยาย ใจดี"]:
        response = api().post(url(open_petition), body(name=name, email=shared), format="json")
        assert response.status_code == 201, response.json()
    response = api().post(url(open_petition), body(name="ตา ใจดี", email=shared), format="json")
    assert response.status_code == 409 and error_of(response) == {
        "code": "household_full",
        "message": error_of(response)["message"],
        "details": {"limit": 4},
    }
    response = api().post(url(open_petition), body(name="พ่อ  ใจดี", email=shared), format="json")  # the same person again
    assert response.status_code == 200
    assert Signature.objects.filter(email=shared).count() == 4


def test_a_household_signs_from_one_village_and_its_size_is_configurable(api, open_petition, settings):
    settings.PETITION_HOUSEHOLD_SIGNATURES = 2
    shared = "home@example.org"
    assert api().post(url(open_petition), body(name="ก", email=shared, village=3), format="json").status_code == 201
    other = api().post(url(open_petition), body(name="ข", email=shared, village=4), format="json")
    assert other.status_code == 409 and error_of(other)["code"] == "household_other_village"
    assert api().post(url(open_petition), body(name="ข", email=shared, village=3), format="json").status_code == 201
    third = api().post(url(open_petition), body(name="ค", email=shared, village=3), format="json")
    assert third.status_code == 409 and error_of(third)["code"] == "household_full"
    assert Signature.objects.count() == 2


def test_an_ordinance_stays_one_signature_per_national_id_in_a_household(api, open_ordinance):
    shared = "family@example.org"
    for n in range(2):  # two members of the household
        sign_and_confirm(open_ordinance, 100 + n, email=shared, village=3, national_id=valid_national_id(100 + n))
    assert petition_total(open_ordinance.pk) == 2  # distinct national IDs: two signers
    response = api().post(url(open_ordinance), body(name="คนอื่น", email=shared, national_id=valid_national_id(100)), format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "already_signed"


def test_the_sign_page_explains_a_full_household(client, open_petition, settings):
    settings.PETITION_HOUSEHOLD_SIGNATURES = 1
    form = {"name": "สมชาย", "email": "s@example.org", "village": "3", "consent": "on"}
    assert client.post(f"/petitions/{open_petition.pk}/sign/", form).status_code == 200
    page = client.post(f"/petitions/{open_petition.pk}/sign/", form | {"name": "สมหญิง"})
    assert page.status_code == 400 and "ครัวเรือน" in page.content.decode()


def test_a_member_confirms_their_own_pending_signature_made_with_a_dotted_address(open_petition, make_user, org):
    member = make_user(Role.RESIDENT, org=org, email="som.ying@gmail.com", full_name="สมหญิง รักถิ่น")
    services.signature_sign(
        petition_id=open_petition.pk, name="สมหญิง รักถิ่น", email="somying+x@gmail.com", village_number=3, consent=True
    )
    signature = services.signature_sign_member(petition_id=open_petition.pk, user=member, village_number=3, consent=True)
    assert Signature.objects.count() == 1 and signature.state == "confirmed" and petition_total(open_petition.pk) == 1
