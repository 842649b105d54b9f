"""Linking a resident's LINE account (LINE Login, issue 16): the services that link and unlink,
the settings page's buttons and the round trip through a local LINE Login (real HTTP), the API."""

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError

from notifications.models import Channel, ChannelAddress, Delivery, Mode, Preference
from notifications.relay import fan_out
from notifications.services import line_link, line_unlink, preference_set
from tests.accounts.oidc_provider import location_of
from tests.conftest import error_of

from .conftest import follow, line_id, link_through_line, write_event

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


# --- the round trip through LINE Login (a local one, real HTTP) -----------------------------

PREFS = "/notifications/preferences/"
LINKED = "U" + "4" * 32  # FakeLineLogin's default sub


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_resident_links_line_from_the_settings_page_and_unlinks_it(client, resident, line_login):
    client.force_login(resident)
    page = client.get(PREFS).content.decode()
    assert 'data-testid="line-link"' in page and "เชื่อมบัญชี LINE" in page

    response = link_through_line(client)
    assert response.status_code == 302 and response["Location"] == PREFS
    assert _messages(response) == ["เชื่อมบัญชี LINE แล้ว เลือกด้านล่างว่าจะรับข้อความใดทาง LINE"]
    (asked,) = line_login.authorize_queries
    assert asked["scope"] == "openid" and asked["bot_prompt"] == "aggressive" and asked["nonce"]
    assert asked["redirect_uri"] == django_settings.SITE_URL + "/notifications/line/callback/"
    assert ChannelAddress.objects.get(user=resident, channel=Channel.LINE).address == LINKED

    page = client.get(PREFS).content.decode()
    assert 'data-testid="line-linked"' in page and "U…4444" in page and LINKED not in page
    assert 'name="event:petition.opened:line"' in page  # LINE is now a column to choose per event type

    response = client.post("/notifications/line/unlink/")
    assert response.status_code == 302 and not ChannelAddress.objects.filter(user=resident).exists()
    assert "ยกเลิกการเชื่อม LINE แล้ว" in _messages(response)[0]


@pytest.mark.parametrize(
    ("setup", "query_changes", "reason", "thai", "english"),
    [
        (None, {"state": "forged"}, "bad_state", "ไม่ได้เริ่มจากหน้าตั้งค่าการแจ้งเตือน", "was not started from your notification"),
        ({"deny": True}, None, "denied", "คุณยกเลิกที่ LINE", "You cancelled at LINE"),
        ({"tamper": {"secret": "stolen"}}, None, "bad_signature", "ตรวจสอบคำตอบจาก LINE ไม่ได้", "could not be checked"),
        ({"tamper": {"aud": "1659999999"}}, None, "wrong_audience", "ตรวจสอบคำตอบจาก LINE ไม่ได้", "could not be checked"),
        ({"tamper": {"nonce": "replayed"}}, None, "bad_nonce", "ตรวจสอบคำตอบจาก LINE ไม่ได้", "could not be checked"),
        (None, {"code": "not-a-code"}, "provider_error", "LINE ไม่รับการเชื่อม", "LINE did not accept the link"),
    ],
)
def test_a_failed_link_answers_400_in_thai_and_english_and_changes_nothing(
    client, resident, line_login, setup, query_changes, reason, thai, english
):
    for name, value in (setup or {}).items():
        setattr(line_login, name, value)
    client.force_login(resident)
    for language, expected in (("th", thai), ("en", english)):
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
        response = link_through_line(client, query_changes=query_changes)
        assert response.status_code == 400, response
        page = response.content.decode()
        assert f'data-reason="{reason}"' in page and expected in page, page
        assert not ChannelAddress.objects.filter(user=resident).exists()


def test_the_callback_without_a_started_link_or_twice_is_refused(client, resident, line_login):
    client.force_login(resident)
    start = client.post("/notifications/line/link/")
    back = location_of(start["Location"])
    assert client.get(back).status_code == 302
    again = client.get(back)  # the same answer once more: the session's state is used up
    assert again.status_code == 400 and 'data-reason="bad_state"' in again.content.decode()


def test_without_line_login_set_up_nobody_is_offered_the_link(client, resident, fake_line, settings):
    settings.LINE_LOGIN_CHANNEL_ID = ""
    client.force_login(resident)
    assert 'data-testid="line-link"' not in client.get(PREFS).content.decode()
    assert client.post("/notifications/line/link/").status_code == 404


# --- the API ---------------------------------------------------------------------------------


def test_the_api_says_whether_line_is_linked_and_unlinks_it(api, resident, line_login):
    response = api(resident).get("/api/v1/notifications/line/")
    assert response.status_code == 200
    assert response.json() == {
        "available": True, "linked": False, "linked_at": None, "line_user": "",
        "link_url": django_settings.SITE_URL + "/notifications/line/link/",
    }  # fmt: skip
    line_link(user=resident, line_user_id=LINKED)
    preference_set(user=resident, channel=Channel.LINE, mode=Mode.IMMEDIATE, event="petition.opened")
    body = api(resident).get("/api/v1/notifications/line/").json()
    assert body["linked"] is True and body["linked_at"] and body["line_user"] == "U…4444"
    assert LINKED not in str(body)

    assert api(resident).delete("/api/v1/notifications/line/").status_code == 204
    assert api(resident).get("/api/v1/notifications/line/").json()["linked"] is False
    assert not Preference.objects.filter(user=resident, channel=Channel.LINE).exists()
    assert api(resident).delete("/api/v1/notifications/line/").status_code == 204  # idempotent


def test_the_api_needs_a_signed_in_person(api):
    response = api().get("/api/v1/notifications/line/")
    assert response.status_code == 401 and error_of(response)["code"] == "not_authenticated"
    assert api().delete("/api/v1/notifications/line/").status_code == 401
