"""Thin Celery tasks of the engine (scheduled by WorkflowsConfig.ready())."""

from celery import shared_task


@shared_task(name="workflows.advance_workflows", ignore_result=True)
def advance_workflows() -> dict:
    from .services import deadlines_advance

    return deadlines_advance()
