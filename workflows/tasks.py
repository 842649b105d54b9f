"""Thin Celery tasks of the engine (scheduled by WorkflowsConfig.ready())."""

from celery import shared_task


@shared_task(name="workflows.advance_workflows", ignore_result=True)
def advance_workflows() -> dict:
    from .services import deadlines_advance

    return deadlines_advance()


@shared_task(name="workflows.checkpoint", ignore_result=True)
def checkpoint() -> int | None:
    from .anchoring import checkpoint_daily

    made = checkpoint_daily()
    return made.pk if made else None


@shared_task(name="workflows.push_checkpoint", ignore_result=True, bind=True, max_retries=8, default_retry_delay=30)
def push_checkpoint(self, checkpoint_id: int) -> dict:
    from .anchoring import checkpoint_push

    counts = checkpoint_push(checkpoint_id)
    if counts["failed"]:
        raise self.retry(countdown=min(3600, 30 * 2**self.request.retries))
    return counts
