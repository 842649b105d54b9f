"""Email: language, Buddhist-Era dates, templates, permanent vs transient failures, idempotence,
digests, unsubscribe. Sent through Django's SMTP backend to a real SMTP listener."""

from email.header import decode_header, make_header

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from notifications.channels import TransientDeliveryError, build_email, send_digests, send_emails
from notifications.models import Channel, Delivery, Mode, Preference
from notifications.relay import fan_out

from .conftest import follow, free_port, html_of, text_of, write_event

RESPONDED = {"title": "ซ่อมถนนหมู่ 3", "url": "/petitions/12/", "due_date": "2026-10-16", "summary": "จะซ่อมในเดือนธันวาคม"}


def fanned(**kwargs):
    event = write_event(**kwargs)
    fan_out(event)
    return event, list(Delivery.objects.filter(event=event, channel=Channel.EMAIL).order_by("id").values_list("id", flat=True))


def test_it_sends_thai_and_english_with_buddhist_era_dates(make_user, smtp_backend):
    thai = make_user(language="th", email="thai@example.com", full_name="สมหญิง")
    english = make_user(language="en", email="english@example.com", full_name="Jane")
    follow(thai)
    follow(english)
    _event, ids = fanned(event="petition.response_threshold_reached", data={**RESPONDED, "count": 500})
    assert send_emails(ids) == {"sent": 2, "failed": 0, "retry": 0}

    (th,) = smtp_backend.to("thai@example.com")
    assert th["Subject"].strip() == "ผู้ลงชื่อครบเกณฑ์ที่ต้องตอบ: ซ่อมถนนหมู่ 3"
    body = text_of(th)
    assert "เรียน คุณสมหญิง" in body
    assert "16 ตุลาคม 2569" in body  # 2026 + 543
    assert settings.SITE_URL + "/petitions/12/" in body
    assert "/notifications/unsubscribe/" in body
    assert th["List-Unsubscribe"].strip().startswith("<" + settings.SITE_URL + "/notifications/unsubscribe/")
    assert "16 ตุลาคม 2569" in html_of(th) and 'href="' in html_of(th)

    (en,) = smtp_backend.to("english@example.com")
    assert en["Subject"].strip() == "Enough signatures for a response: ซ่อมถนนหมู่ 3"
    assert "Dear Jane," in text_of(en) and "16 October 2026" in text_of(en) and "500 signatures" in text_of(en)


@pytest.mark.parametrize(
    "event",
    [
        "account.confirm_email", "signature.confirm_requested", "petition.sponsor_requested", "petition.opened",
        "petition.rejected", "petition.response_threshold_reached", "petition.council_threshold_reached",
        "petition.responded", "petition.council_outcome", "petition.moderation_overdue", "petition.ordinance_report_due",
        "petition.ordinance_council_due", "consultation.stage_opened", "consultation.closing_soon", "consultation.closed",
        "consultation.decision_published", "consultation.progress_update", "moderation.outcome", "petition.submitted",
        "petition.awaiting_moderation", "petition.address_flagged", "consultation.contribution_pending",
        "consultation.contribution_reported", "consultation.decision_due", "petition.restored", "petition.corrected",
        "petition.sponsors_complete", "signature.invalidated", "signature.restored",
    ],
)  # fmt: skip
def test_it_has_its_own_thai_template_for_every_event_of_the_catalogue(make_user, event):
    person = make_user(language="th")
    ev = write_event(
        event=event,
        audience={"users": [person.pk]},
        data={**RESPONDED, "reason": "ข้อมูลไม่ครบ", "ends_at": "2026-12-01T10:00:00+07:00"},
    )
    fan_out(ev)
    message = build_email(Delivery.objects.get(event=ev), ev)
    assert not message.subject.startswith("มีความเคลื่อนไหว")  # its own template, not the generic one
    assert ("ซ่อมถนนหมู่ 3" in message.subject) == (event != "account.confirm_email")
    thai_words = message.subject.replace("ซ่อมถนนหมู่ 3", "")
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in thai_words), message.subject  # translated, not English
    assert "{{" not in message.body and "%(" not in message.body


def test_it_falls_back_to_the_generic_template(make_user):
    person = make_user(language="en")
    event = write_event(
        event="petition.something_new", audience={"users": [person.pk]}, data={"title": "Bridge", "url": "/x/", "reason": "Late"}
    )
    fan_out(event)
    message = build_email(Delivery.objects.get(event=event), event)
    assert message.subject == "News about: Bridge"
    assert "Reason: Late" in message.body and settings.SITE_URL + "/x/" in message.body


def test_it_never_sends_a_delivery_twice(make_user, smtp_backend):
    follow(make_user(email="once@example.com"))
    _event, ids = fanned()
    send_emails(ids)
    assert send_emails(ids) == {"sent": 0, "failed": 0, "retry": 0}
    assert len(smtp_backend.to("once@example.com")) == 1


