"""Thin Celery tasks of the complaints app (scheduled by ComplaintsConfig.ready())."""

from celery import shared_task


@shared_task(name="complaints.sla_alerts", ignore_result=True)
def sla_alerts() -> dict:
    from .services import complaint_sla_alerts

    return complaint_sla_alerts()
