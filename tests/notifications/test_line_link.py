"""Linking a resident's LINE account (LINE Login, issue 16): the services that link and unlink,
the settings page's buttons and the round trip through a local LINE Login (real HTTP), the API."""

import pytest
from django.core.exceptions import ValidationError

from notifications.models import Channel, ChannelAddress, Delivery, Mode, Preference
from notifications.relay import fan_out
from notifications.services import line_link, line_unlink, preference_set

from .conftest import follow, line_id, write_event

pytestmark = pytest.mark.django_db


def _channels_for(user, event) -> set[str]:
    return set(Delivery.objects.filter(user=user, event=event).values_list("channel", flat=True))


# --- the services ----------------------------------------------------------------------------


def test_it_links_a_line_user_id_as_a_verified_address(make_user, fake_line):
    user = make_user()
    row = line_link(user=user, line_user_id=line_id(1))
    assert row.address == line_id(1) and row.verified_at is not None
    with pytest.raises(ValidationError):
        line_link(user=user, line_user_id="not-a-line-id")
    assert ChannelAddress.objects.get(user=user, channel=Channel.LINE).address == line_id(1)


def test_unlinking_stops_line_and_what_was_heard_on_line_comes_by_email(make_user, fake_line):
    user = make_user()
    line_link(user=user, line_user_id=line_id(2))
    follow(user)
    preference_set(user=user, channel=Channel.LINE, mode=Mode.IMMEDIATE, event="petition.opened")
    preference_set(user=user, channel=Channel.EMAIL, mode=Mode.OFF, event="petition.opened")  # LINE instead of email
    preference_set(user=user, channel=Channel.LINE, mode=Mode.DIGEST, event="petition.responded")
    preference_set(user=user, channel=Channel.EMAIL, mode=Mode.OFF, event="petition.rejected")  # off everywhere: stays off
    waiting = write_event(event="petition.opened", record_id="12")
    fan_out(waiting)
    assert _channels_for(user, waiting) == {Channel.LINE}

    assert line_unlink(user=user) is True
    assert not ChannelAddress.objects.filter(user=user).exists()
    assert not Preference.objects.filter(user=user, channel=Channel.LINE).exists()
    email = dict(Preference.objects.filter(user=user, channel=Channel.EMAIL).values_list("event", "mode"))
    assert email == {"petition.opened": Mode.IMMEDIATE, "petition.rejected": Mode.OFF}  # responded: email was on already
    queued = Delivery.objects.get(user=user, event=waiting)
    assert queued.status == Delivery.Status.FAILED and "unlinked" in queued.last_error  # never pushed to the old account

    after = write_event(event="petition.opened", record_id="12")
    fan_out(after)
    assert _channels_for(user, after) == {Channel.EMAIL}
    assert line_unlink(user=user) is False  # idempotent


def test_a_channel_wide_line_choice_falls_back_to_email_too(make_user, fake_line):
    user = make_user()
    line_link(user=user, line_user_id=line_id(3))
    preference_set(user=user, channel=Channel.LINE, mode=Mode.DIGEST)
    preference_set(user=user, channel=Channel.EMAIL, mode=Mode.OFF)
    preference_set(user=user, channel=Channel.LINE, mode=Mode.OFF, event="petition.rejected")
    line_unlink(user=user)
    email = dict(Preference.objects.filter(user=user, channel=Channel.EMAIL).values_list("event", "mode"))
    assert email == {"": Mode.DIGEST}


def test_a_line_account_reaches_one_person_the_last_who_linked_it(make_user, fake_line):
    first, second = make_user(), make_user()
    line_link(user=first, line_user_id=line_id(4))
    preference_set(user=first, channel=Channel.LINE, mode=Mode.IMMEDIATE, event="petition.opened")
    line_link(user=second, line_user_id=line_id(4))
    assert list(ChannelAddress.objects.filter(address=line_id(4)).values_list("user_id", flat=True)) == [second.pk]
    assert not Preference.objects.filter(user=first, channel=Channel.LINE).exists()
    line_link(user=second, line_user_id=line_id(4))  # again: nothing changes
    assert ChannelAddress.objects.filter(address=line_id(4)).count() == 1
