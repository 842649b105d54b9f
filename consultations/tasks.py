"""Celery tasks of the consultations app (thin: the work lives in services)."""

from celery import shared_task


@shared_task(name="consultations.send_closing_soon", ignore_result=True)
def send_closing_soon() -> int:
    from .services import closing_soon_send

    return closing_soon_send()
