"""Celery tasks of the notifications app (thin: the work lives in notifications.relay)."""

from celery import shared_task


@shared_task(name="notifications.relay_outbox", ignore_result=True)
def relay_outbox() -> int:
    from .relay import relay_pending

    return relay_pending()
