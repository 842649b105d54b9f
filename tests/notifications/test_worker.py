"""The real thing: a Celery worker subprocess on Redis, Django's SMTP backend, an aiosmtpd
listener, and PostgreSQL shared between the test and the worker (transactional tests, so the
worker sees committed rows). Includes the two fault tests of issue 4."""

import os
import shutil
import subprocess
import sys
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from notifications.models import Delivery, OutboxEvent
from tests.conftest import requires_postgres, requires_redis

from .conftest import ROOT, Mailbox, database_url, follow, free_port, purge, text_of, wait_until, write_event

pytestmark = [requires_redis, requires_postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_smtp():
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def test_it_delivers_through_a_real_worker_in_each_readers_language(make_user, slow_smtp, workers):
    mailbox, port = slow_smtp
    purge(settings.REDIS_URL)
    thai = make_user(language="th", email="thai@example.com")
    english = make_user(language="en", email="english@example.com")
    follow(thai)
    follow(english)
    workers(port, settings.REDIS_URL)
    # Kicked on commit (no beat in this worker): the relay and the delivery go through Redis.
    write_event(event="petition.opened", data={"title": "ซ่อมถนนหมู่ 3", "url": "/petitions/12/", "closes_at": "2026-10-16"},
                organisation_id=None)  # fmt: skip
    write_event(event="signature.confirm_requested", audience={"emails": [{"email": "guest@example.org", "language": "en"}]},
                data={"title": "Road repair", "url": "/petitions/12/confirm/abc/"})  # fmt: skip
    assert mailbox.wait_for(3, timeout=25), mailbox.recipients()
    (th,) = mailbox.to("thai@example.com")
    assert th["Subject"].strip() == "เปิดให้ลงชื่อแล้ว: ซ่อมถนนหมู่ 3"
    assert "ปิดรับการลงชื่อวันที่ 16 ตุลาคม 2569" in text_of(th)
    (en,) = mailbox.to("english@example.com")
    assert en["Subject"].strip() == "Petition open for signing: ซ่อมถนนหมู่ 3" and "16 October 2026" in text_of(en)
    (guest,) = mailbox.to("guest@example.org")
    assert guest["Subject"].strip() == "Confirm your signature: Road repair"
    assert settings.SITE_URL + "/petitions/12/confirm/abc/" in text_of(guest)
    assert wait_until(lambda: set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}, timeout=5)


def test_it_delivers_exactly_once_when_a_worker_is_killed_mid_delivery(slow_smtp, workers):
    """The worker dies in the middle of a chunk, while the SMTP transaction of its 6th mail is
    under way (the server has not said 250 yet). Mails accepted before are not sent again; the
    6th and the rest are sent once by the next worker. (A kill in the instant between the
    server's 250 and our UPDATE would send that one mail twice: the documented at-least-once
    choice, see notifications/README.md.)"""
    mailbox, port = slow_smtp
    mailbox.delay = 0.2  # each mail takes a while, so the kill lands inside a transaction
    purge(settings.REDIS_URL)
    people = [{"email": f"signer{n}@example.com", "language": "th"} for n in range(20)]
    # Lease 4 s (renewed every 2 s): long enough for a starved (2 shared cores) but live worker.
    first = workers(port, settings.REDIS_URL, NOTIFICATIONS_LEASE_SECONDS="4")
    write_event(event="signature.confirm_requested", audience={"emails": people}, data={"title": "ซ่อมถนน", "url": "/p/1/"})
    assert mailbox.wait_in_flight(6, timeout=30), "never caught the first worker in the middle of its 6th mail"
    first.kill()  # SIGKILL to the whole worker (main process and children)
    delivered_before = len(mailbox.recipients())
    assert delivered_before < len(people), "the kill came too late to prove anything"
    assert Delivery.objects.filter(status=Delivery.Status.SENDING).exists()  # claims left behind by the dead worker

    # A new worker with beat: the sweep hands the dead worker's claims out again once their lease ran out.
    workers(port, settings.REDIS_URL, beat=True, NOTIFICATIONS_LEASE_SECONDS="4")
    assert wait_until(lambda: len(set(mailbox.recipients())) == len(people), timeout=40), len(set(mailbox.recipients()))
    time.sleep(1.0)  # room for a duplicate to show up, if there were one
    counts = Counter(mailbox.recipients())
    assert set(counts.values()) == {1}, [a for a, n in counts.items() if n > 1]
    assert wait_until(lambda: Delivery.objects.filter(status=Delivery.Status.SENT).count() == len(people), timeout=5)


@pytest.fixture
def own_redis(tmp_path):
    """A private redis-server that this test may stop and start (never the shared one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed")
    port = free_port()
    state = {"process": None}

    def start():
        state["process"] = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        client = redis.Redis(port=port, socket_connect_timeout=0.5)
        assert wait_until(lambda: _pings(client), timeout=10), "redis-server did not start"

    def stop():
        if state["process"] is not None and state["process"].poll() is None:
            state["process"].terminate()
            state["process"].wait(10)

    yield f"redis://127.0.0.1:{port}/0", start, stop
    stop()


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


def test_a_signature_commits_while_redis_is_down_and_its_mail_arrives_after(make_user, org, slow_smtp, workers, own_redis):
    """Issue 4's first fault test, end to end: a resident signs a petition in a process whose
    broker, cache and rate limits are a stopped Redis. The signature commits (rate limits fail
    open); the confirmation mail goes out once Redis is back."""
    from accounts.models import Role
    from petitions.models import Signature
    from tests.petitions.conftest import make_petition

    mailbox, port = slow_smtp
    redis_url, start_redis, stop_redis = own_redis
    sponsors = [make_user(Role.RESIDENT, org=org, email=f"sponsor{i}@example.com") for i in range(5)]
    petition = make_petition(
        org, make_user(Role.RESIDENT, org=org), state="open", sponsors=sponsors, moderator=make_user(Role.MODERATOR, org=org)
    )
    OutboxEvent.objects.all().delete()  # the petition's own announcements are not what this test is about
    start_redis()
    stop_redis()
    code = (
        "from petitions.services import signature_sign\n"
        f"signature, outcome = signature_sign(petition_id={petition.pk}, name='สมศรี', email='signer@example.com',\n"
        "    village_number=1, consent=True, ip='203.0.113.9')\n"
        "print(outcome, signature.state)\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url, "LOG_LEVEL": "ERROR"}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "created pending" in done.stdout, done.stderr[-2000:]
    assert Signature.objects.filter(petition=petition, email="signer@example.com", state="pending").count() == 1
    assert OutboxEvent.objects.filter(event="signature.confirm_requested", relayed_at__isnull=True).count() == 1
    time.sleep(0.5)
    assert mailbox.recipients() == []

    start_redis()  # Redis is back: the beat sweep relays the row, the worker sends the mail
    workers(port, redis_url, beat=True)
    assert mailbox.wait_for(1, timeout=25)
    (mail,) = mailbox.to("signer@example.com")
    assert mail["Subject"].strip() == f"ยืนยันการลงชื่อของคุณ: {petition.title}"
    assert "/petitions/signatures/confirm/" in text_of(mail)
    assert OutboxEvent.objects.get().relayed_at is not None
    assert wait_until(lambda: Delivery.objects.get().status == Delivery.Status.SENT, timeout=5)
