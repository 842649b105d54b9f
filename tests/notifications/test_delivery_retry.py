"""A delivery whose task died comes back within a minute (issue 12): a task lost with Redis's
queue is queued again by the sweep after 30 s unless tasks wait in the queue, a killed worker's
claim after its 40 s lease; a database that goes away under a delivery task makes the task try
again with back-off instead of dropping the mail. On PostgreSQL and Redis, with a real worker."""

import datetime as dt
import json
import socket
import threading

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications import conf
from notifications.models import Channel, Delivery, OutboxEvent
from notifications.relay import broker_backlog, relay_pending, sweep
from tests.conftest import requires_postgres, requires_redis

from .conftest import QUEUE, database_url, purge, wait_until

pytestmark = [requires_redis, requires_postgres, pytest.mark.redis]


def test_the_defaults_bring_a_dead_task_back_within_a_minute():
    assert conf.LEASE_SECONDS + conf.SWEEP_SECONDS <= 60  # a claim of a killed worker
    assert conf.REQUEUE_AFTER_SECONDS + conf.SWEEP_SECONDS <= 60  # a task lost with Redis's queue


def queued_ids() -> list[list[int]]:
    """The ids of every deliver_email task waiting in our queue."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    found = []
    for raw in client.lrange(QUEUE, 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == "notifications.deliver_email":
            import base64

            args = json.loads(base64.b64decode(message["body"]))[0]
            found.append(args[0])
    return found


def lost_delivery(seconds_ago: float) -> Delivery:
    """A pending email delivery whose task was queued `seconds_ago` and never ran."""
    now = timezone.now()
    event = OutboxEvent.objects.create(event="petition.opened", data={"title": "ซ่อมถนน", "url": "/p/1/"}, relayed_at=now)
    return Delivery.objects.create(
        event=event, channel=Channel.EMAIL, key=f"{event.pk}:email:x", email="somchai@example.com",
        enqueued_at=now - dt.timedelta(seconds=seconds_ago), created_at=now - dt.timedelta(seconds=seconds_ago),
    )  # fmt: skip


@pytest.fixture
def empty_queue():
    purge(settings.REDIS_URL)
    yield
    purge(settings.REDIS_URL)


@pytest.mark.django_db
def test_a_delivery_whose_task_was_lost_is_queued_again_after_30_seconds(empty_queue):
    delivery = lost_delivery(seconds_ago=conf.REQUEUE_AFTER_SECONDS + 1)
    fresh = lost_delivery(seconds_ago=conf.REQUEUE_AFTER_SECONDS - 10)
    assert broker_backlog() == 0
    assert sweep()["requeued"] == 1
    assert queued_ids() == [[delivery.pk]]
    delivery.refresh_from_db()
    assert delivery.enqueued_at > timezone.now() - dt.timedelta(seconds=10)
    fresh.refresh_from_db()
    assert fresh.status == Delivery.Status.PENDING and fresh.enqueued_at < timezone.now() - dt.timedelta(seconds=10)


@pytest.mark.django_db
def test_while_tasks_wait_in_the_queue_a_late_delivery_is_not_queued_twice(empty_queue):
    from notifications.tasks import relay_outbox

    relay_outbox.delay()  # workers are behind: something waits in the queue
    assert broker_backlog() == 1
    late = lost_delivery(seconds_ago=conf.REQUEUE_AFTER_SECONDS + 30)
    assert sweep()["requeued"] == 0
    assert queued_ids() == []
    Delivery.objects.filter(pk=late.pk).update(
        enqueued_at=timezone.now() - dt.timedelta(seconds=conf.REQUEUE_BUSY_AFTER_SECONDS + 1)
    )
    assert sweep()["requeued"] == 1  # still the safety net, only later
    assert queued_ids() == [[late.pk]]


# --- with a real worker -------------------------------------------------------------------


class FlakyDatabase:
    """A TCP proxy in front of PostgreSQL that a test takes down and brings back. Down, it accepts
    each connection and closes it at once (what a client sees of a restarting server) and counts it."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = False
        self.turned_away = 0
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            if not self.up:
                self.turned_away += 1
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()
        for s in self.sockets:
            s.close()


@pytest.fixture
def flaky_database():
    db = connection.settings_dict
    proxy = FlakyDatabase(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    yield proxy
    proxy.close()


def relayed_mail_to(address: str) -> Delivery:
    """An event for one person, relayed here: its deliver_email task waits in the queue."""
    OutboxEvent.objects.create(
        event="signature.confirm_requested", data={"title": "ซ่อมถนน", "url": "/petitions/confirm/abc/"},
        audience={"emails": [{"email": address, "language": "th"}]},
    )  # fmt: skip
    assert relay_pending() == 1
    (delivery,) = Delivery.objects.all()
    assert queued_ids() == [[delivery.pk]]
    return delivery


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_database_error_in_a_delivery_task_is_retried_with_backoff_not_dropped(empty_queue, smtp, workers, flaky_database):
    mailbox, smtp_port = smtp
    delivery = relayed_mail_to("signer@example.com")
    # The worker's database goes away (restarting) before the task runs; no beat, so no sweep:
    # only the task's own retries can deliver.
    worker = workers(smtp_port, settings.REDIS_URL, DATABASE_URL=database_url(port=flaky_database.port))
    assert wait_until(lambda: worker.output().count("trying again in") >= 2, timeout=60), worker.output()[-3000:]
    assert "OperationalError" in worker.output()
    assert flaky_database.turned_away >= 2
    assert mailbox.recipients() == []

    flaky_database.up = True  # the database is back: the next retry sends the mail, once
    assert mailbox.wait_for(1, timeout=60), worker.output()[-3000:]
    assert wait_until(lambda: Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.SENT, timeout=10)
    assert mailbox.recipients() == ["signer@example.com"]
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_delivery_lost_with_redis_s_queue_is_sent_by_the_sweep_within_a_minute(empty_queue, smtp, workers):
    mailbox, smtp_port = smtp
    delivery = relayed_mail_to("signer@example.com")
    purge(settings.REDIS_URL)  # Redis restarted without its data: the task is gone
    # ... 35 s ago (the sweep's 30 s wait, not the five minutes it used to be).
    Delivery.objects.filter(pk=delivery.pk).update(enqueued_at=timezone.now() - dt.timedelta(seconds=35))
    workers(smtp_port, settings.REDIS_URL, beat=True)  # the default requeue wait; a sweep every second
    assert mailbox.wait_for(1, timeout=30)
    assert mailbox.recipients() == ["signer@example.com"]
    assert wait_until(lambda: Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.SENT, timeout=10)
