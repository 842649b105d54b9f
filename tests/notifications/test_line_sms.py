"""LINE and SMS channels against local fake servers that speak the LINE Messaging API and a JSON
SMS gateway: who gets what (per event type, per channel), in their language, once, and throttled."""

import uuid

import pytest

from notifications.channels import TransientDeliveryError
from notifications.models import Channel, ChannelAddress, Delivery, Mode, Preference, SendCounter
from notifications.push import normalise_phone, send_push, send_push_digests, sms_body
from notifications.relay import fan_out
from notifications.services import channel_address_set, preference_set

from .conftest import follow, line_id, write_event

pytestmark = pytest.mark.django_db


def _ids(channel, **filters):
    return list(Delivery.objects.filter(channel=channel, **filters).values_list("id", flat=True))


def _line_user(make_user, n, language="th", mode=Mode.IMMEDIATE, event="petition.opened"):
    user = make_user(language=language)
    channel_address_set(user=user, channel=Channel.LINE, address=line_id(n))
    if mode:
        preference_set(user=user, channel=Channel.LINE, mode=mode, event=event)
    follow(user)
    return user


def test_line_goes_to_people_who_chose_it_for_the_event_type_in_their_language(make_user, fake_line):
    thai = _line_user(make_user, 1, "th")
    english = _line_user(make_user, 2, "en")
    _line_user(make_user, 3, "th", mode=None)  # linked LINE, chose nothing: LINE is off by default
    _line_user(make_user, 4, "th", event="consultation.closing_soon")  # chose LINE for another event type
    unlinked = make_user()
    preference_set(user=unlinked, channel=Channel.LINE, mode=Mode.IMMEDIATE)  # chose LINE, never linked it
    follow(unlinked)
    event = write_event(event="petition.opened", data={"title": "ซ่อมถนนหมู่ 3", "url": "/petitions/12/", "closes_at": "2026-10-16"})
    fan_out(event)
    assert set(Delivery.objects.filter(channel=Channel.LINE).values_list("user_id", flat=True)) == {thai.pk, english.pk}
    assert send_push(_ids(Channel.LINE), Channel.LINE) == {"sent": 2, "failed": 0, "refused": 0, "retry": 0}
    (th,) = fake_line.texts_to(line_id(1))
    assert th.startswith("เปิดให้ลงชื่อแล้ว: ซ่อมถนนหมู่ 3") and "16 ตุลาคม 2569" in th and "/petitions/12/" in th
    (en,) = fake_line.texts_to(line_id(2))
    assert en.startswith("Petition open for signing: ซ่อมถนนหมู่ 3") and "16 October 2026" in en
    # The retry key is a UUID derived from the delivery: every try of one message carries the same one.
    keys = {m["retry_key"] for m in fake_line.accepted}
    assert len(keys) == 2 and all(uuid.UUID(k) for k in keys)
    assert send_push(_ids(Channel.LINE), Channel.LINE)["sent"] == 0  # never twice
    assert fake_line.count() == 2


def test_a_channel_wide_choice_applies_to_event_types_not_chosen_one_by_one(make_user, fake_line):
    user = _line_user(make_user, 5, mode=None)
    preference_set(user=user, channel=Channel.LINE, mode=Mode.IMMEDIATE)  # LINE for everything…
    preference_set(user=user, channel=Channel.LINE, mode=Mode.OFF, event="petition.opened")  # …but this
    preference_set(user=user, channel=Channel.EMAIL, mode=Mode.OFF, event="petition.rejected")
    fan_out(write_event(event="petition.opened"))
    fan_out(write_event(event="petition.rejected", data={"title": "x", "url": "/p/1/", "reason": "ซ้ำ"}))
    got = set(Delivery.objects.filter(user=user).values_list("event__event", "channel"))
    assert got == {("petition.opened", "email"), ("petition.rejected", "line")}
    preference_set(user=user, channel=Channel.LINE, mode="", event="petition.opened")  # take the choice back
    assert not Preference.objects.filter(user=user, event="petition.opened").exists()


def test_secret_links_never_go_to_line_or_sms(make_user, fake_line, fake_sms):
    user = _line_user(make_user, 6, mode=Mode.IMMEDIATE, event="")
    event = write_event(
        event="account.confirm_email", audience={"users": [user.pk]}, data={"title": "x", "url": "/confirm/secret/"}
    )
    fan_out(event)
    assert list(Delivery.objects.filter(event=event).values_list("channel", flat=True)) == ["email"]


