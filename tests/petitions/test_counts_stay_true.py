"""Issue 15: thresholds are re-evaluated when the confirmed count falls (signatures invalidated or
withdrawn, a threshold raised), through the services and the API, and the page says so."""

import datetime as dt

import pytest
from django.utils import timezone

from petitions import services
from petitions.models import Petition
from petitions.selectors import petition_total
from tests.conftest import error_of
from workflows.errors import PermissionDenied, TransitionNotAllowed
from workflows.models import AuditEntry, Deadline
from workflows.services import transition

from .conftest import filing_ready, last_confirm_token, sign_and_confirm

pytestmark = pytest.mark.django_db


def pending_deadlines(petition):
    return {d.transition for d in Deadline.objects.filter(record_id=str(petition.pk), done_at__isnull=True)}


def entry(name):
    return AuditEntry.objects.get(name=name)


def test_invalidated_signatures_take_a_general_petition_below_both_thresholds(api, client, open_petition, moderator, clerk):
    for n in range(3):
        sign_and_confirm(open_petition, n, email=f"bot{n}@spam.example")
    for n in range(2):
        sign_and_confirm(open_petition, 10 + n)
    petition = Petition.objects.get(pk=open_petition.pk)
    assert petition.council_threshold_reached_at and petition.response_state == "awaiting_response"
    assert pending_deadlines(petition) == {"submit"}

    endpoint = f"/api/v1/petitions/{petition.pk}/signatures/invalidate/"
    body = {"email_domain": "spam.example", "reason": "โดเมนสแปม", "confirm": True}
    response = api(moderator).post(endpoint, body, format="json")
    assert response.status_code == 200 and response.json()["count_after"] == 2
    petition = Petition.objects.get(pk=petition.pk)
    # Below the council threshold: it cannot be submitted; the window's end closes it again.
    assert petition.state == "open" and petition.council_threshold_reached_at is None
    assert pending_deadlines(petition) == {"close"}
    lost = entry("council_threshold_lost")
    assert (lost.payload["count_before"], lost.payload["count_after"], lost.payload["threshold"]) == (5, 2, 5)
    assert lost.payload["because"] == "signatures_invalidated"
    response = api(clerk).post(f"/api/v1/petitions/{petition.pk}/transitions/submit/", {}, format="json")
    assert response.status_code == 409, response.json()
    # Below the response threshold: no longer awaiting a response, said publicly.
    assert petition.response_state == "not_required" and petition.response_threshold_reached_at is None
    assert entry("response_threshold_lost").payload["count_after"] == 2
    page = client.get(petition.get_absolute_url()).content.decode()
    assert 'data-testid="threshold-lost"' in page and "5 → 2" in page
    assert api().get(f"/api/v1/petitions/{petition.pk}/").json()["response_state"] == "not_required"
    # Reaching the thresholds again makes the moves again.
    for n in range(3):
        sign_and_confirm(petition, 20 + n)
    petition = Petition.objects.get(pk=petition.pk)
    assert petition.council_threshold_reached_at and petition.response_state == "awaiting_response"
    assert 'data-testid="threshold-lost"' not in client.get(petition.get_absolute_url()).content.decode()


def test_an_ordinance_initiative_below_its_threshold_goes_back_to_collecting(api, open_ordinance, clerk):
    for n in range(4):
        sign_and_confirm(open_ordinance, n)
    petition = Petition.objects.get(pk=open_ordinance.pk)
    assert petition.state == "closed" and petition.report_due_at
    response = api().post("/api/v1/signatures/withdraw/", {"token": last_confirm_token("signer0@example.org")}, format="json")
    assert response.status_code == 200, response.json()
    petition = Petition.objects.get(pk=petition.pk)
    assert petition.state == "open" and petition.report_due_at is None and petition.council_threshold_reached_at is None
    assert pending_deadlines(petition) == {"close"}
    moved = entry("reopen_collecting")
    assert (moved.from_state, moved.to_state) == ("closed", "open")
    assert (moved.payload["count_before"], moved.payload["count_after"]) == (4, 3)
    filing_ready(petition, clerk)  # the filing is complete: only the count stands in the way
    with pytest.raises(TransitionNotAllowed):
        transition(petition, "submit", actor=clerk)
    sign_and_confirm(petition, 9)  # at the threshold again: collection closes again
    petition = Petition.objects.get(pk=petition.pk)
    assert petition.state == "closed" and petition.report_due_at
    assert transition(petition, "submit", actor=clerk).state == "submitted"


def test_an_ordinance_whose_window_has_ended_stays_closed_and_cannot_be_submitted(api, open_ordinance, clerk):
    for n in range(4):
        sign_and_confirm(open_ordinance, n)
    Petition.objects.filter(pk=open_ordinance.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    services.signature_withdraw(token=last_confirm_token("signer1@example.org"))
    petition = Petition.objects.get(pk=open_ordinance.pk)
    assert petition.state == "closed" and petition.council_threshold_reached_at is None and petition.report_due_at is None
    assert "report_overdue" not in pending_deadlines(petition)
    response = api(clerk).post(f"/api/v1/petitions/{petition.pk}/transitions/submit/", {}, format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "transition_not_allowed"
    assert entry("council_threshold_lost").payload["count_after"] == 3


def test_a_raised_threshold_is_re_evaluated_and_system_moves_are_not_for_people(open_petition, admin_user, moderator):
    for n in range(3):
        sign_and_confirm(open_petition, n)
    assert Petition.objects.get(pk=open_petition.pk).response_state == "awaiting_response"
    with pytest.raises(PermissionDenied):  # a system move
        transition(open_petition, "response_threshold_lost", actor=moderator)
    petition = services.petition_thresholds_set(
        petition=open_petition, actor=admin_user, values={"response_threshold": 10}, reason="ตามระเบียบใหม่"
    )
    assert petition.response_state == "not_required" and petition_total(petition.pk) == 3
    lost = entry("response_threshold_lost")
    assert (lost.payload["count_before"], lost.payload["count_after"], lost.payload["threshold"]) == (3, 3, 10)
