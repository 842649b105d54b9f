"""The on-commit kick: a burst of events queues about one relay task, and none is stranded."""

import os

import pytest
from django.conf import settings
from django.db import transaction

from notifications.models import OutboxEvent
from notifications.services import _kick_relay, kick_window_open, outbox_write
from tests.conftest import requires_redis

QUEUE = os.environ.get("CELERY_QUEUE", "ruamkid")


@pytest.fixture
def broker():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(QUEUE)
    kick_window_open()
    yield client
    client.delete(QUEUE)
    kick_window_open()


@requires_redis
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_it_queues_one_relay_for_a_burst_of_commits(broker):
    for n in range(200):
        with transaction.atomic():
            outbox_write(event="petition.opened", data={"title": f"{n}", "url": "/p/"}, audience={})
    assert OutboxEvent.objects.count() == 200
    assert broker.llen(QUEUE) == 1
    kick_window_open()  # what the relay does once it has drained the outbox
    _kick_relay()
    assert broker.llen(QUEUE) == 2


@pytest.mark.django_db(transaction=True)
def test_it_relays_after_the_window_reopens(eager, make_user):
    """Eager mode (the embedded default): the kick runs the relay, which reopens the window
    and drains again, so the next commit is relayed too."""
    person = make_user()
    for title in ("one", "two", "three"):
        with transaction.atomic():
            outbox_write(event="petition.opened", data={"title": title, "url": "/p/"}, audience={"users": [person.pk]})
    assert OutboxEvent.objects.filter(relayed_at__isnull=True).count() == 0
