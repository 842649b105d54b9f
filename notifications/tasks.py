"""Celery tasks of the notifications app. Thin: they take ids and call relay/channels.

Delivery tasks acknowledge late (a worker killed mid-task leaves the message to be
redelivered) and retry transient failures with exponential back-off; the sweep (beat)
is the safety net for everything else.
"""

from celery import shared_task

from .channels import TransientDeliveryError

DELIVERY_TASK = {
    "bind": False,
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (TransientDeliveryError,),
    "retry_backoff": 5,
    "retry_backoff_max": 900,
    "retry_jitter": True,
    "max_retries": 8,
}


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
def deliver_email(ids: list[int]) -> dict:
    from .channels import send_emails

    return send_emails(ids)


@shared_task(name="notifications.deliver_webhooks", **DELIVERY_TASK)
def deliver_webhooks(ids: list[int]) -> dict:
    from .channels import send_webhooks

    return send_webhooks(ids)


@shared_task(name="notifications.send_daily_digest", ignore_result=True, acks_late=True)
def send_daily_digest() -> int:
    from .channels import send_digests

    return send_digests()
