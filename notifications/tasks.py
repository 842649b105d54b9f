"""Celery tasks of the notifications app. Thin: they take ids and call relay/channels.

Delivery tasks acknowledge late (a worker killed mid-task leaves the message to be
redelivered) and retry transient failures with exponential back-off: a busy or unreachable
mail server or receiver, and a database that went away (restarted, failed over) under them.
The sweep (beat) is the safety net for everything else.
"""

import datetime as dt
import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from .channels import TransientDeliveryError

log = logging.getLogger(__name__)

# Worth another try later. A database error leaves the rows as they were (pending, or claimed
# with a lease that runs out), so trying again sends each mail once.
RETRYABLE = (TransientDeliveryError, OperationalError, InterfaceError)
RETRY_BACKOFF, RETRY_BACKOFF_MAX, MAX_RETRIES = 5, 900, 8
DELIVERY_TASK = {"bind": True, "acks_late": True, "ignore_result": True, "max_retries": MAX_RETRIES}


def deliver(task, send, ids: list[int]) -> dict:
    """Run `send(ids)`; on a RETRYABLE error queue the task again after a jittered, doubling pause
    (5 s, 10 s, ... up to 15 min) and mark its pending rows as queued until then, so the sweep does
    not queue them a second time in the meantime. After MAX_RETRIES the sweep takes over."""
    try:
        return send(ids)
    except RETRYABLE as exc:
        if task.request.retries >= task.max_retries:
            raise
        countdown = get_exponential_backoff_interval(RETRY_BACKOFF, task.request.retries, RETRY_BACKOFF_MAX, full_jitter=True)
        log.warning("%s: %s: trying again in %s s", task.name, f"{type(exc).__name__}: {exc}"[:300], countdown)
        _queued_until(ids, timezone.now() + dt.timedelta(seconds=countdown))
        raise task.retry(exc=exc, countdown=countdown) from exc


def _queued_until(ids: list[int], when) -> None:
    from .models import Delivery

    try:
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(enqueued_at=when)
    except DatabaseError:  # the database is what failed: the sweep may queue them once more, which is harmless
        log.debug("could not mark deliveries as queued for a retry", exc_info=True)


@shared_task(name="notifications.relay_outbox", ignore_result=True, acks_late=True)
def relay_outbox() -> int:
    """Kicked on commit. Drains the outbox, opens the debounce window, drains once more
    so a row committed while the window was shut is never left behind."""
    from .relay import relay_pending
    from .services import kick_window_open

    relayed = relay_pending()
    kick_window_open()
    return relayed + relay_pending()


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep() -> dict:
    from .relay import sweep as run_sweep

    return run_sweep()


@shared_task(name="notifications.deliver_email", **DELIVERY_TASK)
def deliver_email(self, ids: list[int]) -> dict:
    from .channels import send_emails

    return deliver(self, send_emails, ids)


@shared_task(name="notifications.deliver_webhooks", **DELIVERY_TASK)
def deliver_webhooks(self, ids: list[int]) -> dict:
    from .channels import send_webhooks

    return deliver(self, send_webhooks, ids)


@shared_task(name="notifications.deliver_line", **DELIVERY_TASK)
def deliver_line(self, ids: list[int]) -> dict:
    from .models import Channel
    from .push import send_push

    return deliver(self, lambda chunk: send_push(chunk, Channel.LINE), ids)


@shared_task(name="notifications.deliver_sms", **DELIVERY_TASK)
def deliver_sms(self, ids: list[int]) -> dict:
    from .models import Channel
    from .push import send_push

    return deliver(self, lambda chunk: send_push(chunk, Channel.SMS), ids)


@shared_task(name="notifications.send_daily_digest", ignore_result=True, acks_late=True)
def send_daily_digest() -> int:
    from .channels import send_digests
    from .models import PUSH_CHANNELS
    from .push import send_push_digests

    sent = send_digests()
    for channel in PUSH_CHANNELS:
        sent += send_push_digests(channel)
    return sent
