"""Celery tasks of the petitions app (thin: the work lives in petitions.services)."""

from celery import shared_task


@shared_task(name="petitions.check", ignore_result=True)
def petitions_check() -> dict:
    from .services import petitions_check as check

    return check()
