"""Close the loop (issue 14): every confirmed signer who did not opt out hears the municipality's
response, the submission to the council and the council's decision: account holders in their
inbox and mail (their preferences apply), everyone else by mail with a link that stops it. One
outbox row names the audience ("petitions.signers"); the relay resolves it when it fans out."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from notifications.channels import send_emails
from notifications.models import Channel, Delivery, Notification, OutboxEvent
from notifications.relay import relay_pending
from notifications.services import outbox_write
from petitions import machine, services
from petitions.models import Petition, Signature
from tests.notifications.conftest import html_of, smtp, smtp_backend, text_of  # noqa: F401 (fixtures)
from workflows.services import transition

from .conftest import sign, sign_and_confirm

pytestmark = pytest.mark.django_db


def _mailed(event_name: str) -> set[str]:
    return set(Delivery.objects.filter(event__event=event_name, channel=Channel.EMAIL).values_list("email", flat=True))


def _signers(petition, make_user, org):
    """Two by email (one said no to the outcome), one pending, one signed in, one by an account's email."""
    sign_and_confirm(petition, 1)
    signature = sign_and_confirm(petition, 2)
    Signature.objects.filter(pk=signature.pk).update(notify_outcome=False)
    sign(petition, 3)  # never confirmed
    member = make_user(Role.RESIDENT, org=org, email="member@example.org")
    services.signature_sign_member(petition_id=petition.pk, user=member, village_number=1, consent=True)
    holder = make_user(Role.RESIDENT, org=org, email="signer4@example.org")
    sign_and_confirm(petition, 4)
    return member, holder


def test_the_response_reaches_every_confirmed_signer_who_did_not_opt_out(open_petition, make_user, org, moderator, resident):
    member, holder = _signers(open_petition, make_user, org)
    transition(open_petition, "respond", actor=moderator, payload={"text": "จะติดตั้งไฟภายในเดือนหน้า"})
    (event,) = OutboxEvent.objects.filter(event="petition.responded")
    assert event.audience["sources"] == ["petitions.signers"] and "emails" not in event.audience  # one small row
    relay_pending()
    mailed = _mailed("petition.responded")
    assert {"signer1@example.org", "member@example.org", "signer4@example.org", resident.email} <= mailed
    assert not mailed & {"signer2@example.org", "signer3@example.org"}  # said no; never confirmed
    inbox = set(Notification.objects.filter(event="petition.responded").values_list("user_id", flat=True))
    assert {member.pk, holder.pk, resident.pk} <= inbox


def test_the_submission_and_the_council_decision_reach_the_signers(
    org, policy, resident, sponsors, moderator, clerk, make_user
):  # fmt: skip
    from .conftest import make_petition

    petition = make_petition(org, resident, state="open", sponsors=sponsors, moderator=moderator)
    for n in range(policy.council_threshold):
        sign_and_confirm(petition, n)
    petition = Petition.objects.get(pk=petition.pk)
    Petition.objects.filter(pk=petition.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    petition = transition(Petition.objects.get(pk=petition.pk), "submit", actor=clerk)
    relay_pending()
    signers = {f"signer{n}@example.org" for n in range(policy.council_threshold)}
    assert signers <= _mailed("petition.submitted")
    assert clerk.email in _mailed("petition.submitted")  # the clerk's desk
    petition = transition(petition, "consider", actor=clerk)
    transition(
        petition, "decide", actor=clerk,
        payload={"decision": "adopted", "summary": "สภามีมติเห็นชอบ", "decided_on": "2026-12-01"},
    )  # fmt: skip
    relay_pending()
    assert signers <= _mailed("petition.council_outcome")


def test_each_signer_has_the_outcome_in_the_mail_with_a_link_that_stops_it(open_petition, moderator, client, smtp_backend):  # noqa: F811
    sign_and_confirm(open_petition, 1)
    transition(open_petition, "respond", actor=moderator, payload={"text": "จะติดตั้งไฟภายในเดือนหน้า"})
    relay_pending()
    send_emails(list(Delivery.objects.filter(event__event="petition.responded").values_list("id", flat=True)))
    (mail,) = smtp_backend.to("signer1@example.org")
    body = text_of(mail)
    assert "จะติดตั้งไฟภายในเดือนหน้า" in body and "/notifications/preferences/" not in body
    stop = mail["List-Unsubscribe"].strip("<> ")
    assert "/notifications/unsubscribe/" in stop
    path = stop.split("://", 1)[1].split("/", 1)[1]
    assert 'data-testid="confirm-unsubscribe"' in client.get("/" + path).content.decode()
    assert client.post("/" + path).status_code == 200

    # The next outcome no longer goes to that address; other signers still hear it.
    sign_and_confirm(open_petition, 2)
    outbox_write(**machine.event(Petition.objects.get(pk=open_petition.pk), "petition.submitted", machine.PEOPLE))
    relay_pending()
    mailed = _mailed("petition.submitted")
    assert "signer2@example.org" in mailed and "signer1@example.org" not in mailed


def test_the_confirmation_mail_has_no_stop_link(open_petition, smtp_backend):  # noqa: F811
    sign(open_petition, 1)
    relay_pending()
    send_emails(list(Delivery.objects.values_list("id", flat=True)))
    (mail,) = smtp_backend.to("signer1@example.org")
    assert mail["List-Unsubscribe"] is None
