"""The relay: audience, preferences, idempotence, inbox entries."""

import threading

import pytest
from django.core import mail
from django.db import connection

from accounts.models import Role
from notifications.models import Channel, Delivery, Mode, Notification, OutboxEvent, Preference
from notifications.relay import fan_out, relay_pending, resolve_audience
from tests.conftest import requires_postgres

from .conftest import follow, write_event


def test_it_resolves_followers_users_roles_and_emails_once(org, make_user, moderator, clerk, resident):
    fan = make_user(email="fan@example.com")
    follow(fan)
    follow(resident)
    other_petition_fan = make_user()
    follow(other_petition_fan, record_id="13")
    event = write_event(
        organisation_id=org.pk,
        audience={
            "followers": True,
            "users": [resident.pk],
            "roles": [Role.MODERATOR],
            "emails": [{"email": "FAN@example.com"}, {"email": "guest@example.org", "name": "Guest", "language": "en"}],
        },
    )
    people = {r.email: r for r in resolve_audience(event)}
    assert set(people) == {"fan@example.com", "somchai@example.com", "moderator@example.com", "guest@example.org"}
    assert people["guest@example.org"].user_id is None and people["guest@example.org"].language == "en"
    assert clerk.email not in people and other_petition_fan.email not in people


def test_it_ignores_roles_of_other_organisations(org, other_org, outsider):
    event = write_event(organisation_id=org.pk, audience={"roles": [Role.MODERATOR]})
    assert resolve_audience(event) == []


def test_it_relays_twice_without_duplicates(org, make_user, relay):
    people = [make_user() for _ in range(3)]
    for person in people:
        follow(person)
    event = write_event(event="petition.opened", organisation_id=org.pk)
    assert relay() == 1
    assert relay() == 0
    event.refresh_from_db()
    assert event.relayed_at is not None
    fan_out(event)  # a second fan-out of the same row (e.g. a relay killed before it committed) adds nothing
    assert Delivery.objects.filter(event=event, channel=Channel.EMAIL).count() == 3
    assert Notification.objects.filter(source=event).count() == 3
    assert sorted(m.to[0].split("<")[-1].rstrip(">") for m in mail.outbox) == sorted(p.email for p in people)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_it_applies_each_persons_preferences(make_user, relay):
    immediate, digest, off, inbox_off, unconfirmed = (make_user() for _ in range(4)), None, None, None, None
    immediate, digest, off, inbox_off = list(immediate)
    unconfirmed = make_user(confirmed=False)
    for person in (immediate, digest, off, inbox_off, unconfirmed):
        follow(person)
    Preference.objects.create(user=digest, channel=Channel.EMAIL, mode=Mode.DIGEST)
    Preference.objects.create(user=off, channel=Channel.EMAIL, mode=Mode.OFF)
    Preference.objects.create(user=inbox_off, channel=Channel.INAPP, mode=Mode.OFF)
    event = write_event(event="petition.responded")
    relay()
    emails = dict(Delivery.objects.filter(event=event).values_list("user_id", "status"))
    assert emails == {immediate.pk: "sent", digest.pk: "digest", inbox_off.pk: "sent"}
    assert set(Notification.objects.filter(source=event).values_list("user_id", flat=True)) == {
        immediate.pk, digest.pk, off.pk, unconfirmed.pk,
    }  # fmt: skip


def test_it_sends_transactional_mail_whatever_the_preference(make_user, relay):
    author = make_user()
    Preference.objects.create(user=author, channel=Channel.EMAIL, mode=Mode.OFF)
    event = write_event(
        event="moderation.outcome", audience={"users": [author.pk]},
        data={"title": "ความคิดเห็นของคุณ", "url": "/consultations/3/", "reason_code": "off_topic", "reason": "ไม่เกี่ยวข้องกับหัวข้อ"},
    )  # fmt: skip
    relay()
    assert Delivery.objects.get(event=event).status == Delivery.Status.SENT
    assert "ไม่เกี่ยวข้องกับหัวข้อ" in mail.outbox[0].body


def test_it_keeps_confirmation_links_out_of_the_inbox(make_user, relay):
    signer = make_user()
    write_event(event="signature.confirm_requested", audience={"users": [signer.pk]},
                data={"title": "ซ่อมถนน", "url": "/petitions/12/confirm/secret-token/"})  # fmt: skip
    relay()
    assert len(mail.outbox) == 1
    assert not Notification.objects.exists()


def test_it_writes_inbox_titles_in_each_readers_language(make_user, relay):
    thai, english = make_user(language="th"), make_user(language="en")
    follow(thai)
    follow(english)
    write_event(event="petition.opened", data={"title": "Road repair", "url": "/petitions/12/"})
    relay()
    titles = dict(Notification.objects.values_list("user_id", "title"))
    assert titles[english.pk] == "Petition open for signing: Road repair"
    assert titles[thai.pk] != titles[english.pk] and "Road repair" in titles[thai.pk]


def test_it_records_a_broken_row_and_goes_on(make_user, relay):
    person = make_user()
    bad = write_event(event="petition.opened", audience={"users": [person.pk]}, data={"title": "x", "url": "/x/"})
    good = write_event(event="petition.opened", audience={"users": [person.pk]}, data={"title": "y", "url": "/y/"})
    OutboxEvent.objects.filter(pk=bad.pk).update(data="not an object")
    relay()
    bad.refresh_from_db()
    good.refresh_from_db()
    assert good.relayed_at is not None
    assert bad.relayed_at is None and bad.attempts == 1 and bad.last_error


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_never_double_claims_with_two_relays_at_once(make_user, eager):
    people = [make_user() for _ in range(5)]
    for person in people:
        follow(person)
    # Rows as a broker outage leaves them: committed, never kicked.
    events = OutboxEvent.objects.bulk_create(
        OutboxEvent(event="petition.opened", audience={"followers": True}, record_type="petitions.petition", record_id="12",
                    data={"title": f"คำร้อง {n}", "url": f"/petitions/{n}/"})
        for n in range(30)
    )  # fmt: skip
    counts, errors = [], []

    def run():
        try:
            counts.append(relay_pending())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(counts) == len(events)  # each row relayed by exactly one of the two
    assert Delivery.objects.count() == 30 * 5
    assert len(mail.outbox) == 30 * 5
