"""LINE and SMS with a real Celery worker on Redis, against the local fake LINE Messaging API and
SMS gateway (tests/notifications/fakes.py): kicked on commit, relayed and pushed by the worker."""

import pytest
from django.conf import settings

from notifications.models import Channel, Delivery, Mode
from notifications.services import channel_address_set, preference_set
from tests.conftest import requires_postgres, requires_redis

from .conftest import follow, free_port, line_id, purge, wait_until, write_event
from .fakes import FakeLine, FakeSms

pytestmark = [requires_redis, requires_postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _push_env(line, sms) -> dict:
    return {
        "LINE_API_BASE_URL": line.base_url, "LINE_CHANNEL_ACCESS_TOKEN": FakeLine.TOKEN,
        "SMS_GATEWAY_URL": sms.url, "SMS_GATEWAY_AUTH_HEADER": f"Authorization: {FakeSms.AUTH}",
        "SMS_GATEWAY_BODY": FakeSms.BODY, "SMS_SENDER": "TESTMUNI",
    }  # fmt: skip


def _statuses(channel) -> set[str]:
    return set(Delivery.objects.filter(channel=channel).values_list("status", flat=True))


def test_a_worker_pushes_line_in_the_readers_language_and_retries_a_failure_once(make_user, fake_line, fake_sms, workers):
    purge(settings.REDIS_URL)
    thai, english = make_user(language="th"), make_user(language="en")
    for n, user in enumerate((thai, english), start=1):
        channel_address_set(user=user, channel=Channel.LINE, address=line_id(n))
        preference_set(user=user, channel=Channel.LINE, mode=Mode.IMMEDIATE, event="petition.opened")
        follow(user)
    fake_line.answers = [500]  # LINE is busy once: the task tries again with back-off
    workers(free_port(), settings.REDIS_URL, **_push_env(fake_line, fake_sms))
    write_event(event="petition.opened", data={"title": "ซ่อมถนนหมู่ 3", "url": "/petitions/12/", "closes_at": "2026-10-16"})
    assert wait_until(lambda: fake_line.count() == 2, timeout=40), (fake_line.requests, list(Delivery.objects.values()))
    (th,) = fake_line.texts_to(line_id(1))
    assert th.startswith("เปิดให้ลงชื่อแล้ว: ซ่อมถนนหมู่ 3") and "16 ตุลาคม 2569" in th
    (en,) = fake_line.texts_to(line_id(2))
    assert en.startswith("Petition open for signing") and "16 October 2026" in en
    assert wait_until(lambda: _statuses(Channel.LINE) == {Delivery.Status.SENT}, timeout=10)
    assert fake_line.requests == 3  # one refused with 500, then each message once
    assert len({m["retry_key"] for m in fake_line.accepted}) == 2


def test_a_worker_sends_sms_and_refuses_what_is_over_the_hourly_limit(fake_line, fake_sms, workers):
    purge(settings.REDIS_URL)
    workers(free_port(), settings.REDIS_URL, NOTIFICATIONS_SMS_PER_RECIPIENT_HOUR="2", **_push_env(fake_line, fake_sms))
    for n in range(3):
        write_event(event="petition.opened", audience={"phones": [{"phone": "081 234 5678", "language": "th"}]}, record_id=str(n))
    finished = {Delivery.Status.SENT, Delivery.Status.REFUSED}
    assert wait_until(lambda: Delivery.objects.filter(channel=Channel.SMS, status__in=finished).count() == 3, timeout=40), list(
        Delivery.objects.values("status", "last_error")
    )
    assert fake_sms.count() == 2 and fake_sms.texts_to("0812345678")[0].startswith("เปิดให้ลงชื่อแล้ว")
    refused = Delivery.objects.get(channel=Channel.SMS, status=Delivery.Status.REFUSED)
    assert "in an hour" in refused.last_error