def test_a_line_failure_is_retried_with_the_same_key_and_sent_once(make_user, fake_line):
    _line_user(make_user, 7)
    fan_out(write_event())
    ids = _ids(Channel.LINE)
    fake_line.answers = [500]
    with pytest.raises(TransientDeliveryError):
        send_push(ids, Channel.LINE)
    assert Delivery.objects.get(channel=Channel.LINE).status == Delivery.Status.PENDING
    assert send_push(ids, Channel.LINE)["sent"] == 1
    # LINE accepted it but the answer was lost (a timeout, a killed worker): the repeat is a 409, recorded as sent.
    Delivery.objects.filter(channel=Channel.LINE).update(status=Delivery.Status.PENDING)
    assert send_push(ids, Channel.LINE)["sent"] == 1
    assert fake_line.count() == 1 and fake_line.requests == 3


def test_a_refused_line_message_is_recorded_as_failed(make_user, fake_line, settings):
    _line_user(make_user, 8)
    fan_out(write_event())
    fake_line.answers = [400]
    assert send_push(_ids(Channel.LINE), Channel.LINE)["failed"] == 1
    delivery = Delivery.objects.get(channel=Channel.LINE)
    assert delivery.status == Delivery.Status.FAILED and "400" in delivery.last_error


def test_line_is_off_without_a_channel_access_token(make_user, settings):
    settings.LINE_CHANNEL_ACCESS_TOKEN = ""
    _line_user(make_user, 9)
    fan_out(write_event())
    assert not Delivery.objects.filter(channel=Channel.LINE).exists()


def test_sms_goes_through_the_gateway_template_to_people_and_to_phone_numbers(make_user, fake_sms):
    user = make_user(language="en")
    channel_address_set(user=user, channel=Channel.SMS, address="081-234-5678")
    preference_set(user=user, channel=Channel.SMS, mode=Mode.IMMEDIATE, event="petition.opened")
    follow(user)
    event = write_event(
        audience={"followers": True, "phones": [{"phone": "+66 89 999 0000", "language": "th"}, "0899990000", "12"]}
    )
    fan_out(event)
    assert sorted(Delivery.objects.filter(channel=Channel.SMS).values_list("address", flat=True)) == [
        "66812345678",
        "66899990000",
    ]
    assert send_push(_ids(Channel.SMS), Channel.SMS)["sent"] == 2
    (en,) = fake_sms.texts_to("0812345678")
    assert en.startswith("Petition open for signing: ซ่อมถนนหมู่ 3") and en.endswith("/petitions/12/")
    (th,) = fake_sms.texts_to("0899990000")
    assert th.startswith("เปิดให้ลงชื่อแล้ว")
    assert {m["sender"] for m in fake_sms.accepted} == {"TESTMUNI"}


def test_the_sms_template_keeps_the_text_inside_its_field(settings):
    settings.SMS_GATEWAY_BODY = '{"to": ["{to_e164}"], "msg": "{text}", "fixed": 1}'
    body = sms_body("66812345678", 'say "hi", "to": "evil" {sender}', "k")
    import json

    assert json.loads(body) == {"to": ["+66812345678"], "msg": 'say "hi", "to": "evil" {sender}', "fixed": 1}


def test_phone_numbers_are_normalised():
    assert normalise_phone("081-234-5678") == normalise_phone("+66812345678") == "66812345678"
    assert normalise_phone("๐๘๑๒๓๔๕๖๗๘") == "66812345678"
    assert normalise_phone("02 123 4567") == "6621234567"
    for bad in ("", "12", "0812345678901", "abc", "+1 555 0100", "660812345678"):
        assert normalise_phone(bad) is None, bad


def test_sms_throttle_per_recipient_per_hour_refuses_and_records(make_user, fake_sms, settings, org):
    settings.NOTIFICATIONS_SMS_PER_RECIPIENT_HOUR = 2
    for n in range(4):
        fan_out(write_event(organisation_id=org.pk, audience={"phones": ["0812345678"]}, record_id=str(n)))
    assert send_push(_ids(Channel.SMS), Channel.SMS) == {"sent": 2, "failed": 0, "refused": 2, "retry": 0}
    assert fake_sms.count() == 2
    refused = Delivery.objects.filter(status=Delivery.Status.REFUSED)
    assert refused.count() == 2 and "2 sms messages to this recipient in an hour" in refused.first().last_error
    # Refused is final: the sweep and a second run send nothing more.
    from notifications.relay import sweep

    sweep()
    assert send_push(_ids(Channel.SMS), Channel.SMS)["sent"] == 0 and fake_sms.count() == 2


