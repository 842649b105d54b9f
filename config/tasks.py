"""Project-level Celery tasks (found by the app's autodiscover_tasks: config is an installed app)."""

from celery import shared_task


@shared_task(name="config.heartbeat", ignore_result=True)
def heartbeat() -> float:
    """Queued by beat; the worker that runs it tells /healthz it is alive and keeping up."""
    from .health import heartbeat_write

    return heartbeat_write()