def test_it_records_permanent_failures_and_does_not_retry_them(make_user, smtp_backend):
    follow(make_user(email="gone@example.com"))
    follow(make_user(email="fine@example.com"))
    smtp_backend.refuse["gone@example.com"] = "550 5.1.1 No such user"
    _event, ids = fanned()
    assert send_emails(ids) == {"sent": 1, "failed": 1, "retry": 0}
    gone = Delivery.objects.get(email="gone@example.com")
    assert gone.status == Delivery.Status.FAILED and "550" in gone.last_error
    assert send_emails(ids)["sent"] == 0  # not picked up again
    assert smtp_backend.to("gone@example.com") == []


def test_it_records_an_invalid_address_without_talking_to_the_server(db, smtp_backend):
    event, ids = fanned(event="signature.confirm_requested", audience={"emails": [{"email": "not-an-address"}]})
    assert send_emails(ids)["failed"] == 1
    assert Delivery.objects.get(event=event).last_error == "invalid address"


def test_it_retries_temporary_refusals(make_user, smtp_backend):
    follow(make_user(email="busy@example.com"))
    smtp_backend.refuse["busy@example.com"] = "451 4.2.1 Mailbox busy, try later"
    _event, ids = fanned()
    with pytest.raises(TransientDeliveryError):
        send_emails(ids)
    busy = Delivery.objects.get(email="busy@example.com")
    assert busy.status == Delivery.Status.PENDING and busy.attempts == 1
    del smtp_backend.refuse["busy@example.com"]
    assert send_emails(ids)["sent"] == 1  # the retry


def test_it_keeps_everything_pending_when_the_mail_server_is_down(make_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    follow(make_user())
    _event, ids = fanned()
    with pytest.raises(TransientDeliveryError):
        send_emails(ids)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.PENDING}


def test_it_gathers_a_daily_digest(make_user, smtp_backend):
    reader = make_user(email="digest@example.com", language="en")
    Preference.objects.create(user=reader, channel=Channel.EMAIL, mode=Mode.DIGEST)
    follow(reader)
    fanned(event="petition.opened", data={"title": "Road", "url": "/petitions/12/"})
    fanned(event="petition.responded", data={"title": "Road", "url": "/petitions/12/"})
    assert smtp_backend.to("digest@example.com") == []
    assert send_digests() == 1
    assert send_digests() == 0
    (digest,) = smtp_backend.to("digest@example.com")
    assert digest["Subject"].strip() == "Your daily Ruamkid digest: 2 updates"
    assert "Petition open for signing: Road" in text_of(digest) and "The municipality has responded: Road" in text_of(digest)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_it_unsubscribes_with_the_link_in_the_email(client, make_user):
    reader = make_user(email="leaving@example.com", language="en")
    follow(reader)
    event, _ids = fanned()
    message = build_email(Delivery.objects.get(event=event), event)
    link = message.extra_headers["List-Unsubscribe"].strip("<>").replace(settings.SITE_URL, "")
    page = client.get(link)
    assert page.status_code == 200 and b"confirm-unsubscribe" in page.content
    assert not Preference.objects.filter(user=reader).exists()  # a GET (a mail scanner) changes nothing
    assert client.post(link).status_code == 200
    assert Preference.objects.get(user=reader, channel=Channel.EMAIL).mode == Mode.OFF
    later, ids = fanned(event="petition.responded")
    assert ids == []  # no more update mail
    assert client.get(reverse("notifications:unsubscribe", args=["forged"])).status_code == 400


def test_it_sends_through_the_relay_with_the_configured_backend(make_user, relay):
    follow(make_user(email="eager@example.com"))
    write_event()
    relay()
    (sent,) = mail.outbox
    assert str(make_header(decode_header(sent.to[0]))) == "ผู้ใช้ 1 <eager@example.com>"


@pytest.mark.parametrize(
    ("event", "data", "expected"),
    [
        ("consultation.stage_opened", {"state_label": "Deliberation", "ends_at": "2026-12-01T17:00:00+07:00"},
         ["is open: Deliberation.", "It runs until 1 December 2026."]),
        ("consultation.closing_soon", {"due_date": "2026-12-03T17:00:00+07:00"}, ["closes on 3 December 2026."]),
        ("consultation.progress_update", {"body": "Drainage done.", "percent_complete": 40},
         ["Work is 40% done.", "Drainage done."]),
        ("consultation.decision_published", {"rationale": "Option B wins."}, ["Option B wins."]),
        ("consultation.closed", {"cancelled": True, "reason": "Flooding"}, ["was cancelled.", "Reason: Flooding"]),
        ("petition.rejected", {"reason_label": "Duplicate", "reason": "See petition 3."},
         ["Reason: Duplicate", "See petition 3."]),
        ("petition.council_outcome", {"outcome_label": "Adopted", "decided_on": "2026-11-20"},
         ["Outcome: Adopted.", "Decided on 20 November 2026."]),
        ("moderation.outcome", {"item": "Fix the lights", "reason_label": "Off topic"},
         ["“Fix the lights”", "Reason: Off topic"]),
    ],
)  # fmt: skip
def test_it_reads_the_data_the_domain_apps_send(make_user, event, data, expected):
    person = make_user(language="en")
    ev = write_event(event=event, audience={"users": [person.pk]}, data={"title": "Road", "url": "/x/", **data})
    fan_out(ev)
    body = build_email(Delivery.objects.get(event=ev), ev).body
    for text in expected:
        assert text in body, body
