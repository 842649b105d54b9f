"""Thai national ID numbers: a first digit 0 is refused; Thai digits (๑๒๓) are accepted and
become ASCII before the check digit and the keyed hash, so one person is one signer however
they type their number."""

import pytest
from django.core.cache import cache

from accounts import thai
from accounts.models import Role
from petitions.models import PetitionPolicy, Signature
from tests.conftest import error_of
from tests.petitions.conftest import make_petition, valid_national_id

ASCII_TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def with_check_digit(body: str) -> str:
    total = sum(int(body[i]) * (13 - i) for i in range(12))
    return body + str((11 - total % 11) % 10)


def test_a_first_digit_0_is_refused_even_with_a_right_check_digit():
    number = with_check_digit("012345678901")
    assert thai.national_id_is_valid("1" + number[1:12] + with_check_digit("1" + number[1:12])[-1])
    assert not thai.national_id_is_valid(number)
    assert not thai.national_id_is_valid(number.translate(ASCII_TO_THAI))


def test_thai_digits_are_normalised_and_checked():
    good = with_check_digit("110370207181")
    thai_form = good.translate(ASCII_TO_THAI)
    assert thai.normalise_national_id(thai_form) == good
    assert thai.normalise_national_id(f"{thai_form[0]}-{thai_form[1:5]}-{thai_form[5:10]} {thai_form[10:]}") == good
    assert thai.national_id_is_valid(thai_form)
    wrong = thai_form[:-1] + str((int(good[-1]) + 1) % 10).translate(ASCII_TO_THAI)
    assert not thai.national_id_is_valid(wrong)


@pytest.mark.parametrize(
    "other_script",
    [
        "١١٠٣٧٠٢٠٧١٨١",  # Arabic-Indic digits: str.isdigit() says yes, but no Thai ID is written so
        "１１０３７０２０７１８１",  # full width
        "¹¹⁰³⁷⁰²⁰⁷¹⁸¹",  # superscripts: isdigit() again, and int() raises
    ],
)
def test_digits_of_other_scripts_are_not_a_national_id(other_script):
    assert not thai.national_id_is_valid(other_script + "0")
    assert not thai.national_id_is_valid(other_script + "5")


def test_non_breaking_spaces_and_tabs_are_spaces():
    good = with_check_digit("110370207181")
    assert thai.normalise_national_id(f"\u00a0{good[:5]}\t{good[5:]} ") == good


# --- through the signing API of an ordinance initiative -----------------------------------------------


@pytest.fixture
def ordinance(org, resident, moderator, make_user):
    cache.clear()  # no signing-rate window left from another test
    PetitionPolicy.objects.create(organisation=org, sponsors_required=2, ordinance_threshold=4, ip_limit=1000)
    sponsors = [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(2)]
    return make_petition(org, resident, kind="ordinance", title="ร่างข้อบัญญัติ", state="open", sponsors=sponsors, moderator=moderator)


def sign(api, petition, national_id: str, n: int):
    body = {
        "name": f"ผู้ลงชื่อ {n}",
        "email": f"signer{n}@example.org",
        "village": 1,
        "consent": True,
        "national_id": national_id,
    }
    return api().post(f"/api/v1/petitions/{petition.pk}/signatures/", body, format="json")


@pytest.mark.django_db
def test_an_ordinance_takes_thai_digits_and_stores_the_ascii_number(api, ordinance):
    good = valid_national_id(7)
    response = sign(api, ordinance, good.translate(ASCII_TO_THAI), 1)
    assert response.status_code == 201, response.content
    signature = Signature.objects.get()
    assert signature.national_id_last4 == good[-4:]
    assert signature.national_id_hash == thai.keyed_hash(good, purpose="national-id")


@pytest.mark.django_db
def test_an_ordinance_refuses_a_first_digit_0_with_a_clear_400(api, ordinance):
    number = with_check_digit("012345678901")
    for typed in (number, number.translate(ASCII_TO_THAI)):
        response = sign(api, ordinance, typed, 2)
        assert response.status_code == 400
        assert "national_id" in error_of(response)["details"]
    assert not Signature.objects.exists()
