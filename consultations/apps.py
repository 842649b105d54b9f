from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "consultations"
    verbose_name = _("Consultations")

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings

        from accounts import privacy
        from workflows import registry

        from . import privacy as consultation_privacy
        from . import where
        from .models import Consultation
        from .rules import may_see
        from .services import (
            consultation_attach_parts,
            consultation_may_attach,
            consultation_on_move,
            consultation_published,
        )

        registry.register(
            Consultation,
            api_name="consultations",
            notify=consultation_on_move,
            title=lambda c: c.title,
            public_url=lambda c: c.get_absolute_url(),
            visible_to=lambda c, user: may_see(user, c),
            published=consultation_published,
            attach_parts=consultation_attach_parts,
            may_attach=consultation_may_attach,
            path=where.path,
            step_help=where.step_help,
            confirm={"publish", "cancel"},  # going public and cancelling cannot be undone
        )
        # Personal data (PDPA): contributions and "you voted" in a person's export.
        privacy.register("consultations", export=consultation_privacy.export)
        # "closing soon" reminders, two days (per policy) before a stage ends.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "consultations-closing-soon",
            {"task": "consultations.send_closing_soon", "schedule": crontab(minute="*/15")},
        )
