"""Thin Celery tasks of accounts (scheduled by AccountsConfig.ready())."""

from celery import shared_task


@shared_task(name="accounts.purge_personal_data", ignore_result=True)
def purge_personal_data() -> dict:
    from .privacy.services import personal_data_purge

    return personal_data_purge()
