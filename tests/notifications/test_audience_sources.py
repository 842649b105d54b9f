"""Audiences a domain app resolves at fan-out time (services.audience_source), and addresses
without an account that stopped a record's updates (AddressOptOut)."""

import pytest

from notifications.models import AddressOptOut, Channel, Delivery, OutboxEvent
from notifications.relay import relay_pending, resolve_audience
from notifications.services import address_opt_out, audience_source

from .conftest import write_event


@pytest.fixture
def source():
    names = {}

    def register(name, users=(), emails=()):
        names[name] = (list(users), list(emails))
        audience_source(name, lambda event: {"users": names[name][0], "emails": iter(names[name][1])})

    return register


def test_it_resolves_a_source_when_it_fans_out(make_user, source):
    person = make_user(email="person@example.com")
    source("test.people", users=[person.pk], emails=[("Other@Example.com", "สมชาย", "th"), ("person@example.com", "", "en")])
    event = write_event(audience={"sources": ["test.people"]})
    found = {(r.user_id, r.email) for r in resolve_audience(event)}
    assert found == {(person.pk, "person@example.com"), (None, "other@example.com")}  # each once


def test_an_unknown_source_leaves_the_row_for_the_sweep(db):
    event = write_event(audience={"sources": ["nobody.registered"]})
    relay_pending()
    event.refresh_from_db()
    assert event.relayed_at is None and event.attempts == 1 and "nobody.registered" in event.last_error


def test_an_address_that_stopped_a_record_hears_nothing_more_of_it(db, source):
    source("test.signers", emails=[("a@example.com", "", "th"), ("b@example.com", "", "th")])
    address_opt_out(email="A@example.com", record_type="petitions.petition", record_id="12")
    address_opt_out(email="a@example.com", record_type="petitions.petition", record_id="12")  # idempotent
    assert AddressOptOut.objects.count() == 1
    write_event(event="petition.responded", audience={"sources": ["test.signers"]})
    write_event(event="petition.responded", audience={"sources": ["test.signers"]}, record_id="13")
    relay_pending()
    mailed = sorted(Delivery.objects.filter(channel=Channel.EMAIL).values_list("event__record_id", "email"))
    assert mailed == [("12", "b@example.com"), ("13", "a@example.com"), ("13", "b@example.com")]
    assert OutboxEvent.objects.filter(relayed_at__isnull=True).count() == 0
