"""Issue 15: a signature made while the petition was open may be confirmed for
PETITION_CONFIRM_GRACE_HOURS (24) after the close; after that it is refused with a clear message.
Both confirming paths (the one statement on PostgreSQL and the portable one) agree."""

import datetime as dt

import pytest
from django.utils import timezone

from petitions import services, signing
from petitions.models import Petition, Signature
from petitions.selectors import petition_total
from tests.conftest import error_of
from workflows.services import transition

from .conftest import filing_ready, last_confirm_token, sign, sign_and_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["one_statement", "portable"])
def path(request, monkeypatch):
    if request.param == "portable":
        monkeypatch.setattr(signing, "available", lambda: False)
    return request.param


def confirm(api, email):
    return api().post("/api/v1/signatures/confirm/", {"token": last_confirm_token(email)}, format="json")


def test_a_signature_made_while_open_is_confirmed_after_the_close(api, open_petition, path):
    sign(open_petition, 1)
    closed = transition(open_petition, "close", actor=None)
    assert closed.state == "closed"
    response = confirm(api, "signer1@example.org")
    assert response.status_code == 200, response.json()
    assert Signature.objects.get().state == "confirmed" and petition_total(open_petition.pk) == 1


def test_after_the_grace_it_is_refused_with_the_date(api, client, open_petition, path):
    sign(open_petition, 1)
    transition(open_petition, "close", actor=None)
    Petition.objects.filter(pk=open_petition.pk).update(closed_at=timezone.now() - dt.timedelta(hours=25))
    response = confirm(api, "signer1@example.org")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "confirmation_closed" and "confirm_until" in error["details"]
    closed = Petition.objects.get(pk=open_petition.pk).closed_at
    assert str(closed.year + 543) in error["message"]  # a Buddhist Era date
    page = client.post(f"/petitions/signatures/confirm/{last_confirm_token('signer1@example.org')}/")
    assert page.status_code == 409 and "ยืนยัน" in page.content.decode()
    assert Signature.objects.get().state == "pending" and petition_total(open_petition.pk) == 0


def test_the_grace_is_a_setting(api, open_petition, settings, path):
    settings.PETITION_CONFIRM_GRACE_HOURS = 0
    sign(open_petition, 1)
    transition(open_petition, "close", actor=None)
    response = confirm(api, "signer1@example.org")
    assert response.status_code == 409 and error_of(response)["code"] == "confirmation_closed"


def test_a_window_past_its_end_but_not_yet_closed_still_takes_confirmations(api, open_petition, path):
    sign(open_petition, 1)
    Signature.objects.update(created_at=timezone.now() - dt.timedelta(hours=2))  # made while it was open
    Petition.objects.filter(pk=open_petition.pk).update(closes_at=timezone.now() - dt.timedelta(hours=1))
    services.targets_forget()
    assert confirm(api, "signer1@example.org").status_code == 200
    response = api().post(
        f"/api/v1/petitions/{open_petition.pk}/signatures/",
        {"name": "ใหม่", "email": "late@example.org", "village": 1, "consent": True},
        format="json",
    )
    assert response.status_code == 409 and error_of(response)["code"] == "signing_closed"  # no new signatures


def test_late_confirmations_that_reach_the_ordinance_threshold_start_the_report_clock(open_ordinance, clerk):
    for n in range(3):
        sign_and_confirm(open_ordinance, n)
    sign(open_ordinance, 3)
    petition = transition(open_ordinance, "close", actor=None)
    assert petition.state == "closed" and petition.council_threshold_reached_at is None
    services.signature_confirm(token=last_confirm_token("signer3@example.org"))
    petition = Petition.objects.get(pk=open_ordinance.pk)
    assert petition.council_threshold_reached_at and petition.report_due_at
    filing_ready(petition, clerk)
    assert transition(Petition.objects.get(pk=petition.pk), "submit", actor=clerk).state == "submitted"