def test_sms_throttle_per_organisation_per_day(make_user, fake_sms, settings, org, other_org):
    settings.NOTIFICATIONS_SMS_PER_ORG_DAY = 3
    for n in range(5):
        fan_out(write_event(organisation_id=org.pk, audience={"phones": [f"081234560{n}"]}))
    fan_out(write_event(organisation_id=other_org.pk, audience={"phones": ["0812345609"]}))
    assert send_push(_ids(Channel.SMS), Channel.SMS) == {"sent": 4, "failed": 0, "refused": 2, "retry": 0}
    counters = dict(SendCounter.objects.filter(scope__startswith="org:").values_list("scope", "count"))
    assert counters == {f"org:{org.pk}": 3, f"org:{other_org.pk}": 1}
    # A refused organisation message gave its recipient's hour back.
    refused_to = Delivery.objects.filter(status=Delivery.Status.REFUSED).values_list("address", flat=True)
    assert not SendCounter.objects.filter(scope__in=[f"to:{a}" for a in refused_to], count__gt=0).exists()


def test_a_retried_message_is_counted_once(make_user, fake_sms, settings):
    settings.NOTIFICATIONS_SMS_PER_RECIPIENT_HOUR = 1
    fan_out(write_event(audience={"phones": ["0812345678"]}))
    fake_sms.answers = [503]
    with pytest.raises(TransientDeliveryError):
        send_push(_ids(Channel.SMS), Channel.SMS)
    assert send_push(_ids(Channel.SMS), Channel.SMS)["sent"] == 1


def test_line_digest_one_message_a_day(make_user, fake_line):
    user = _line_user(make_user, 10, language="th", mode=Mode.DIGEST, event="")
    fan_out(write_event(event="petition.opened", record_id="12"))
    fan_out(write_event(event="petition.rejected", data={"title": "ถนนหมู่ 4", "url": "/petitions/13/"}))
    assert Delivery.objects.filter(channel=Channel.LINE, status=Delivery.Status.DIGEST).count() == 2
    assert send_push(_ids(Channel.LINE), Channel.LINE)["sent"] == 0  # digest rows wait for the digest
    assert send_push_digests(Channel.LINE) == 1
    (text,) = fake_line.texts_to(line_id(10))
    assert "สรุปประจำวัน" in text and "ซ่อมถนนหมู่ 3" in text and "ถนนหมู่ 4" in text
    assert set(Delivery.objects.filter(user=user, channel=Channel.LINE).values_list("status", flat=True)) == {"sent"}
    assert send_push_digests(Channel.LINE) == 0


def test_channel_addresses_are_checked(make_user):
    from django.core.exceptions import ValidationError

    user = make_user()
    with pytest.raises(ValidationError):
        channel_address_set(user=user, channel=Channel.LINE, address="not-a-line-id")
    with pytest.raises(ValidationError):
        channel_address_set(user=user, channel=Channel.SMS, address="12")
    row = channel_address_set(user=user, channel=Channel.SMS, address="0812345678", verified=False)
    assert row.address == "66812345678" and row.verified_at is None
    assert ChannelAddress.objects.filter(user=user).count() == 1


def test_the_settings_page_offers_line_per_event_type_once_linked(client, make_user, fake_line):
    user = make_user(language="th")
    client.force_login(user)
    page = client.get("/notifications/preferences/").content.decode()
    assert 'name="line"' not in page and "event:petition.opened:line" not in page  # not linked yet
    channel_address_set(user=user, channel=Channel.LINE, address=line_id(11))
    page = client.get("/notifications/preferences/").content.decode()
    assert "event:petition.opened:line" in page and "event:petition.opened:email" in page
    response = client.post(
        "/notifications/preferences/",
        {"line": "off", "event:petition.opened:line": "immediate", "event:moderation.outcome:email": "", "email": "immediate"},
    )
    assert response.status_code == 302
    chosen = set(Preference.objects.filter(user=user).values_list("channel", "event", "mode"))
    assert chosen == {("line", "", "off"), ("line", "petition.opened", "immediate"), ("email", "", "immediate")}
    page = client.get("/notifications/preferences/").content.decode()
    assert '<option value="immediate" selected>' in page
    bad = client.post("/notifications/preferences/", {"event:not.an.event:line": "immediate"})
    assert bad.status_code == 302 and not Preference.objects.filter(event="not.an.event").exists()
    bad = client.post("/notifications/preferences/", {"event:petition.opened:line": "loud"})
    assert Preference.objects.get(user=user, event="petition.opened").mode == "immediate"


def test_office_staff_add_a_phone_number_in_the_admin(client, make_user):
    admin = make_user(is_staff=True, is_superuser=True)
    resident = make_user()
    client.force_login(admin)
    response = client.post(
        "/admin/notifications/channeladdress/add/",
        {"user": resident.pk, "channel": "sms", "address": "081-234-5678", "verified_at_0": "2026-01-05",
         "verified_at_1": "10:00:00", "created_at_0": "2026-01-05", "created_at_1": "10:00:00"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ChannelAddress.objects.get(user=resident).address == "66812345678"
    assert client.get("/admin/notifications/sendcounter/").status_code == 200
