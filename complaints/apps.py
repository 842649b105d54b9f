from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings

        from workflows import registry

        from . import integrity, machine
        from .models import Complaint, IntegrityReport

        registry.register(
            Complaint,
            api_name="complaints",
            notify=machine.on_move,
            title=machine.title,
            public_url=machine.public_url,
            visible_to=machine.visible_to,
        )
        registry.register(
            IntegrityReport,
            api_name="integrity-reports",
            notify=integrity.on_move,
            title=lambda report: f"#{report.pk}",
            visible_to=lambda report, user: integrity.is_officer(user, report.organisation_id),
            audit_public=False,
        )
        # SLA alerts to staff before (and when) a complaint's deadline passes; idempotent.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "complaints-sla-alerts", {"task": "complaints.sla_alerts", "schedule": crontab(minute="*/15")}
        )
