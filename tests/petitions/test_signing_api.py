"""Signing over the API: the answers, bad input, duplicates, rate limits, withdrawal, invalidation."""

import pytest

from notifications.models import OutboxEvent
from petitions import services
from petitions.models import Petition, PetitionPolicy, Signature
from petitions.selectors import petition_counts, petition_total
from tests.conftest import error_of
from workflows.models import AuditEntry

from .conftest import filing_ready, last_confirm_token, make_petition, sign, sign_and_confirm, valid_national_id

pytestmark = pytest.mark.django_db


def url(petition_id):
    return f"/api/v1/petitions/{petition_id}/signatures/"


def payload(**overrides):
    body = {"name": "สมหญิง รักถิ่น", "email": "Somying@Example.org ", "village": 3, "consent": True}
    body.update(overrides)
    return body


def counts():
    return (Signature.objects.count(), OutboxEvent.objects.filter(event="signature.confirm_requested").count())


def test_it_starts_a_pending_signature_and_mails_the_confirm_link(api, open_petition):
    response = api().post(url(open_petition.pk), payload(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["outcome"] == "created" and "token" not in response.json()
    signature = Signature.objects.get()
    assert (signature.state, signature.email, signature.village_number) == ("pending", "somying@example.org", 3)
    event = OutboxEvent.objects.get(event="signature.confirm_requested")
    assert event.audience == {"emails": [{"email": "somying@example.org", "name": "สมหญิง รักถิ่น", "language": "th"}]}
    assert event.data["confirm_url"].startswith("/petitions/signatures/confirm/")
    assert event.data["url"] == event.data["confirm_url"]  # the mail's one link is the confirm page
    assert event.data["title"] == open_petition.title and event.data["petition_url"] == f"/petitions/{open_petition.pk}/"
    assert petition_total(open_petition.pk) == 0  # not counted before confirmation


@pytest.mark.parametrize(
    "body,field",
    [
        (payload(consent=False), "consent"),
        ({k: v for k, v in payload().items() if k != "consent"}, "consent"),
        (payload(name="ก" * 10_000), "name"),
        (payload(name=""), "name"),
        (payload(email="not-an-email"), "email"),
        (payload(email="a" * 300 + "@example.org"), "email"),
        (payload(village=99), "village"),
        (payload(village="three"), "village"),
        (payload(village=None), "village"),
    ],
)
def test_bad_input_is_a_clear_400_and_changes_nothing(api, open_petition, body, field):
    before = counts()
    response = api().post(url(open_petition.pk), body, format="json")
    assert response.status_code == 400
    assert field in error_of(response)["details"]
    assert counts() == before


def test_a_json_array_or_garbage_is_a_400(api, open_petition):
    assert api().post(url(open_petition.pk), [1, 2], format="json").status_code == 400
    response = api().post(url(open_petition.pk), "{not json", content_type="application/json")
    assert response.status_code == 400 and error_of(response)["code"] == "malformed_request"
    assert counts() == (0, 0)


def test_an_ordinance_needs_a_valid_national_id(api, open_ordinance):
    bad = valid_national_id(7)
    bad = bad[:-1] + str((int(bad[-1]) + 1) % 10)
    for nid in ("", "12345", bad):
        response = api().post(url(open_ordinance.pk), payload(national_id=nid), format="json")
        assert response.status_code == 400
        assert "national_id" in error_of(response)["details"]
    assert counts() == (0, 0)
    good = valid_national_id(7)
    response = api().post(url(open_ordinance.pk), payload(national_id=good[:1] + "-" + good[1:]), format="json")
    assert response.status_code == 201
    signature = Signature.objects.get()
    assert signature.national_id_last4 == good[-4:]
    assert good not in signature.national_id_hash and len(signature.national_id_hash) == 64


def test_unknown_or_not_open_petitions(api, org, policy, resident, sponsors, moderator):
    response = api().post(url(999999), payload(), format="json")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    waiting = make_petition(org, resident, state="awaiting_moderation", sponsors=sponsors)
    response = api().post(url(waiting.pk), payload(), format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "signing_closed"
    assert counts() == (0, 0)


def test_the_same_email_twice_creates_nothing_new(api, open_petition):
    assert api().post(url(open_petition.pk), payload(), format="json").status_code == 201
    again = api().post(url(open_petition.pk), payload(email="SOMYING@example.org"), format="json")
    assert again.status_code == 200 and again.json()["outcome"] == "pending"
    assert counts() == (1, 1)
    Signature.objects.update(last_sent_at=Signature.objects.get().last_sent_at.replace(year=2020))
    resent = api().post(url(open_petition.pk), payload(), format="json")
    assert resent.json()["outcome"] == "resent"
    assert counts() == (1, 2)
    tokens = {e.data["confirm_url"] for e in OutboxEvent.objects.filter(event="signature.confirm_requested")}
    assert len(tokens) == 1  # the re-sent mail carries the same link


def test_signing_again_after_confirming_is_a_409_already_signed(api, open_petition):
    sign_and_confirm(open_petition, 1, email="somying@example.org", village=3)
    response = api().post(url(open_petition.pk), payload(name=" ผู้ลงชื่อ  1"), format="json")  # the same name, spaced
    assert response.status_code == 409 and error_of(response)["code"] == "already_signed"
    assert Signature.objects.count() == 1 and petition_total(open_petition.pk) == 1


def test_one_confirmed_signature_per_national_id(api, open_ordinance):
    nid = valid_national_id(3)
    sign_and_confirm(open_ordinance, 1, national_id=nid)
    response = api().post(url(open_ordinance.pk), payload(email="other@example.org", national_id=nid), format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "already_signed"
    # Two pending signatures with one ID (e.g. a typo in the first email): only one can confirm.
    other = make_petition(open_ordinance.organisation, open_ordinance.author, kind="ordinance")
    Petition.objects.filter(pk=other.pk).update(state="open")
    first, _ = sign(other, 10, national_id=nid, email="a@example.org")
    second, _ = sign(other, 11, national_id=nid, email="b@example.org")
    services.signature_confirm(token=services.signature_token(first))
    response = api().post("/api/v1/signatures/confirm/", {"token": services.signature_token(second)}, format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "already_signed"
    assert Signature.objects.filter(petition=other, state="confirmed").count() == 1
    assert petition_total(other.pk) == 1


def test_confirming_over_the_api_is_idempotent(api, open_petition):
    signature, _ = sign(open_petition, 1, village=2)
    token = last_confirm_token(signature.email)
    first = api().post("/api/v1/signatures/confirm/", {"token": token}, format="json")
    assert first.status_code == 200 and first.json()["already_confirmed"] is False
    second = api().post("/api/v1/signatures/confirm/", {"token": token}, format="json")
    assert second.status_code == 200 and second.json()["already_confirmed"] is True
    counts_now = petition_counts(open_petition.pk, fresh=True)
    assert counts_now.total == 1 and counts_now.villages == {2: 1} and sum(n for _h, n in counts_now.hours) == 1


@pytest.mark.parametrize("token", ["", "abc", "1.deadbeef", "99999999.x", "1" * 300])
def test_bad_tokens_are_refused(api, open_petition, token):
    sign(open_petition, 1)
    response = api().post("/api/v1/signatures/confirm/", {"token": token}, format="json")
    assert response.status_code in (400, 404)
    error_of(response)
    assert Signature.objects.get().state == "pending"


def test_confirming_after_the_grace_that_follows_the_close_is_refused(api, open_petition, settings):
    from workflows.services import transition

    settings.PETITION_CONFIRM_GRACE_HOURS = 0  # the 24 hours' grace: tests/petitions/test_confirm_grace.py
    signature, _ = sign(open_petition, 1)
    transition(open_petition, "close", actor=None)
    response = api().post("/api/v1/signatures/confirm/", {"token": services.signature_token(signature)}, format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "confirmation_closed"
    assert petition_total(open_petition.pk) == 0


def test_clear_abuse_from_one_address_is_refused_and_nothing_is_voided(api, open_petition):
    PetitionPolicy.objects.filter(organisation=open_petition.organisation).update(ip_limit=3, ip_review_limit=2)
    for n in range(3):
        assert api().post(url(open_petition.pk), payload(email=f"bot{n}@spam.example"), format="json").status_code == 201
    response = api().post(url(open_petition.pk), payload(email="bot9@spam.example"), format="json")
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    error = error_of(response)
    assert error["code"] == "rate_limited" and error["details"]["scope"] == "ip"
    assert error["message"] == "มีการลงชื่อจากเครือข่ายของท่านจำนวนมากในเวลาสั้น ๆ กรุณาลองใหม่ภายหลัง"
    english = api().post(url(open_petition.pk), payload(email="bot8@spam.example"), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert error_of(english)["message"] == "Too many signatures from your network in a short time; please try again later."
    # The signatures made before the refusal stand: they still confirm and count.
    assert Signature.objects.count() == 3 and set(Signature.objects.values_list("state", flat=True)) == {"pending"}
    token = services.signature_token(Signature.objects.first())
    response = api().post("/api/v1/signatures/confirm/", {"token": token}, format="json")
    assert response.status_code == 200 and petition_total(open_petition.pk) == 1
    assert not AuditEntry.objects.filter(name="signatures_flagged_fraudulent").exists()
    response = api().post(url(open_petition.pk), payload(), format="json", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 201  # another address signs on


def test_the_per_petition_limit_answers_429(api, open_petition):
    PetitionPolicy.objects.filter(organisation=open_petition.organisation).update(petition_limit=2)
    for n in range(2):
        api().post(url(open_petition.pk), payload(email=f"p{n}@example.org"), format="json", REMOTE_ADDR=f"192.0.2.{n}")
    response = api().post(url(open_petition.pk), payload(), format="json", REMOTE_ADDR="192.0.2.99")
    assert response.status_code == 429 and error_of(response)["details"]["scope"] == "petition"
    assert Signature.objects.count() == 2 and Signature.objects.filter(state="fraudulent").count() == 0


def test_ordinance_signers_withdraw_until_submission(api, open_ordinance, clerk):
    from workflows.services import transition

    signatures = [sign_and_confirm(open_ordinance, n, village=n + 1) for n in range(4)]
    assert Petition.objects.get(pk=open_ordinance.pk).state == "closed"  # threshold 4
    token = services.signature_token(signatures[0])
    response = api().post("/api/v1/signatures/withdraw/", {"token": token}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    counts_now = petition_counts(open_ordinance.pk, fresh=True)
    assert counts_now.total == 3 and 1 not in counts_now.villages
    again = api().post("/api/v1/signatures/withdraw/", {"token": token}, format="json")
    assert again.status_code == 409
    # Back at the threshold only with another signature; submission then freezes the list.
    petition = Petition.objects.get(pk=open_ordinance.pk)
    Petition.objects.filter(pk=petition.pk).update(state="open")
    sign_and_confirm(open_ordinance, 9)
    Petition.objects.filter(pk=petition.pk).update(state="closed")
    filing_ready(petition, clerk)
    transition(Petition.objects.get(pk=petition.pk), "submit", actor=clerk)
    response = api().post("/api/v1/signatures/withdraw/", {"token": services.signature_token(signatures[1])}, format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "not_withdrawable"
    assert petition_total(open_ordinance.pk) == 4


def test_general_petition_signatures_cannot_be_withdrawn(api, open_petition):
    signature = sign_and_confirm(open_petition, 1)
    response = api().post("/api/v1/signatures/withdraw/", {"token": services.signature_token(signature)}, format="json")
    assert response.status_code == 409 and error_of(response)["code"] == "not_withdrawable"
    assert petition_total(open_petition.pk) == 1


def test_staff_invalidate_in_bulk_and_the_counts_follow(api, open_petition, moderator, resident):
    PetitionPolicy.objects.filter(organisation=open_petition.organisation).update(council_threshold=1000, response_threshold=1000)
    for n in range(3):
        sign_and_confirm(open_petition, n, email=f"bot{n}@spam.example", village=4)
    sign(open_petition, 5, email="bot5@spam.example")  # pending
    for n in range(2):
        sign_and_confirm(open_petition, 10 + n, email=f"person{n}@example.org", village=1)
    Petition.objects.filter(pk=open_petition.pk).update(council_threshold=1000, response_threshold=1000)
    endpoint = f"/api/v1/petitions/{open_petition.pk}/signatures/invalidate/"
    body = {"email_domain": "spam.example", "reason": "อีเมลจากโดเมนสแปม"}
    assert api(resident).post(endpoint, body, format="json").status_code == 403
    assert api().post(endpoint, body, format="json").status_code in (401, 403)
    response = api(moderator).post(endpoint, {"reason": "no filter"}, format="json")
    assert response.status_code == 400 and Signature.objects.filter(state="invalidated").count() == 0
    response = api(moderator).post(endpoint, body, format="json")  # a bulk invalidation must be confirmed
    assert response.status_code == 400 and response.json()["error"]["code"] == "confirmation_required"
    assert Signature.objects.filter(state="invalidated").count() == 0
    response = api(moderator).post(endpoint, body | {"confirm": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"invalidated": 4, "confirmed": 3, "count_before": 5, "count_after": 2, "signatures": 2}
    counts_now = petition_counts(open_petition.pk, fresh=True)
    assert counts_now.total == 2 and counts_now.villages == {1: 2}
    assert sum(n for _h, n in counts_now.hours) == 2
    entry = AuditEntry.objects.get(name="signatures_invalidated")
    assert (entry.actor_id, entry.action, entry.reason) == (moderator.pk, "moderation", "อีเมลจากโดเมนสแปม")
    assert (entry.from_state, entry.to_state) == ("5", "2")  # the confirmed count before and after
    # By IP hash and time window.
    sign_and_confirm(open_petition, 20, email="x@example.org", ip="198.51.100.20")
    ip_hash = services.client_ip_hash("198.51.100.20")
    response = api(moderator).post(endpoint, {"ip_hash": ip_hash, "reason": "ที่อยู่เดียวกัน", "confirm": True}, format="json")
    assert response.json()["invalidated"] == 1 and petition_total(open_petition.pk) == 2


@pytest.mark.django_db(transaction=True)  # real BEGIN/COMMIT instead of savepoints, as in production
def test_the_hot_paths_use_few_queries(open_petition, django_assert_num_queries, monkeypatch):
    from django.db import connection

    import notifications.services

    # The mail relay runs in a Celery worker in production (eagerly after commit on the embedded
    # default): it is not part of the signer's request, so its kick is not counted here.
    monkeypatch.setattr(notifications.services, "_kick_relay", lambda: None)
    sign_and_confirm(open_petition, 0)  # warm up (first tally rows; the process's reading of the petition)
    if connection.vendor == "postgresql":
        # One statement each, in autocommit: no BEGIN/COMMIT round trips (petitions/signing.py).
        # Within signing.RECHECK of a threshold, a confirmation reads the count once more after it.
        sign_queries, confirm_near, confirm_far, confirm_no_threshold = 1, 2, 1, 1
    else:
        # petition+policy, villages, BEGIN, INSERT, outbox INSERT, COMMIT / read, BEGIN, UPDATE, tally, SUM, COMMIT
        sign_queries, confirm_near, confirm_far, confirm_no_threshold = 6, 6, 6, 5
    with django_assert_num_queries(sign_queries):
        signature, outcome = sign(open_petition, 1)
    assert outcome == "created" and OutboxEvent.objects.filter(event="signature.confirm_requested").count() == 2
    token = last_confirm_token(signature.email)
    assert token == services.signature_token(Signature.objects.get(pk=signature.pk))
    with django_assert_num_queries(confirm_near):  # 2 of 3 for a response
        assert services.signature_confirm(token=token)[1] is False
    assert petition_total(open_petition.pk) == 2 and Signature.objects.get(pk=signature.pk).state == "confirmed"
    Petition.objects.filter(pk=open_petition.pk).update(response_threshold=5000, council_threshold=10000)
    signature, _ = sign(open_petition, 2)
    with django_assert_num_queries(confirm_far):  # 3 of 5,000: the statement's SUM is enough
        services.signature_confirm(token=services.signature_token(signature))
    Petition.objects.filter(pk=open_petition.pk).update(response_threshold=None, council_threshold_reached_at="2026-01-01T00:00Z")
    signature, _ = sign(open_petition, 3)
    with django_assert_num_queries(confirm_no_threshold):  # no threshold ahead: no SUM
        services.signature_confirm(token=services.signature_token(signature))
    assert petition_total(open_petition.pk) == 4


def test_the_page_counts_do_not_count_rows(client, open_petition, django_assert_max_num_queries):
    for n in range(3):
        sign_and_confirm(open_petition, n)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/petitions/{open_petition.pk}/").status_code == 200
    assert not any(
        "COUNT(" in q["sql"].upper() and "petitions_signature" in q["sql"] and "tally" not in q["sql"] for q in queries
    )


def test_bad_bodies_are_answered_in_the_error_shape(open_petition, client, settings):
    endpoint = f"/api/v1/petitions/{open_petition.pk}/signatures/"
    response = client.post(endpoint, data="name=x", content_type="text/plain")
    assert response.status_code == 415 and error_of(response)["code"] == "unsupported_media_type"
    response = client.get(endpoint)
    assert response.status_code == 405 and response["Allow"] == "POST" and error_of(response)["code"] == "method_not_allowed"
    response = client.post(endpoint, data='{"name": ', content_type="application/json")
    assert response.status_code == 400 and error_of(response)["code"] == "malformed_request"
    assert error_of(response)["message"] == "เนื้อหาคำขอไม่ใช่ JSON ที่ถูกต้อง"  # Thai unless asked otherwise
    response = client.post(endpoint, data="[1]", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert error_of(response)["message"] == "Send a JSON object."
    response = client.post(
        endpoint, data={"name": "สมหญิง", "email": "form@example.org", "village": "1", "consent": "on"}
    )  # a form post, as DRF accepted
    assert response.status_code == 201, response.content
    assert Signature.objects.filter(email="form@example.org").exists()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(endpoint, data={"name": "ก" * 2000}, content_type="application/json")
    assert response.status_code == 413 and error_of(response)["details"] == {"max_bytes": 1000}
    response = client.post("/api/v1/signatures/confirm/", data={"token": "x" * 2000}, content_type="application/json")
    assert response.status_code == 413
    assert Signature.objects.count() == 1
