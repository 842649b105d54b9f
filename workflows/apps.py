from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

ADVANCE_EVERY_SECONDS = 60.0
CHECKPOINT_EVERY_SECONDS = 3600.0


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflow engine")

    def ready(self):
        from django.conf import settings

        from .parsers import quiet_choice_errors

        quiet_choice_errors()

        # Celery beat: apply due deadlines (also `manage.py advance_workflows`).
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "workflows-advance", {"task": "workflows.advance_workflows", "schedule": ADVANCE_EVERY_SECONDS}
        )
        # Sign the chain head hourly when it grew, and at least daily (workflows.anchoring).
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "workflows-checkpoint", {"task": "workflows.checkpoint", "schedule": CHECKPOINT_EVERY_SECONDS}
        )
