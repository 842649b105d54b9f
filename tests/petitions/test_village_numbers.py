"""Issue 15: a village number is a whole number (3.5, 3.0 and 1e0 are refused) when signing, on the
page and in the API (the plain hot path and DRF), and wherever villages are entered."""

import json

import pytest

from accounts.models import Village
from petitions import services
from petitions.models import Signature
from tests.conftest import error_of
from workflows.errors import ValidationFailed
from workflows.parsers import WholeNumberField, whole_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("value", "expected"), [(3, 3), ("3", 3), (" 4 ", 4), (3.5, None), (3.0, None), (1e0, None),
                                                 ("3.5", None), ("1e0", None), ("3.0", None), (True, None), (None, None),
                                                 ("", None), ("๓", None), ([3], None)])  # fmt: skip
def test_whole_number(value, expected):
    assert whole_number(value) == expected


def test_the_field_refuses_what_drf_would_round():
    from rest_framework.exceptions import ValidationError

    field = WholeNumberField(min_value=1)
    assert field.run_validation("2") == 2
    for value in (2.0, "2.0", 1e0, "1e0", 0):
        with pytest.raises(ValidationError):
            field.run_validation(value)


def raw(body: str):
    return body.encode()


@pytest.mark.parametrize("village", ["3.5", "1e0", "3.0", '"3.5"', '"1e0"', "true"])
def test_the_signing_api_refuses_a_village_that_is_not_a_whole_number(client, open_petition, village):
    body = f'{{"name": "สมหญิง", "email": "s@example.org", "consent": true, "village": {village}}}'
    response = client.post(f"/api/v1/petitions/{open_petition.pk}/signatures/", raw(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "village" in error_of(response)["details"]
    assert Signature.objects.count() == 0


def test_the_signing_api_takes_a_whole_number_or_its_digits(client, open_petition):
    for n, village in enumerate(["3", '"3"']):
        body = f'{{"name": "คน {n}", "email": "s{n}@example.org", "consent": true, "village": {village}}}'
        response = client.post(f"/api/v1/petitions/{open_petition.pk}/signatures/", raw(body), content_type="application/json")
        assert response.status_code == 201, response.content
    assert set(Signature.objects.values_list("village_number", flat=True)) == {3}


def test_the_services_refuse_a_fraction_for_email_and_member_signing(open_petition, resident):
    for value in (3.5, 3.0, "1e0"):
        with pytest.raises(ValidationFailed) as refused:
            services.signature_sign(
                petition_id=open_petition.pk, name="ก", email="k@example.org", village_number=value, consent=True
            )
        assert "village" in refused.value.details
        with pytest.raises(ValidationFailed):
            services.signature_sign_member(petition_id=open_petition.pk, user=resident, village_number=value, consent=True)
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("village", ["3.5", "1e0", "3.0"])
def test_the_sign_page_refuses_a_fraction(client, open_petition, village):
    form = {"name": "สมหญิง", "email": "s@example.org", "village": village, "consent": "on"}
    response = client.post(f"/petitions/{open_petition.pk}/sign/", form)
    assert response.status_code == 400 and Signature.objects.count() == 0


def test_consultation_villages_are_whole_numbers(api, org, admin_user):
    village = Village.objects.filter(organisation=org).first()
    body = {"organisation": org.slug, "title": "งบประมาณ", "level": "consult"}
    for ids in (f"[{village.pk}.5]", f"[{village.pk}.0]", "[1e0]"):
        payload = json.dumps(body)[:-1] + f', "village_ids": {ids}}}'
        response = api(admin_user).post("/api/v1/consultations/", raw(payload), content_type="application/json")
        assert response.status_code == 400, response.content
        assert "village_ids" in error_of(response)["details"]
